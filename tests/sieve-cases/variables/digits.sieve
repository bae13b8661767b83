# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["variables","fileinto"];
if header :matches "x-spam-score" "*" { fileinto "s${1}"; }
