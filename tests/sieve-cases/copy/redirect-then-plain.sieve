# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
# expect: redirect a@example.net
require ["copy","fileinto"];
redirect :copy "a@example.net"; redirect "a@example.net";
