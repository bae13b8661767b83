# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
if size :under 1K { discard; }
