# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require "envelope";
if envelope :domain :is "from" "example.com" { discard; }
