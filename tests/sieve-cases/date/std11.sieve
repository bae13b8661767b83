# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["date","relational","index","comparator-i;ascii-numeric"];
if date :originalzone :is "date" "std11" "Tue, 3 Mar 2026 10:12:45 +0100" { discard; }
