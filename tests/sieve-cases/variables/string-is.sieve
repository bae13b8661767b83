# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["variables","fileinto"];
set "a" "x"; if string :is "${a}" "x" { discard; }
