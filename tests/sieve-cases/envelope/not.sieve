# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require "envelope";
if not envelope :is "from" "someone@else.example" { discard; }
