# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["vacation","fileinto"];
vacation :days 3 "I am away.";
