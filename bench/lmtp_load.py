#!/usr/bin/env python3
"""LMTP load generator: delivers N messages of SIZE bytes to R recipients
over C parallel connections (pipelined MAIL/RCPT, several messages per
connection) and reports messages/s. Works against any LMTP server
(popstore, Dovecot), so both can be measured with the same load.

usage: lmtp_load.py HOST:PORT|/unix/socket --messages N --size BYTES
                    --rcpt ADDR [--rcpt ADDR ...] | --rcpt-file FILE
                    [--connections C] [--per-connection M]

Prints one JSON line: messages, recipients, seconds, messages_per_s,
deliveries_per_s, failures (replies other than 250 after DATA).
Exit status 1 when any delivery failed.
"""
import argparse
import json
import multiprocessing
import socket
import sys
import time


def message(size, n):
    head = (
        "From: bench@load.test\r\nTo: rcpt@load.test\r\n"
        "Subject: load %d\r\nMessage-ID: <%d.%f@load.test>\r\n\r\n" % (n, n, time.time())
    ).encode()
    line = b"x" * 76 + b"\r\n"
    body = bytearray()
    while len(head) + len(body) < size:
        body += line
    return head + bytes(body[: max(0, size - len(head) - 2)]) + b"\r\n"


class Conn:
    def __init__(self, target):
        if target.startswith("/"):
            self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.s.connect(target)
        else:
            host, port = target.rsplit(":", 1)
            self.s = socket.create_connection((host, int(port)))
            self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.f = self.s.makefile("rb")
        self.lines = []
        self.reply()
        self.s.sendall(b"LHLO load.test\r\n")
        self.lines = []
        self.reply()
        # SIZE= only when the server offers it (RFC 1870); Dovecot doesn't.
        self.size_ok = any(l[4:8].upper() == b"SIZE" for l in self.lines)

    def reply(self):
        while True:
            line = self.f.readline()
            if not line:
                raise RuntimeError("connection closed")
            self.lines.append(line)
            if line[3:4] != b"-":
                return int(line[:3]), line

    def send(self, rcpts, data):
        size = b" SIZE=%d" % len(data) if self.size_ok else b""
        out = [b"MAIL FROM:<bench@load.test>%s\r\n" % size]
        out += [b"RCPT TO:<%s>\r\n" % r.encode() for r in rcpts]
        out.append(b"DATA\r\n")
        self.s.sendall(b"".join(out))
        code, line = self.reply()
        if code != 250:
            raise RuntimeError("MAIL refused: %r" % line)
        accepted = 0
        for _ in rcpts:
            code, _ = self.reply()
            accepted += code == 250
        code, line = self.reply()
        if accepted == 0:
            # DATA was refused: end the transaction before the next one.
            self.s.sendall(b"RSET\r\n")
            self.reply()
            return len(rcpts)
        if code != 354:
            raise RuntimeError("DATA refused: %r" % line)
        stuffed = data.replace(b"\r\n.", b"\r\n..")
        self.s.sendall(stuffed + b".\r\n")
        failures = len(rcpts) - accepted
        for _ in range(accepted):
            code, _ = self.reply()
            failures += code != 250
        return failures

    def close(self):
        self.s.sendall(b"QUIT\r\n")
        self.reply()
        self.s.close()


def worker(args):
    target, rcpts, size, count, per_conn, first = args
    failures = 0
    done = 0
    while done < count:
        c = Conn(target)
        for _ in range(min(per_conn, count - done)):
            failures += c.send(rcpts, message(size, first + done))
            done += 1
        c.close()
    return failures


def main():
    p = argparse.ArgumentParser()
    p.add_argument("target")
    p.add_argument("--messages", type=int, required=True)
    p.add_argument("--size", type=int, default=4096)
    p.add_argument("--rcpt", action="append", default=[])
    p.add_argument("--rcpt-file")
    p.add_argument("--connections", type=int, default=4)
    p.add_argument("--per-connection", type=int, default=100)
    a = p.parse_args()
    rcpts = list(a.rcpt)
    if a.rcpt_file:
        with open(a.rcpt_file) as f:
            rcpts += [l.strip() for l in f if l.strip()]
    if not rcpts:
        p.error("give --rcpt or --rcpt-file")
    c = max(1, a.connections)
    shares = [a.messages // c + (1 if i < a.messages % c else 0) for i in range(c)]
    jobs, first = [], 0
    for n in shares:
        jobs.append((a.target, rcpts, a.size, n, a.per_connection, first))
        first += n
    start = time.monotonic()
    with multiprocessing.Pool(c) as pool:
        failures = sum(pool.map(worker, jobs))
    secs = time.monotonic() - start
    print(json.dumps({
        "messages": a.messages, "recipients": len(rcpts), "size": a.size,
        "connections": c, "seconds": round(secs, 3),
        "messages_per_s": round(a.messages / secs, 1),
        "deliveries_per_s": round(a.messages * len(rcpts) / secs, 1),
        "failures": failures,
    }))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
