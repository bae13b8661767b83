require ["variables","fileinto"]; fileinto "L${folder}";
