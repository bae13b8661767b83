# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["date","relational","index","comparator-i;ascii-numeric"];
if date :zone "-0330" :is "date" "iso8601" "2026-03-03T05:42:45-03:30" { discard; }
