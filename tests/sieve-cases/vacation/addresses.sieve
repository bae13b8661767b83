# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["vacation","fileinto"];
vacation :addresses ["bob@example.org","robert@example.org"] "I am away.";
