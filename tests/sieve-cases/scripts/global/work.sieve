require "fileinto"; fileinto "GlobalWork";
