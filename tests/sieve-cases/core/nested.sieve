# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
if anyof (allof (true, not false), false) { if true { discard; } }
