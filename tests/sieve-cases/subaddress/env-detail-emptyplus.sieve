# msg: plain.eml
# from: alice+news@example.com
# to: bob+@example.org
require ["subaddress","envelope"];
if envelope :detail :is "to" "" { discard; }
