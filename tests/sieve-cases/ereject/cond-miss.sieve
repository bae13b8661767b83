# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
# expect: store INBOX
require "ereject";
if header :is "x-spam-flag" "YES" { ereject "spam"; }
