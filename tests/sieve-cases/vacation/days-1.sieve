# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["vacation","fileinto"];
vacation :days 1 "back soon";
