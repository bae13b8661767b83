# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require "date";
if date :zone "CET" :is "date" "year" "1" { discard; }
