# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
# expect: compile-error
ereject "x";
