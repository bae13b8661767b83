# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
if size :over 99999999999G { keep; }
