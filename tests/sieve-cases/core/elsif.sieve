# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
if false { discard; } elsif true { redirect "x@example.net"; } else { keep; }
