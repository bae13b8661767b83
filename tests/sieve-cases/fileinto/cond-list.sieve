# msg: list.eml
# from: alice+news@example.com
# to: bob+work@example.org
require "fileinto";
if header :contains "subject" "release" { fileinto "Lists"; }
