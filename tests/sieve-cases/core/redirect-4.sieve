# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
redirect "a@example.net"; redirect "b@example.net"; redirect "c@example.net"; redirect "d@example.net";
