# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["copy","fileinto"];
redirect :copy "friend@example.net"; keep;
