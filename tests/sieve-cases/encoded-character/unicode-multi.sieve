# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require "encoded-character";
if header :contains "subject" "${unicode:0074 006f}" { discard; }
