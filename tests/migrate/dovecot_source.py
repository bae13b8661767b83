#!/usr/bin/env python3
"""The old store for the migration tests: a private Dovecot 2.3 (IMAP, POP3, LMTP
on free loopback ports, Maildir++), filled the way users fill it, then described.

usage: dovecot_source.py serve WORKDIR
    Starts ``dovecot -F -c WORKDIR/dovecot.conf`` (IMAP with STARTTLS and IMAPS
    by a self-signed certificate, WORKDIR/cert.pem), delivers messages over LMTP,
    sets flags and keywords, makes folders and APPENDs to them over IMAP,
    expunges one message (so UIDs have a gap), lists and RETRs INBOX over
    Dovecot's POP3. Writes WORKDIR/expected.json ({"pop3": ..., "imap": ...,
    "ports": ...}), prints "READY <imap port>", then keeps Dovecot running until
    standard input closes, and stops it.
usage: dovecot_source.py pop3 PORT USER PASSWORD
    Prints {"uidl": [...], "sha256": [...], "sizes": [...]} of a POP3 maildrop
    (poplib: UIDL, then RETR of each; nothing deleted).
usage: dovecot_source.py imap PORT USER PASSWORD
    Prints every folder's UIDVALIDITY and messages (UID, flags, INTERNALDATE,
    RFC822.SIZE, sha256 of BODY.PEEK[]) as read over IMAP (imaplib).
"""
import calendar
import grp
import hashlib
import imaplib
import json
import os
import poplib
import pwd
import re
import signal
import smtplib
import socket
import subprocess
import sys
import time

USER = "olduser"
PASSWORD = "old-pw"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def make_cert(work):
    """A self-signed certificate for 127.0.0.1 and localhost (work/cert.pem)."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-addext", "basicConstraints=critical,CA:FALSE",
         "-keyout", os.path.join(work, "key.pem"), "-out", os.path.join(work, "cert.pem")],
        check=True, capture_output=True)


def write_config(work, ports):
    make_cert(work)
    pw = pwd.getpwnam("nobody") if os.getuid() == 0 else pwd.getpwuid(os.getuid())
    if os.getuid() == 0:
        users = 'default_login_user = dovenull\ndefault_internal_user = dovecot\n'
    else:
        group = grp.getgrgid(pw.pw_gid).gr_name
        users = (f"default_login_user = {pw.pw_name}\ndefault_internal_user = {pw.pw_name}\n"
                 f"default_internal_group = {group}\n")
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
protocols = imap pop3 lmtp
listen = 127.0.0.1
ssl = yes
ssl_cert = <{work}/cert.pem
ssl_key = <{work}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
{users}
first_valid_uid = {pw.pw_uid}
last_valid_uid = {pw.pw_uid}
first_valid_gid = {pw.pw_gid}
mail_location = maildir:{mail}/%u/Maildir
mail_fsync = never
postmaster_address = postmaster@example.org
lmtp_add_received_header = no
lmtp_hdr_delivery_address = none
pop3_no_flag_updates = yes
pop3_uidl_format = %08Xu%08Xv
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
    port = {ports['imap']}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {ports['imaps']}
  }}
}}
service pop3-login {{
  chroot =
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {ports['pop3']}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {ports['lmtp']}
  }}
}}
"""
    path = os.path.join(work, "dovecot.conf")
    with open(path, "w") as f:
        f.write(conf)
    return path


def wait_port(port, proc, work):
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                log = ""
                try:
                    log = open(os.path.join(work, "dovecot.log")).read()[-3000:]
                except OSError:
                    pass
                sys.exit(f"dovecot did not start listening on {port}\n{log}")
            time.sleep(0.05)


MESSAGES = [
    b"From: Ann <ann@example.org>\r\nTo: olduser@example.org\r\nSubject: plain\r\n"
    b"Date: Mon, 2 Nov 2026 10:00:00 +0000\r\nMessage-ID: <1@example.org>\r\n\r\nhello\r\n",
    b"From: Bob <bob@example.org>\r\nSubject: from lines\r\nDate: Tue, 3 Nov 2026 10:00:00 +0000\r\n\r\n"
    b"From the start of a line\r\n>From quoted\r\n\r\nFrom x@y Sat Dec  5 09:35:39 2026\r\n.a dot line\r\n",
    b"Subject: no sender and no date\r\n\r\nanonymous\r\n",
    b"From: c@example.org\r\nSubject: unknown charset\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=x-no-such-charset\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    b"\xe9t\xe9 \xff\xfe bytes\r\n",
    b"From: d@example.org\r\nSubject: to be expunged\r\n\r\ngone\r\n",
    b"From: e@example.org\r\nSubject: sixth\r\n\r\n" + b"line of a longer body\r\n" * 200,
    b"From: f@example.org\r\nSubject: seventh\r\n\r\nseven\r\n",
]


def lmtp_deliver(port, messages):
    with smtplib.LMTP("127.0.0.1", port) as s:
        for m in messages:
            s.sendmail("sender@example.org", [USER], m)


def pop3_state(port, user, password):
    p = poplib.POP3("127.0.0.1", port, timeout=60)
    p.user(user)
    p.pass_(password)
    uidls, shas, sizes = [], [], []
    for line in p.uidl()[1]:
        n, u = line.decode().split(" ", 1)
        uidls.append(u)
        _, lines, _ = p.retr(int(n))
        data = b"".join(l + b"\r\n" for l in lines)
        shas.append(hashlib.sha256(data).hexdigest())
        sizes.append(len(data))
    p.quit()
    return {"uidl": uidls, "sha256": shas, "sizes": sizes}


def imap_state(port, user, password):
    m = imaplib.IMAP4("127.0.0.1", port)
    m.login(user, password)
    typ, lines = m.list('""', "*")
    out = {}
    for l in lines:
        mo = re.match(rb'\((.*?)\) (NIL|"(.)") (.*)$', l)
        flags, delim, name = mo.group(1), mo.group(3), mo.group(4).strip(b'"').decode()
        if b"\\Noselect" in flags or b"\\NonExistent" in flags:
            continue
        stored = name.replace(delim.decode(), "/") if delim else name
        m.select(f'"{name}"', readonly=True)
        uv = int(m.untagged_responses.get("UIDVALIDITY", [b"0"])[-1])
        typ, data = m.uid("FETCH", "1:*", "(UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])")
        msgs = []
        for d in data:
            if not isinstance(d, tuple):
                continue
            head, body = d
            uid = int(re.search(rb"UID (\d+)", head).group(1))
            fl = re.search(rb"FLAGS \((.*?)\)", head).group(1).decode().split()
            fl = sorted(f for f in fl if f != "\\Recent")
            date = re.search(rb'INTERNALDATE "(.*?)"', head).group(1).decode()
            t = imaplib.Internaldate2tuple(b'INTERNALDATE "' + date.encode() + b'"')
            secs = calendar.timegm(time.gmtime(time.mktime(t)))
            size = int(re.search(rb"RFC822.SIZE (\d+)", head).group(1))
            msgs.append({
                "uid": uid, "flags": fl,
                "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(secs)),
                "size": size, "sha256": hashlib.sha256(body).hexdigest(),
            })
        msgs.sort(key=lambda x: x["uid"])
        out["INBOX" if stored.upper() == "INBOX" else imap_utf7_decode(stored)] = {
            "uidvalidity": uv, "messages": msgs}
    m.logout()
    return out


def imap_utf7_decode(s):
    import base64
    def repl(mo):
        b = mo.group(1)
        if b == "":
            return "&"
        b = b.replace(",", "/")
        b += "=" * (-len(b) % 4)
        return base64.b64decode(b).decode("utf-16-be")
    return re.sub(r"&([A-Za-z0-9+,]*)-", repl, s)


def fill(ports):
    lmtp_deliver(ports["lmtp"], MESSAGES)
    m = imaplib.IMAP4("127.0.0.1", ports["imap"])
    m.login(USER, PASSWORD)
    m.select("INBOX")
    m.uid("STORE", "1", "+FLAGS", r"(\Seen \Answered)")
    m.uid("STORE", "2", "+FLAGS", r"(\Flagged $Work)")
    m.uid("STORE", "3", "+FLAGS", r"(\Seen \Draft Later)")
    m.uid("STORE", "5", "+FLAGS", r"(\Deleted)")
    m.expunge()
    m.create("Archive")
    m.create("Archive.2026")
    m.create("Caf&AOk-")
    date = imaplib.Time2Internaldate(1577872800)  # 2020-01-01 10:00:00 UTC
    for i in range(3):
        m.append("Archive.2026", r"(\Seen)", date,
                 f"From: g@example.org\r\nSubject: archived {i}\r\n\r\nold {i}\r\n".encode())
    m.append("Caf&AOk-", r"(\Flagged $Label1)", date, b"Subject: caf\xc3\xa9\r\n\r\nx\r\n")
    m.logout()
    # One more over LMTP after the folders: UIDs 8 and on.
    lmtp_deliver(ports["lmtp"], [b"From: h@example.org\r\nSubject: last\r\n\r\nlast\r\n"])


def serve(work):
    os.makedirs(work, exist_ok=True)
    ports = {"imap": free_port(), "imaps": free_port(), "pop3": free_port(), "lmtp": free_port()}
    conf = write_config(work, ports)
    proc = subprocess.Popen(["dovecot", "-F", "-c", conf])
    try:
        for p in ports.values():
            wait_port(p, proc, work)
        fill(ports)
        expected = {
            "ports": ports,
            "maildir": os.path.join(work, "mail", USER, "Maildir"),
            "pop3": pop3_state(ports["pop3"], USER, PASSWORD),
            "imap": imap_state(ports["imap"], USER, PASSWORD),
        }
        with open(os.path.join(work, "expected.json"), "w") as f:
            json.dump(expected, f, indent=1)
        print(f"READY {ports['imap']}", flush=True)
        sys.stdin.read()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    mode = sys.argv[1]
    if mode == "serve":
        serve(sys.argv[2])
    elif mode == "pop3":
        print(json.dumps(pop3_state(int(sys.argv[2]), sys.argv[3], sys.argv[4])))
    elif mode == "imap":
        print(json.dumps(imap_state(int(sys.argv[2]), sys.argv[3], sys.argv[4])))
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
