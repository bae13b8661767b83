# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["variables","fileinto"];
set "a" "1"; set "a" "${a}2"; fileinto "${a}";
