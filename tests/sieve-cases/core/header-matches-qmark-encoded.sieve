# msg: encoded.eml
# from: alice+news@example.com
# to: bob+work@example.org
if header :matches "subject" "*at ??" { discard; }
