# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["vacation","fileinto"];
vacation :days 2 :subject "Out" :from "bob@example.org" :addresses "bob@example.org" :handle "x" "Gone.";
