# msg: spam.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["vacation","fileinto"];
vacation "I am away.";
