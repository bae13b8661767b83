require "fileinto"; fileinto "Work";
