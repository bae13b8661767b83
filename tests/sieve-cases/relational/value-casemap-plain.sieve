# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["relational","comparator-i;ascii-numeric","envelope"];
if header :value "gt" "subject" "M" { discard; }
