# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
# expect: runtime-error
require "ereject";
keep; ereject "no";
