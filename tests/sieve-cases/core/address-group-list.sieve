# msg: list.eml
# from: alice+news@example.com
# to: bob+work@example.org
if address :localpart :is "to" "undisclosed-recipients" { discard; }
