# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["variables","fileinto"];
set :upper :lowerfirst "f" "work"; fileinto "${f}";
