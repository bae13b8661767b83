# msg: spam.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["relational","comparator-i;ascii-numeric","envelope"];
if envelope :count "eq" :comparator "i;ascii-numeric" "to" "1" { discard; }
