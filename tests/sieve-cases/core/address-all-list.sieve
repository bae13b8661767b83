# msg: list.eml
# from: alice+news@example.com
# to: bob+work@example.org
if address :is "from" "alice+news@example.com" { discard; }
