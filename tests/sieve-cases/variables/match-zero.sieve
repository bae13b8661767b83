# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["variables","fileinto"];
if header :matches "subject" "Meeting*" { fileinto "${0}"; }
