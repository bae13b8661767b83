# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require "relational";
if header :value "xx" "subject" "a" { discard; }
