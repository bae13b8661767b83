# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["vacation", "vacation-seconds"];
vacation :seconds 0 "away";
