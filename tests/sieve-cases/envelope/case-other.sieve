# msg: list.eml
# from: rust-users-bounces@lists.example.org
# to: bob@example.org
require "envelope";
if envelope :is "FROM" "ALICE+NEWS@EXAMPLE.COM" { discard; }
