# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["index"];
if address :index 1 :is "to" "bob+work@example.org" { discard; }
