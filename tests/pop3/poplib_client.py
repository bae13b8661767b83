#!/usr/bin/env python3
"""A real POP3 client (Python's poplib) for popstore's integration tests.

usage: poplib_client.py MODE HOST PORT USER PASSWORD OUTDIR

Logs in by MODE (userpass, apop, plain, login, scram, stls, ssl), writes every
message to OUTDIR/N.eml (lines joined with CRLF, as poplib unstuffed them),
deletes them when the environment has DELETE=1, and QUITs. Prints a JSON
summary (capabilities, uidls, welcome) on stdout. Mode "drop" logs in, marks
message 1 deleted and closes the socket without QUIT. Mode "inuse" holds one
session open and tries a second; it prints the second login's error.
"""
import base64
import hashlib
import hmac
import json
import os
import poplib
import ssl
import sys


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def scram(p, user, password):
    cnonce = base64.b64encode(os.urandom(18)).decode()
    bare = f"n={user},r={cnonce}"
    resp = p._shortcmd("AUTH SCRAM-SHA-256 " + base64.b64encode(("n,," + bare).encode()).decode())
    assert resp.startswith(b"+ "), resp
    server_first = base64.b64decode(resp[2:]).decode()
    attrs = dict(kv.split("=", 1) for kv in server_first.split(","))
    assert attrs["r"].startswith(cnonce)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(attrs["s"]), int(attrs["i"]))
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    stored = hashlib.sha256(client_key).digest()
    without = f"c=biws,r={attrs['r']}"
    auth_msg = f"{bare},{server_first},{without}".encode()
    sig = hmac.new(stored, auth_msg, "sha256").digest()
    proof = bytes(a ^ b for a, b in zip(client_key, sig))
    final = f"{without},p={base64.b64encode(proof).decode()}"
    resp = p._shortcmd(base64.b64encode(final.encode()).decode())
    assert resp.startswith(b"+ "), resp
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()
    expected = "v=" + base64.b64encode(hmac.new(server_key, auth_msg, "sha256").digest()).decode()
    assert base64.b64decode(resp[2:]).decode() == expected, "server signature mismatch"
    return p._shortcmd("")


def connect(mode, host, port):
    if mode == "ssl":
        return poplib.POP3_SSL(host, port, context=tls_context())
    return poplib.POP3(host, port)


def login(p, mode, user, password):
    if mode == "stls":
        p.stls(tls_context())
    if mode in ("userpass", "stls", "ssl", "drop", "inuse"):
        p.user(user)
        return p.pass_(password)
    if mode == "apop":
        return p.apop(user, password)
    if mode == "plain":
        return p._shortcmd("AUTH PLAIN " + base64.b64encode(f"\0{user}\0{password}".encode()).decode())
    if mode == "login":
        assert p._shortcmd("AUTH LOGIN").startswith(b"+ ")
        assert p._shortcmd(base64.b64encode(user.encode()).decode()).startswith(b"+ ")
        return p._shortcmd(base64.b64encode(password.encode()).decode())
    if mode == "scram":
        return scram(p, user, password)
    raise SystemExit(f"unknown mode {mode}")


def main():
    mode, host, port, user, password, outdir = sys.argv[1:7]
    port = int(port)
    p = connect(mode, host, port)
    summary = {"welcome": p.getwelcome().decode(), "capa_before": sorted(p.capa().keys())}
    if mode == "inuse":
        login(p, mode, user, password)
        q = connect(mode, host, port)
        q.user(user)
        try:
            q.pass_(password)
            summary["second"] = "+OK"
        except poplib.error_proto as e:
            summary["second"] = e.args[0].decode()
        q.quit()
        p.quit()
        print(json.dumps(summary))
        return
    summary["login"] = login(p, mode, user, password).decode()
    summary["capa_after"] = sorted(p.capa().keys())
    if mode == "drop":
        p.dele(1)
        p.sock.close()
        print(json.dumps(summary))
        return
    count, _ = p.stat()
    summary["uidl"] = [u.decode() for u in p.uidl()[1]]
    summary["list"] = [l.decode() for l in p.list()[1]]
    summary["top"] = [l.decode("latin-1") for l in p.top(1, 1)[1]] if count else []
    for n in range(1, count + 1):
        _, lines, _ = p.retr(n)
        with open(os.path.join(outdir, f"{n}.eml"), "wb") as f:
            f.write(b"".join(line + b"\r\n" for line in lines))
        if os.environ.get("DELETE") == "1":
            p.dele(n)
    summary["quit"] = p.quit().decode()
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
