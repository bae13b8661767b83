# msg: spam.eml
# from: alice+news@example.com
# to: bob+work@example.org
# expect: ereject spam
require "ereject";
if header :is "x-spam-flag" "YES" { ereject "spam"; }
