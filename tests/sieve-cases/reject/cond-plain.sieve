# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["reject","fileinto","vacation"];
if header :is "x-spam-flag" "YES" { reject "No spam please."; }
