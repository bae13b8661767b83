# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["date","relational","index","comparator-i;ascii-numeric"];
if date :count "eq" :comparator "i;ascii-numeric" "date" "year" "1" { discard; }
