# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require "include";
require "variables";
include "counter"; include "counter";
