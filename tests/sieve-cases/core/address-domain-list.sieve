# msg: list.eml
# from: alice+news@example.com
# to: bob+work@example.org
if address :domain :is "from" "EXAMPLE.com" { discard; }
