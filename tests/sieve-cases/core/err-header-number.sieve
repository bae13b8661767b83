# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
if header :is 5 "x" { keep; }
