# msg: spam.eml
# from: alice+news@example.com
# to: bob+work@example.org
require "body";
if body :matches "*prize*" { discard; }
