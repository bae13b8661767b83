# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["subaddress","envelope"];
if address :detail "to" "work" { discard; }
