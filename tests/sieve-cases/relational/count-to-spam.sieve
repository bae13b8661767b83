# msg: spam.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["relational","comparator-i;ascii-numeric","envelope"];
if address :count "eq" :comparator "i;ascii-numeric" "to" "2" { discard; }
