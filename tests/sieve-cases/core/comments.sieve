# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
# a comment
/* block
 comment */ if true /* inline */ { discard; } # end
