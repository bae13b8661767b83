#!/usr/bin/env python3
"""Test data for bench/pop3.sh.

message SIZE SEED         print one message of about SIZE bytes (CRLF lines,
                          some starting with '.') to stdout
maildir DIR USER COUNT SIZE
                          write COUNT messages into DIR/USER/Maildir/cur
                          with LF line ends, as Dovecot's LDA stores them
cpu PID                   print the CPU seconds used by PID and the processes
                          below it
pss PID                   print the proportional set size (KiB) of PID and
                          all its descendants
lmtp HOST PORT USERPREFIX USERS COUNT SIZE
                          deliver COUNT messages to each of USERS users
                          over LMTP (one transaction per message)
"""
import os
import smtplib
import sys
import time


def message(size, seed):
    head = (
        f"From: Bench Sender <sender@example.org>\r\n"
        f"To: user@example.org\r\n"
        f"Subject: benchmark message {seed}\r\n"
        f"Message-ID: <bench.{seed}@example.org>\r\n"
        f"Date: Sun, 22 Nov 2026 12:00:00 +0000\r\n"
        f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
    ).encode()
    out = bytearray(head)
    i = 0
    while len(out) < size - 80:
        line = f"{seed:06d} {i:06d} the quick brown fox jumps over the lazy dog 0123456789"
        if i % 23 == 0:
            line = "." + line
        out += line.encode() + b"\r\n"
        i += 1
    return bytes(out)


def maildir(root, user, count, size):
    cur = os.path.join(root, user, "Maildir", "cur")
    for d in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(root, user, "Maildir", d), exist_ok=True)
    now = int(time.time())
    for n in range(count):
        crlf = message(size, n)
        lf = crlf.replace(b"\r\n", b"\n")
        name = f"{now}.M{n}P1.bench,S={len(lf)},W={len(crlf)}:2,"
        with open(os.path.join(cur, name), "wb") as f:
            f.write(lf)


def tree(pid):
    """PID and every process below it."""
    children = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(p))
            except OSError:
                pass
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def pss(pid):
    total = 0
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def cpu(pid):
    """CPU seconds (user + system) used by PID and the processes below it."""
    ticks = 0
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return ticks / os.sysconf("SC_CLK_TCK")


def lmtp(host, port, prefix, users, count, size):
    c = smtplib.LMTP(host, port)
    c.ehlo("bench")
    for n in range(count):
        msg = message(size, n)
        for u in range(1, users + 1):
            c.sendmail("sender@example.org", [f"{prefix}{u}"], msg)
    c.quit()


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "message":
        sys.stdout.buffer.write(message(int(args[0]), int(args[1])))
    elif cmd == "maildir":
        maildir(args[0], args[1], int(args[2]), int(args[3]))
    elif cmd == "pss":
        print(pss(int(args[0])))
    elif cmd == "cpu":
        print(f"{cpu(int(args[0])):.2f}")
    elif cmd == "lmtp":
        lmtp(args[0], int(args[1]), args[2], int(args[3]), int(args[4]), int(args[5]))
    else:
        raise SystemExit(__doc__)
