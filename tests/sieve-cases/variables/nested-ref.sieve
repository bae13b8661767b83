# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["variables","fileinto"];
set "a" "b"; set "b" "c"; fileinto "${${a}}";
