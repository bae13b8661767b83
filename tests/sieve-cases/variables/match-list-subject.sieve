# msg: list.eml
# from: alice+news@example.com
# to: bob+work@example.org
require ["variables","fileinto"];
if header :matches "list-id" "*<*.lists.example.org>" { fileinto "Lists/${2}"; }
