# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["variables","fileinto","relational","comparator-i;ascii-numeric"];
if string :count "eq" :comparator "i;ascii-numeric" ["a","","b"] "2" { discard; }
