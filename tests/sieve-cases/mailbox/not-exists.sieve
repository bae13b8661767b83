# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["mailbox","fileinto"];
if not mailboxexists "Nope" { fileinto :create "Nope"; }
