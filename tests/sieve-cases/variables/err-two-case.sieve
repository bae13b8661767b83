# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require "variables";
set :lower :upper "a" "b";
