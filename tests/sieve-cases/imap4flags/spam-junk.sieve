# msg: spam.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["imap4flags","fileinto"];
if header :is "x-spam-flag" "yes" { addflag "$Junk"; fileinto "Junk"; }
