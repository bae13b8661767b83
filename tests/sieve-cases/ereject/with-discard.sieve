# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
# expect: discard
# expect: ereject no
require "ereject";
ereject "no"; discard;
