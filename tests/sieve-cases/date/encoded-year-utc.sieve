# msg: encoded.eml
# from: alice+news@example.com
# to: bob+work@example.org
require "date";
if date :zone "+0000" :is "date" "year" "2026" { discard; }
