# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require "date";
if date :is "date" "fortnight" "1" { discard; }
