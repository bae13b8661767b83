require "include"; include "self";
