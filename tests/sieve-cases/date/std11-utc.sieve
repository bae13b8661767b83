# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["date","relational","index","comparator-i;ascii-numeric"];
if date :zone "+0000" :is "date" "std11" "Tue, 03 Mar 2026 09:12:45 +0000" { discard; }
