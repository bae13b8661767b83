# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
if header :is "subject" "Meeting tomorrow at 10" { discard; }
