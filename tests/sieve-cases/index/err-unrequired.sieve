# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
if header :index 1 :is "x" "y" { discard; }
