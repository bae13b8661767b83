# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require "include";
include "work";
