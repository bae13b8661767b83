#!/usr/bin/env python3
"""Parses a delivery status notification with Python's email package and
prints what a mail client would see of it, as JSON.

usage: dsn_parse.py FILE
"""
import email
import email.policy
import json
import sys

with open(sys.argv[1], "rb") as f:
    msg = email.message_from_binary_file(f, policy=email.policy.compat32)
out = {
    "content_type": msg.get_content_type(),
    "report_type": msg.get_param("report-type"),
    "from": msg["From"],
    "to": msg["To"],
    "subject": msg["Subject"],
    "auto_submitted": msg["Auto-Submitted"],
    "defects": [type(d).__name__ for d in msg.defects],
    "parts": [],
}
for part in msg.get_payload():
    p = {"content_type": part.get_content_type()}
    if part.get_content_type() == "message/delivery-status":
        # The per-message block, then one block per recipient.
        p["blocks"] = [dict(b.items()) for b in part.get_payload()]
    else:
        p["text"] = part.get_payload(decode=True).decode("utf-8", "replace")
    out["parts"].append(p)
print(json.dumps(out))
