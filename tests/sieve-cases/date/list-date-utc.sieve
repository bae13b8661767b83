# msg: list.eml
# from: alice+news@example.com
# to: bob+work@example.org
require "date";
if date :zone "+0000" :is "date" "date" "2026-02-16" { discard; }
