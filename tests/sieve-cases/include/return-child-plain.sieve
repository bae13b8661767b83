# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require "include";
require "fileinto";
include "ret"; fileinto "AfterRet";
