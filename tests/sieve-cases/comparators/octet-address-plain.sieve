# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["comparator-i;ascii-numeric","comparator-i;octet"];
if address :comparator "i;octet" :domain :is "from" "example.com" { discard; }
