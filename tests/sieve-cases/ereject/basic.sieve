# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
# expect: ereject No thanks.
require "ereject";
ereject "No thanks.";
