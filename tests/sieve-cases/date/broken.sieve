# msg: broken.eml
# from: alice+news@example.com
# to: bob+work@example.org
require "date";
if date :is "date" "year" "2026" { discard; }
