# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["variables","fileinto"];
if header :matches "subject" "M*" {} if header :matches "subject" "zzz*" {} fileinto "${1}";
