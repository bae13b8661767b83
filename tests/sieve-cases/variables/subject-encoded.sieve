# msg: encoded.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["variables","fileinto"];
if header :matches "subject" "* *" { fileinto "${1}"; }
