# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["encoded-character","fileinto"];
fileinto "${hex:57 6f 72 6b}";
