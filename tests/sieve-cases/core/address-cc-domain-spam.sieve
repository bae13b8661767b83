# msg: spam.eml
# from: alice+news@example.com
# to: bob+work@example.org
if address :domain :contains ["to","cc"] "sub.example" { discard; }
