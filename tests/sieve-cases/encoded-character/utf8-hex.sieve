# msg: encoded.eml
# from: alice+news@example.com
# to: bob+work@example.org
require "encoded-character";
if header :contains "subject" "caf${hex:c3 a9}" { discard; }
