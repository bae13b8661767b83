# msg: spam.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["relational","comparator-i;ascii-numeric","envelope"];
if header :count "eq" :comparator "i;ascii-numeric" "x-none" "0" { discard; }
