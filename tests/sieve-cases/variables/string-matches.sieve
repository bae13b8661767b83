# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["variables","fileinto"];
set "a" "foo.bar"; if string :matches "${a}" "*.*" { fileinto "${2}"; }
