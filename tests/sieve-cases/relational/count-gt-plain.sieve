# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["relational","comparator-i;ascii-numeric","envelope"];
if header :count "gt" :comparator "i;ascii-numeric" "x-tag" "2" { discard; }
