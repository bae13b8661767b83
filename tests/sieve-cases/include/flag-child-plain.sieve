# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require "include";
require "imap4flags";
include "flag"; keep;
