# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require "encoded-character";
if header :is "subject" "${unicode:4d}eeting tomorrow at 10" { discard; }
