# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["date","relational","index","comparator-i;ascii-numeric"];
if currentdate :value "lt" "date" "2100-01-01" { discard; }
