# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
if header :is "subject" "${hex:4d}eeting tomorrow at 10" { discard; }
