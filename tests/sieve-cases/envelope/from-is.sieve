# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require "envelope";
if envelope :is "from" "alice+news@example.com" { discard; }
