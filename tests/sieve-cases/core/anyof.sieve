# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
if anyof (false, header :contains "subject" "meeting") { discard; }
