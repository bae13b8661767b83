require ["include","variables","fileinto"]; global "n"; set "n" "${n}x"; fileinto "n${n}";
