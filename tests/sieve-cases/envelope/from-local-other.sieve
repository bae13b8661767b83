# msg: list.eml
# from: rust-users-bounces@lists.example.org
# to: bob@example.org
require "envelope";
if envelope :localpart :is "from" "alice+news" { discard; }
