# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["mailbox","fileinto","copy"];
fileinto :create :copy "New";
