# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["date","relational","index","comparator-i;ascii-numeric"];
if date :zone "+0530" :is "date" "time" "14:42:45" { discard; }
