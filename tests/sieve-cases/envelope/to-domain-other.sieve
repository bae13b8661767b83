# msg: list.eml
# from: rust-users-bounces@lists.example.org
# to: bob@example.org
require "envelope";
if envelope :domain :contains "to" "example" { discard; }
