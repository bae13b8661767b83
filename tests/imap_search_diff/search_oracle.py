#!/usr/bin/env python3
"""Differential-test oracle: a private Dovecot 2.3 answers SEARCH, SORT and THREAD.

Usage: search_oracle.py WORKDIR

Reads WORKDIR/messages (records: ``LEN FLAGS|INTERNALDATE\\n`` then LEN bytes of
message, then ``\\n``; FLAGS space-separated, may be empty) and WORKDIR/commands
(records: ``LEN\\n`` then LEN bytes of one command without tag and CRLF, then ``\\n``).
Starts ``dovecot -F -c WORKDIR/dovecot.conf`` on a free loopback port (the
configuration of ../mime_diff/dovecot_oracle.py), APPENDs every message in order
with its flags and INTERNALDATE, then, in a second session (so that no message is
\\Recent in it), SELECTs INBOX and runs each command. Writes WORKDIR/answers: per
command a record ``LEN\\n`` + LEN bytes + ``\\n`` holding the SEARCH/ESEARCH/SORT/THREAD
lines it got (CRLF-terminated) and a last line ``OK``, ``NO [CODE]`` or ``BAD``.
Stops Dovecot before exiting.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "mime_diff"))
import dovecot_oracle as d  # noqa: E402


def records(path, with_head=False):
    data = open(path, "rb").read()
    i = 0
    while i < len(data):
        j = data.index(b"\n", i)
        head = data[i:j].decode()
        n = int(head.split(" ", 1)[0])
        body = data[j + 1 : j + 1 + n]
        i = j + 1 + n + 1
        yield (head.split(" ", 1)[1] if with_head else None), body


def login(port, proc, work):
    c = d.Conn(d.connect(port, time.monotonic() + 30, proc, work))
    c.line()
    c.send(f"a LOGIN {d.USER} {d.PASSWORD}\r\n".encode())
    _, t = d.read_response(c, b"a")
    assert b" OK" in t, t
    return c


def main():
    work = os.path.abspath(sys.argv[1])
    if shutil.which("dovecot") is None:
        sys.exit("dovecot not found: install it with ci/install-deps.sh")
    imap_port, lmtp_port = d.free_port(), d.free_port()
    conf = d.write_config(work, imap_port, lmtp_port)
    env = dict(os.environ, TZ="UTC")
    proc = subprocess.Popen(["dovecot", "-F", "-c", conf], env=env)
    try:
        c = login(imap_port, proc, work)
        for n, (head, msg) in enumerate(records(os.path.join(work, "messages"), True)):
            flags, date = head.split("|")
            c.send(b'p%d APPEND INBOX (%s) "%s" {%d+}\r\n' % (n, flags.encode(), date.encode(), len(msg)))
            c.send(msg + b"\r\n")
            _, t = d.read_response(c, b"p%d" % n)
            assert b" OK" in t, t
        c.send(b"z LOGOUT\r\n")
        c = login(imap_port, proc, work)
        c.send(b"b SELECT INBOX\r\n")
        _, t = d.read_response(c, b"b")
        assert b" OK" in t, t
        out = []
        for n, (_, cmd) in enumerate(records(os.path.join(work, "commands"))):
            tag = b"c%d" % n
            c.send(tag + b" " + cmd + b"\r\n")
            untagged, t = d.read_response(c, tag)
            ans = b"".join(
                u for u in untagged if re.match(rb"\* (SEARCH|ESEARCH|SORT|THREAD)\b", u)
            )
            status = t[len(tag) + 1 :].split(b" ")[0]
            code = re.search(rb"\[([A-Z-]+)", t) if status == b"NO" else None
            ans += status + (b" [" + code.group(1) + b"]" if code else b"")
            out.append(ans)
        c.send(b"z LOGOUT\r\n")
        with open(os.path.join(work, "answers"), "wb") as f:
            for a in out:
                f.write(b"%d\n" % len(a) + a + b"\n")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    main()
