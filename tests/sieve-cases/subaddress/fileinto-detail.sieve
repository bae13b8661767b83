# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["subaddress","envelope","variables","fileinto"];
if envelope :detail :matches "to" "*" { fileinto "${1}"; }
