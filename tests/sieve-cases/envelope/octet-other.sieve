# msg: list.eml
# from: rust-users-bounces@lists.example.org
# to: bob@example.org
require "envelope";
if envelope :comparator "i;octet" :is "from" "ALICE+NEWS@EXAMPLE.COM" { discard; }
