# msg: spam.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["relational","comparator-i;ascii-numeric","envelope"];
if header :value "lt" :comparator "i;ascii-numeric" "x-priority" "3" { discard; }
