# msg: encoded.eml
# from: alice+news@example.com
# to: bob+work@example.org
require "body";
if body :contains "café" { discard; }
