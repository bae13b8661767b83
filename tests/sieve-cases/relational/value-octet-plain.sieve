# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["relational","comparator-i;ascii-numeric","envelope"];
if header :value "lt" :comparator "i;octet" "subject" "a" { discard; }
