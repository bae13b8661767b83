# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
if address :is "cc" "dave@sub.example.org" { discard; }
