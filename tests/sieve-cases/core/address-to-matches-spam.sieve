# msg: spam.eml
# from: alice+news@example.com
# to: bob+work@example.org
if address :all :matches "to" "*@example.net" { discard; }
