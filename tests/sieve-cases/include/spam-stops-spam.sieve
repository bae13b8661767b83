# msg: spam.eml
# from: alice+news@example.com
# to: bob+work@example.org
require "include";
require "fileinto";
include "spam"; fileinto "After";
