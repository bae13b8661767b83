# msg: encoded.eml
# from: alice+news@example.com
# to: bob+work@example.org
require "date";
if date :originalzone :is "date" "year" "2025" { discard; }
