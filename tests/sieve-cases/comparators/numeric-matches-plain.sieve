# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["comparator-i;ascii-numeric","comparator-i;octet"];
if header :comparator "i;ascii-numeric" :matches "x-spam-score" "7" { discard; }
