# msg: spam.eml
# from: alice+news@example.com
# to: bob+work@example.org
if header :is "x-spam-flag" "yes" { discard; }
