#!/usr/bin/env python3
"""Logs in to a POP3 server with Python's poplib and says how it went.

usage: pop3_login.py HOST PORT USER PASSWORD [MODE]

MODE is "userpass" (USER/PASS, the default) or "plain" (AUTH PLAIN).
Prints "OK <the server's reply>" after a successful login (then QUITs),
or "ERR <the server's reply>"; exits 0 either way, 2 on other errors.
"""
import base64
import poplib
import sys


def main():
    host, port, user, password = sys.argv[1:5]
    mode = sys.argv[5] if len(sys.argv) > 5 else "userpass"
    p = poplib.POP3(host, int(port), timeout=30)
    try:
        if mode == "plain":
            blob = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode())
            reply = p._shortcmd("AUTH PLAIN " + blob.decode())
        else:
            p.user(user)
            reply = p.pass_(password)
    except poplib.error_proto as e:
        print("ERR " + e.args[0].decode(errors="replace"))
        return 0
    print("OK " + reply.decode(errors="replace"))
    p.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
