# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["copy","fileinto"];
if header :contains "subject" "meeting" { redirect :copy "boss@example.net"; }
