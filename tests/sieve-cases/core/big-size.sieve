# msg: big.eml
# from: alice+news@example.com
# to: bob+work@example.org
require "fileinto";
if size :over 10K { fileinto "big"; }
