# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["date","relational","index","comparator-i;ascii-numeric"];
if date :originalzone :is "date" "iso8601" "2026-03-03T10:12:45+01:00" { discard; }
