# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["subaddress","envelope"];
if not address :detail :is "to" "nothing" { discard; }
