# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require "include";
require ["variables","fileinto"];
global "folder"; include "setvar"; fileinto "${folder}";
