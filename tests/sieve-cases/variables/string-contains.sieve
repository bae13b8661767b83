# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["variables","fileinto"];
set "a" "hello world"; if string :contains "${a}" "lo w" { discard; }
