# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require "envelope";
if envelope :comparator "i;octet" :is "from" "ALICE+NEWS@EXAMPLE.COM" { discard; }
