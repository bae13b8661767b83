# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["date","variables","fileinto"];
if date :originalzone :matches "date" "date" "*" { fileinto "${1}"; }
