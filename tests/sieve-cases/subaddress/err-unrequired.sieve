# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
if address :detail "to" "x" { discard; }
