# msg: list.eml
# from: rust-users-bounces@lists.example.org
# to: bob@example.org
require "envelope";
if envelope :domain :is "from" "example.com" { discard; }
