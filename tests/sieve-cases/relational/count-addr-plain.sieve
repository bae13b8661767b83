# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["relational","comparator-i;ascii-numeric","envelope"];
if address :count "ge" :comparator "i;ascii-numeric" ["to","cc"] "3" { discard; }
