# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require "body";
if body :raw :contains "Alice" { discard; }
