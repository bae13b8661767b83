# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
# expect: store Work
require ["copy","fileinto"];
fileinto :copy "Work"; fileinto "Work";
