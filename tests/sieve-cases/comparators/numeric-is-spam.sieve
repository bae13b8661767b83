# msg: spam.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["comparator-i;ascii-numeric","comparator-i;octet"];
if header :comparator "i;ascii-numeric" :is "x-spam-score" "7" { discard; }
