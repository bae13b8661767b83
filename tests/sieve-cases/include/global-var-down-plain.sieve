# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require "include";
require "variables";
global "folder"; set "folder" "Main"; include "usevar";
