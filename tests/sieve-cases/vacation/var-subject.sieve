# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["vacation","fileinto","variables"];
if header :matches "subject" "*" { vacation :subject "Re: ${1}" "away"; }
