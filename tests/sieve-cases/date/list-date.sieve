# msg: list.eml
# from: alice+news@example.com
# to: bob+work@example.org
require "date";
if date :originalzone :is "date" "date" "2026-02-15" { discard; }
