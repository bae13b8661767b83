# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["variables","fileinto"];
if header :matches "subject" "M??ting*" { fileinto "${1}${2}"; }
