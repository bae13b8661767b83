#!/usr/bin/env python3
"""Delivers one message over LMTP with Python's smtplib.LMTP and prints the
server's replies as JSON: the LHLO features, one reply per RCPT TO, and one
reply per accepted recipient after DATA (smtplib.data() reads the first;
the others are read with getreply(), as RFC 2033 sends them).

usage: lmtp_smtplib.py HOST:PORT|/unix/socket FROM TO[,TO...] MESSAGE-FILE
"""
import json
import smtplib
import sys

target, mail_from, rcpts, path = sys.argv[1], sys.argv[2], sys.argv[3].split(","), sys.argv[4]
with open(path, "rb") as f:
    data = f.read()

if target.startswith("/"):
    c = smtplib.LMTP(target, timeout=30)
else:
    host, port = target.rsplit(":", 1)
    c = smtplib.LMTP(host, int(port), timeout=30)

code, _ = c.ehlo("client.test")
out = {"lhlo": code, "features": sorted(c.esmtp_features), "rcpt": [], "data": []}
code, msg = c.mail(mail_from, ["SIZE=%d" % len(data), "BODY=8BITMIME"])
out["mail"] = [code, msg.decode()]
accepted = 0
for r in rcpts:
    code, msg = c.rcpt(r)
    out["rcpt"].append([code, msg.decode()])
    accepted += code == 250
if accepted:
    code, msg = c.data(data)
    out["data"].append([code, msg.decode()])
    for _ in range(accepted - 1):
        code, msg = c.getreply()
        out["data"].append([code, msg.decode()])
else:
    c.rset()
code, _ = c.quit()
out["quit"] = code
print(json.dumps(out))
