# msg: list.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["variables","fileinto"];
if string :is ["a","b"] "b" { discard; }
