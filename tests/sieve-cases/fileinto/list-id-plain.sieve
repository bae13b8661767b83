# msg: plain.eml
# from: alice+news@example.com
# to: bob+work@example.org
require "fileinto";
if exists "list-id" { fileinto "Lists"; stop; } fileinto "Other";
