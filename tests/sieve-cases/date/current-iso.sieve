# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["date","relational","index","comparator-i;ascii-numeric"];
if currentdate :zone "+0000" :matches "iso8601" "*T*" { discard; }
