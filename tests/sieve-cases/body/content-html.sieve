# msg: multipart.eml
# from: alice+news@example.com
# to: bob+work@example.org
require "body";
if body :content "text/html" :contains "confirmed" { discard; }
