#!/usr/bin/env python3
"""Logs in over POP3 (USER/PASS) and prints CAPA before and after login
as JSON; RETRs the messages numbered in READ (comma-separated), keeps
them all, and QUITs.

usage: pop3_read.py HOST PORT USER PASSWORD [READ]
"""
import json
import poplib
import sys

host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
read = [int(n) for n in sys.argv[5].split(",") if n] if len(sys.argv) > 5 else []
c = poplib.POP3(host, port, timeout=30)
before = sorted(c.capa().keys()), c.capa().get("EXPIRE")
c.user(user)
c.pass_(password)
after = c.capa().get("EXPIRE")
for n in read:
    c.retr(n)
c.quit()
print(json.dumps({"expire_before": before[1], "expire_after": after}))
