# msg: spam.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["comparator-i;ascii-numeric","comparator-i;octet"];
if header :comparator "i;ascii-casemap" :matches "subject" "MEETING*" { discard; }
