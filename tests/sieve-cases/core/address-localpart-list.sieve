# msg: list.eml
# from: alice+news@example.com
# to: bob+work@example.org
if address :localpart :is "from" "alice+news" { discard; }
