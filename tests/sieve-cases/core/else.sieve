# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
if false { discard; } elsif false { redirect "x@example.net"; } else { keep; }
