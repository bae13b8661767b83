# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["index"];
if address :index 1 :last :domain :is "to" "example.net" { discard; }
