# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["date","index"];
if date :last :is "date" "year" "1" { discard; }
