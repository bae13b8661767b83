# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require "vacation";
vacation :days "1" "x";
