# msg: big.eml
# from: alice+news@example.com
# to: bob+work@example.org
require "body";
if body :contains "line 150" { discard; }
