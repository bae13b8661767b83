# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require "envelope";
if envelope :localpart :is "from" "alice+news" { discard; }
