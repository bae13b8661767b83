#!/usr/bin/env python3
"""A POP3 session in steps: logs in (USER/PASS), prints one JSON line with
the UIDLs and every message's bytes (hex), waits for a line on stdin, then
DELEs the messages numbered in DELE (comma-separated) and QUITs, printing
the QUIT reply.

usage: pop3_steps.py HOST PORT USER PASSWORD DELE
"""
import json
import poplib
import sys

host, port, user, password, dele = sys.argv[1:6]
c = poplib.POP3(host, int(port), timeout=60)
c.user(user)
c.pass_(password)
uidls = [l.decode().split(" ", 1)[1] for l in c.uidl()[1]]
msgs = [(b"\r\n".join(c.retr(i)[1]) + b"\r\n").hex() for i in range(1, len(uidls) + 1)]
print(json.dumps({"uidls": uidls, "messages": msgs}), flush=True)
sys.stdin.readline()
for n in [int(x) for x in dele.split(",") if x]:
    c.dele(n)
print(json.dumps({"quit": c.quit().decode()}), flush=True)
