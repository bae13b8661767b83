# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require "encoded-character";
if header :is "subject" "${hex:4d 65 65 74 69 6e 67} tomorrow at 10" { discard; }
