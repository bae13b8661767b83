#!/usr/bin/env python3
"""Drives popstore's ManageSieve with the sievelib client (PyPI).

usage: sievelib_client.py HOST PORT USER PASSWORD

Uploads a broken script (expects a refusal naming its line), uploads the
script on standard input as "filter", checks, lists, activates, downloads
it, uploads and deletes a second one, and prints a JSON summary.
"""
import json
import sys

from sievelib.managesieve import Client


def main():
    host, port, user, password = sys.argv[1:5]
    script = sys.stdin.read()
    c = Client(host, int(port))
    assert c.connect(user, password, starttls=False, authmech="PLAIN"), c.errmsg
    out = {"capabilities": c.get_sieve_capabilities()}
    out["broken_put"] = c.putscript("broken", "keep;\nfileinto \"x\";\n")
    out["broken_error"] = (c.errmsg or b"").decode() if isinstance(c.errmsg, bytes) else str(c.errmsg)
    out["check"] = c.checkscript(script)
    out["put"] = c.putscript("filter", script)
    out["put_other"] = c.putscript("other", "keep;\n")
    out["active"] = c.setactive("filter")
    active, others = c.listscripts()
    out["list"] = {"active": active, "others": others}
    out["got"] = c.getscript("filter")
    out["delete_active"] = c.deletescript("filter")
    out["delete_other"] = c.deletescript("other")
    active, others = c.listscripts()
    out["list_after"] = {"active": active, "others": others}
    c.logout()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
