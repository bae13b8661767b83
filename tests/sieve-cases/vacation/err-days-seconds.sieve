# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["vacation","vacation-seconds"];
vacation :days 1 :seconds 5 "x";
