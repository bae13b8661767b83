#!/usr/bin/env python3
"""Differential-test oracle: a private Dovecot 2.3 answers IMAP FETCH for messages.

Usage: dovecot_oracle.py WORKDIR

Reads WORKDIR/in/NAME.eml (the bytes to deliver, CRLF lines, ending in CRLF) and
WORKDIR/in/NAME.fetch (one FETCH data item per line, e.g. ``BODY.PEEK[1.MIME]``).
Starts ``dovecot -F -c WORKDIR/dovecot.conf`` on free loopback ports, delivers every
message over LMTP (in name order), fetches the items of each over IMAP, and writes
WORKDIR/out/NAME.out: for every data item of the FETCH response, ``ITEM LEN\\n`` then
LEN raw bytes then ``\\n`` (ITEM as Dovecot named it, e.g. ``BODY[1.MIME]``).
Stops Dovecot before exiting. Exit status 0 on success, 1 with a message otherwise.
"""
import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time

SENDER = "sender@example.org"
USER = "t"
PASSWORD = "pw"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def write_config(work, imap_port, lmtp_port):
    if os.getuid() == 0:
        pw = pwd.getpwnam("nobody")
        login_user, internal_user, internal_group = "dovenull", "dovecot", "dovecot"
    else:
        # Unprivileged: every Dovecot process runs as this user.
        pw = pwd.getpwuid(os.getuid())
        login_user = internal_user = pw.pw_name
        internal_group = grp.getgrgid(pw.pw_gid).gr_name
    mail = os.path.join(work, "mail")
    os.makedirs(mail, exist_ok=True)
    for d in (work, mail):
        os.chmod(d, 0o755)
    if os.getuid() == 0:
        os.chown(mail, pw.pw_uid, pw.pw_gid)
    with open(os.path.join(work, "passwd"), "w") as f:
        f.write(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    conf = f"""
base_dir = {work}/run
state_dir = {work}/state
log_path = {work}/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {internal_group}
first_valid_uid = {pw.pw_uid}
last_valid_uid = {pw.pw_uid}
first_valid_gid = {pw.pw_gid}
mail_location = maildir:{mail}/%u
mail_fsync = never
postmaster_address = postmaster@example.org
lmtp_add_received_header = no
lmtp_hdr_delivery_address = none
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {work}/passwd
}}
userdb {{
  driver = static
  args = uid={pw.pw_uid} gid={pw.pw_gid} home={mail}/%u
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp_port}
  }}
}}
"""
    path = os.path.join(work, "dovecot.conf")
    with open(path, "w") as f:
        f.write(conf)
    return path


def connect(port, deadline, proc, work):
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=60)
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                log = ""
                try:
                    log = open(os.path.join(work, "dovecot.log")).read()[-3000:]
                except OSError:
                    pass
                sys.exit(f"dovecot did not start listening on {port}\n{log}")
            time.sleep(0.05)


class Conn:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def line(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk
        i = self.buf.index(b"\n") + 1
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def exact(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(max(65536, n - len(self.buf)))
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send(self, data):
        self.sock.sendall(data)


def lmtp_deliver(conn, messages):
    def reply():
        while True:
            l = conn.line()
            if l[3:4] != b"-":
                return l

    r = reply()
    assert r.startswith(b"220"), r
    conn.send(b"LHLO oracle\r\n")
    assert reply().startswith(b"250")
    for name, data in messages:
        conn.send(f"MAIL FROM:<{SENDER}>\r\n".encode())
        r = reply()
        assert r.startswith(b"250"), r
        conn.send(f"RCPT TO:<{USER}>\r\n".encode())
        r = reply()
        assert r.startswith(b"250"), r
        conn.send(b"DATA\r\n")
        r = reply()
        assert r.startswith(b"354"), r
        body = data.replace(b"\r\n.", b"\r\n..")
        if body.startswith(b"."):
            body = b"." + body
        conn.send(body + b".\r\n")
        r = reply()
        if not r.startswith(b"250"):
            sys.exit(f"LMTP refused {name}: {r!r}")
    conn.send(b"QUIT\r\n")


def read_response(conn, tag):
    """Returns the untagged responses (raw, literals inlined) and the tagged line."""
    untagged = []
    cur = b""
    while True:
        l = conn.line()
        cur += l
        if l.endswith(b"}\r\n"):
            j = l.rindex(b"{")
            n = int(l[j + 1 : -3])
            cur += conn.exact(n)
            continue
        if cur.startswith(tag + b" "):
            return untagged, cur
        untagged.append(cur)
        cur = b""


def skip_value(data, i):
    """Returns the end index of the IMAP value starting at data[i]."""
    c = data[i : i + 1]
    if c == b"(":
        depth = 0
        while True:
            c = data[i : i + 1]
            if c == b"(":
                depth += 1
                i += 1
            elif c == b")":
                depth -= 1
                i += 1
                if depth == 0:
                    return i
            elif c == b'"':
                i = skip_value(data, i)
            elif c == b"{":
                i = skip_value(data, i)
            elif c == b"":
                raise ValueError("unbalanced")
            else:
                i += 1
    if c == b'"':
        i += 1
        while data[i : i + 1] != b'"':
            if data[i : i + 1] == b"\\":
                i += 1
            i += 1
        return i + 1
    if c == b"{":
        j = data.index(b"}", i)
        n = int(data[i + 1 : j])
        return j + 3 + n
    while i < len(data) and data[i : i + 1] not in (b" ", b")"):
        i += 1
    return i


def parse_fetch(resp):
    """Splits '* N FETCH (ITEM VALUE ...)' into [(item, raw value)]."""
    i = resp.index(b"(") + 1
    items = []
    while resp[i : i + 1] != b")":
        j = i
        depth = 0
        while True:
            c = resp[j : j + 1]
            if c == b"[":
                depth += 1
            elif c == b"]":
                depth -= 1
            elif c == b" " and depth == 0:
                break
            j += 1
        name = resp[i:j].decode()
        k = skip_value(resp, j + 1)
        items.append((name, resp[j + 1 : k]))
        i = k
        if resp[i : i + 1] == b" ":
            i += 1
    return items


def log_tail(work):
    try:
        with open(os.path.join(work, "dovecot.log"), errors="replace") as f:
            return "".join(f.readlines()[-5:])
    except OSError:
        return ""


def unliteral(value):
    if value.startswith(b"{"):
        j = value.index(b"}")
        return value[j + 3 :]
    if value == b"NIL":
        return None
    if value.startswith(b'"'):
        return value[1:-1].replace(b'\\"', b'"').replace(b"\\\\", b"\\")
    return value


def main():
    work = os.path.abspath(sys.argv[1])
    indir = os.path.join(work, "in")
    outdir = os.path.join(work, "out")
    os.makedirs(outdir, exist_ok=True)
    names = sorted(n[:-4] for n in os.listdir(indir) if n.endswith(".eml"))
    if shutil.which("dovecot") is None:
        sys.exit("dovecot not found: install it with ci/install-deps.sh")
    imap_port, lmtp_port = free_port(), free_port()
    conf = write_config(work, imap_port, lmtp_port)
    proc = subprocess.Popen(["dovecot", "-F", "-c", conf])
    try:
        deadline = time.monotonic() + 30
        lmtp = Conn(connect(lmtp_port, deadline, proc, work))
        msgs = [(n, open(os.path.join(indir, n + ".eml"), "rb").read()) for n in names]
        lmtp_deliver(lmtp, msgs)
        def login():
            c = Conn(connect(imap_port, time.monotonic() + 30, proc, work))
            c.line()
            c.send(f"a LOGIN {USER} {PASSWORD}\r\n".encode())
            _, t = read_response(c, b"a")
            assert b" OK" in t, t
            c.send(b"b SELECT INBOX\r\n")
            _, t = read_response(c, b"b")
            assert b" OK" in t, t
            return c

        imap = login()
        for uid, name in enumerate(names, start=1):
            items = [l.strip() for l in open(os.path.join(indir, name + ".fetch")) if l.strip()]
            out = []
            # One item per FETCH, so that a NO for one item hides no other.
            for item in items:
                try:
                    imap.send(b"f UID FETCH %d (%s)\r\n" % (uid, item.encode()))
                    untagged, t = read_response(imap, b"f")
                except (EOFError, OSError):
                    # The imap process died on this message: say so, go on.
                    out.append((item + "!BYE", log_tail(work).encode()))
                    imap = login()
                    continue
                if b" OK" not in t[:5]:
                    out.append((item + "!NO", t.strip()))
                    continue
                for u in untagged:
                    if b" FETCH (" in u:
                        for n, v in parse_fetch(u):
                            if n != "UID":
                                out.append((n, v))
            with open(os.path.join(outdir, name + ".out"), "wb") as f:
                for n, v in out:
                    f.write(b"%s %d\n" % (n.encode(), len(v)) + v + b"\n")
        imap.send(b"z LOGOUT\r\n")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    main()
