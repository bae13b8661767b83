# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["index"];
if header :index 1 :is "x-tag" "beta" { discard; }
