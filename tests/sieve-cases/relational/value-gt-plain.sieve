# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["relational","comparator-i;ascii-numeric","envelope"];
if header :value "gt" :comparator "i;ascii-numeric" "x-spam-score" "5" { discard; }
