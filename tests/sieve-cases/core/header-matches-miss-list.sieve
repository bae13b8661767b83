# msg: list.eml
# from: alice+news@example.com
# to: bob+work@example.org
if header :matches "subject" "M?eting*" { discard; }
