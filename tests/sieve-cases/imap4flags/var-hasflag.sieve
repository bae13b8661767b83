# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["imap4flags","fileinto","variables"];
setflag "myflags" ["a","b"]; if hasflag "myflags" "b" { fileinto "yes"; }
