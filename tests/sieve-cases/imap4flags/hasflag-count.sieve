# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["imap4flags","fileinto","relational","comparator-i;ascii-numeric"];
addflag ["a","b","c"]; if hasflag :count "eq" :comparator "i;ascii-numeric" "3" { fileinto "yes"; }
