# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
if header :matches "subject" "*" { discard; }
