# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["reject","fileinto","vacation"];
redirect "a@example.net"; reject "no";
