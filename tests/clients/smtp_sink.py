#!/usr/bin/env python3
"""An SMTP server (aiosmtpd) on 127.0.0.1:PORT that stores what it receives:
DIR/N.eml holds the message bytes exactly as received (dot-unstuffed),
DIR/N.json the envelope. Recipients whose local part starts with "reject"
get 550 5.1.1, "later" get 451 4.3.0. Prints READY once listening; stops
when stdin closes.

usage: smtp_sink.py PORT DIR
"""
import json
import os
import sys

from aiosmtpd.controller import Controller

port, out = int(sys.argv[1]), sys.argv[2]


class Sink:
    count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0]
        if local.startswith("reject"):
            return "550 5.1.1 no such user here"
        if local.startswith("later"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        Sink.count += 1
        base = os.path.join(out, str(Sink.count))
        with open(base + ".eml", "wb") as f:
            f.write(envelope.original_content)
        with open(base + ".json", "w") as f:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos,
                       "helo": session.host_name}, f)
        return "250 2.0.0 stored"


c = Controller(Sink(), hostname="127.0.0.1", port=port, decode_data=False)
c.start()
print("READY", flush=True)
sys.stdin.read()
c.stop()
