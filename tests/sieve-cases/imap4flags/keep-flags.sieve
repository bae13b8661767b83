# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["imap4flags","fileinto"];
keep :flags "\\Flagged";
