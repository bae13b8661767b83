# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["variables","fileinto"];
if address :matches "from" "*+*@*" { fileinto "${2}"; }
