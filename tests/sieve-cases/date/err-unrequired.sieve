# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
if date :is "date" "year" "2026" { discard; }
