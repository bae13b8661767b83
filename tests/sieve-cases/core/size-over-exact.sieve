# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
if size :over 667 { discard; }
