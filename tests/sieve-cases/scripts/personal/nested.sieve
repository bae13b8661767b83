require "include"; include "work";
