# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require "fileinto";
if header :is "x-spam-flag" "YES" { fileinto "Junk"; }
