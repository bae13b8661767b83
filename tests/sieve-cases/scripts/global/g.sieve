require "fileinto"; fileinto "Global";
