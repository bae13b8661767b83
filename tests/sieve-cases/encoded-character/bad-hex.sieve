# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require "encoded-character";
if header :is "subject" "${hex:zz}" { discard; }
