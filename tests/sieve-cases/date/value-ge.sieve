# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["date","relational","index","comparator-i;ascii-numeric"];
if date :zone "+0000" :value "ge" "date" "date" "2026-01-01" { discard; }
