# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["date","relational","index","comparator-i;ascii-numeric"];
if date :zone "+0000" :is "date" "iso8601" "2026-03-03T09:12:45Z" { discard; }
