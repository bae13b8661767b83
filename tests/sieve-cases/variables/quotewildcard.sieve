# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["variables","fileinto"];
set :quotewildcard "q" "a*b?c"; if string :is "${q}" "a\\*b\\?c" { discard; }
