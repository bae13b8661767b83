#!/usr/bin/env python3
"""An IMAP session in steps with Python's imaplib: logs in, LISTs, SELECTs
INBOX and UID FETCHes every message (UID, FLAGS, RFC822.SIZE, ENVELOPE,
BODYSTRUCTURE, BODY[]); tries CREATE and APPEND; prints one JSON line.
Then waits for a line on stdin, marks the messages with the UIDs in
DELETE (comma-separated) \\Deleted (after a NOOP, reporting EXISTS and
the UIDs then), EXPUNGEs (or CLOSEs with CLOSE as the
sixth argument), LOGs OUT and prints a JSON line with the replies.

usage: imap_steps.py HOST PORT USER PASSWORD DELETE [CLOSE]
"""
import imaplib
import json
import sys

host, port, user, password, delete = sys.argv[1:6]
close = len(sys.argv) > 6 and sys.argv[6] == "CLOSE"
c = imaplib.IMAP4(host, int(port), timeout=60)
c.login(user, password)


def text(x):
    return x.decode("utf-8", "replace") if isinstance(x, bytes) else str(x)


out = {}
typ, data = c.list()
out["list"] = [text(d) for d in data if d is not None]
typ, data = c.select("INBOX")
out["exists"] = int(data[0])
out["uidvalidity"] = int(c.response("UIDVALIDITY")[1][0])
messages = []
if out["exists"]:
    typ, data = c.uid(
        "FETCH", "1:*", "(UID FLAGS RFC822.SIZE ENVELOPE BODYSTRUCTURE BODY.PEEK[])"
    )
    for item in data:
        if isinstance(item, tuple):
            head = text(item[0])
            uid = int(head.split("UID ", 1)[1].split()[0].rstrip(")"))
            messages.append({"uid": uid, "head": head, "body": item[1].hex()})
out["messages"] = messages
typ, data = c.create("Archive")
out["create"] = [typ, text(data[0])]
try:
    typ, data = c.append("INBOX", None, None, b"Subject: x\r\n\r\ny\r\n")
    out["append"] = [typ, text(data[0])]
except imaplib.IMAP4.error as e:
    out["append"] = ["NO", str(e)]
print(json.dumps(out), flush=True)

sys.stdin.readline()
done = {}
# What arrived meanwhile: NOOP, then the UIDs.
typ, data = c.noop()
exists = c.response("EXISTS")[1]
done["exists"] = int(exists[-1]) if exists and exists[-1] else out["exists"]
typ, data = c.uid("FETCH", "1:*", "(UID)")
done["uids"] = [
    int(text(d).split("UID ", 1)[1].split(")")[0]) for d in data if d is not None
]
uids = [u for u in delete.split(",") if u]
if uids:
    typ, data = c.uid("STORE", ",".join(uids), "+FLAGS.SILENT", "(\\Deleted)")
    done["store"] = typ
if close:
    typ, data = c.close()
    done["close"] = [typ, text(data[0])]
else:
    typ, data = c.expunge()
    done["expunge"] = [typ, [text(d) for d in data if d is not None]]
typ, data = c.logout()
done["logout"] = typ
print(json.dumps(done), flush=True)
