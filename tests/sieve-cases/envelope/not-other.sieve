# msg: list.eml
# from: rust-users-bounces@lists.example.org
# to: bob@example.org
require "envelope";
if not envelope :is "from" "someone@else.example" { discard; }
