# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
if allof (exists "from", header :contains "subject" "meeting") { discard; }
