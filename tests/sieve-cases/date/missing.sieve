# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["date","relational","index","comparator-i;ascii-numeric"];
if date :is "x-missing" "year" "2026" { discard; }
