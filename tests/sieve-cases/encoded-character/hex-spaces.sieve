# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require "encoded-character";
if header :contains "subject" "${hex: 74 6F 6D 6F }" { discard; }
