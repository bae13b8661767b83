# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["relational","comparator-i;ascii-numeric","envelope"];
if header :value "le" :comparator "i;ascii-numeric" "x-spam-score" "6" { discard; }
