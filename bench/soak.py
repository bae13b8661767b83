#!/usr/bin/env python3
"""Soak driver for popstore (issue 18, item 4): a mixed load from N
concurrent clients for D seconds against a running `popstore serve`,
sampling the server's RSS, open descriptors and threads, then a check that
every acknowledged message is accounted for.

Each client is a thread that loops until the end:
  - an LMTP transaction (about 70 % of its turns): one message of 1-16 KiB
    to a random user, its Subject a unique token; a 250 after the data is
    an acknowledged message;
  - a POP3 session on its own user (about 30 %; no two clients share a
    maildrop, so no [IN-USE]): USER/PASS, UIDL, RETR and DELE of up to
    20 messages, QUIT;
  - with --imap, an IMAP session instead of every other POP3 session
    (LOGIN, SELECT INBOX, FETCH of up to 10 messages, STORE \\Deleted,
    EXPUNGE, LOGOUT).
At the end every user's maildrop is drained over POP3: an acknowledged token
neither retrieved during the run nor found then is a lost message.

Prints a report and exits 1 on FAIL: any error (an unexpected reply, a
refused or broken connection), any lost message, or steady growth: a
least-squares slope over the second half of the samples above
--max-rss-slope MiB/min (and the RSS grown by more than --max-rss-grow MiB
over that half), or above --max-fd-slope descriptors/min (and more than
--max-fd-grow descriptors grown).
"""

import argparse
import imaplib
import os
import poplib
import random
import re
import smtplib
import statistics
import sys
import threading
import time
from collections import defaultdict

TOKEN = re.compile(rb"^Subject: (soak-\d+-\d+)\r?$", re.M)


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latency = defaultdict(list)  # op -> seconds
        self.errors = []
        self.acked = set()
        self.retrieved = set()
        self.count = defaultdict(int)

    def time(self, op, start):
        with self.lock:
            self.latency[op].append(time.monotonic() - start)

    def error(self, what):
        with self.lock:
            self.errors.append(what)

    def add(self, name, tokens):
        with self.lock:
            getattr(self, name).update(tokens)

    def incr(self, op):
        with self.lock:
            self.count[op] += 1


def message(token, size):
    body = ("x" * 70 + "\r\n") * max(1, size // 72)
    return (
        f"From: soak@example.org\r\nTo: soak@localhost\r\nSubject: {token}\r\n"
        f"Message-ID: <{token}@soak>\r\n\r\n{body}"
    ).encode()


def lmtp_turn(a, st, cid, seq):
    token = f"soak-{cid}-{seq}"
    user = f"soak{random.randrange(a.clients)}"
    t = time.monotonic()
    with smtplib.LMTP(a.host, a.lmtp, timeout=60) as c:
        c.ehlo("soak.test")
        st.time("lmtp_connect", t)
        t = time.monotonic()
        refused = c.sendmail(
            "soak@example.org",
            [f"{user}@localhost"],
            message(token, random.randint(1024, 16384)),
        )
        st.time("lmtp_deliver", t)
        if refused:
            raise RuntimeError(f"LMTP refused {token}: {refused}")
        st.add("acked", [token])
        st.incr("delivered")
        c.quit()


def pop3_session(a, user, st, limit, dele=True, timed=True):
    """Retrieves (and deletes) up to `limit` messages; returns the tokens."""
    tokens = []

    def op(name, f, *args):
        t = time.monotonic()
        r = f(*args)
        if timed:
            st.time(name, t)
        return r

    c = op("pop3_connect", poplib.POP3, a.host, a.pop3, 60)
    try:
        op("pop3_login", lambda: (c.user(user), c.pass_(f"{user}-pw")))
        _, listing, _ = c.uidl()
        for line in listing[:limit]:
            n = int(line.split()[0])
            _, lines, _ = op("pop3_retr", c.retr, n)
            m = TOKEN.search(b"\r\n".join(lines))
            if not m:
                raise RuntimeError(f"{user} message {n} has no soak token")
            tokens.append(m.group(1).decode())
            if dele:
                op("pop3_dele", c.dele, n)
        op("pop3_quit", c.quit)
    except Exception:
        c.close()
        raise
    return tokens


def imap_session(a, user, st):
    t = time.monotonic()
    c = imaplib.IMAP4(a.host, a.imap_port, timeout=60)
    c.login(user, f"{user}-pw")
    st.time("imap_login", t)
    c.select("INBOX")
    _, data = c.uid("SEARCH", None, "ALL")
    uids = data[0].split()[:10]
    tokens = []
    for uid in uids:
        t = time.monotonic()
        _, parts = c.uid("FETCH", uid, "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        st.time("imap_fetch", t)
        m = TOKEN.search(parts[0][1]) if parts and parts[0] else None
        if m:
            tokens.append(m.group(1).decode())
    if uids:
        t = time.monotonic()
        c.uid("STORE", b",".join(uids), "+FLAGS", r"(\Deleted)")
        c.expunge()
        st.time("imap_expunge", t)
    c.logout()
    return tokens


def client(a, st, cid, deadline):
    rnd = random.Random(cid)
    seq = 0
    user = f"soak{cid}"
    turn = 0
    while time.monotonic() < deadline:
        turn += 1
        try:
            if rnd.random() < 0.7:
                seq += 1
                lmtp_turn(a, st, cid, seq)
            elif a.imap_port and turn % 2 == 0:
                st.add("retrieved", imap_session(a, user, st))
                st.incr("imap_sessions")
            else:
                st.add("retrieved", pop3_session(a, user, st, 20))
                st.incr("pop3_sessions")
        except Exception as e:  # every failure is an error of the run
            st.error(f"client {cid}: {type(e).__name__}: {e}")


def sample(pid):
    with open(f"/proc/{pid}/status") as f:
        status = dict(line.split(":", 1) for line in f if ":" in line)
    rss = int(status["VmRSS"].split()[0]) / 1024.0
    threads = int(status["Threads"])
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return rss, fds, threads


def slope(points):
    """Least-squares slope of (t, v) points, per minute."""
    if len(points) < 3:
        return 0.0
    mt = statistics.fmean(t for t, _ in points)
    mv = statistics.fmean(v for _, v in points)
    den = sum((t - mt) ** 2 for t, _ in points)
    return 60.0 * sum((t - mt) * (v - mv) for t, v in points) / den if den else 0.0


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--lmtp", type=int, required=True, help="LMTP port")
    p.add_argument("--pop3", type=int, required=True, help="POP3 port")
    p.add_argument("--imap", dest="imap_port", type=int, default=0,
                   help="IMAP port: adds IMAP sessions (once popstore has IMAP)")
    p.add_argument("--pid", type=int, required=True, help="the server's pid")
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--seconds", type=int, default=1800)
    p.add_argument("--interval", type=float, default=10.0, help="seconds between samples")
    p.add_argument("--max-rss-slope", type=float, default=4.0, help="MiB/min")
    p.add_argument("--max-rss-grow", type=float, default=32.0, help="MiB")
    p.add_argument("--max-fd-slope", type=float, default=2.0, help="descriptors/min")
    p.add_argument("--max-fd-grow", type=float, default=16.0, help="descriptors")
    a = p.parse_args()
    if not 1 <= a.seconds <= 4 * 3600:
        sys.exit("--seconds must be between 1 and 14400 (4 hours)")

    st = Stats()
    start = time.monotonic()
    deadline = start + a.seconds
    samples = [(0.0, *sample(a.pid))]
    threads = [threading.Thread(target=client, args=(a, st, i, deadline), daemon=True)
               for i in range(a.clients)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        next_at = start + len(samples) * a.interval
        for t in threads:
            t.join(max(0.0, next_at - time.monotonic()))
            if time.monotonic() >= next_at:
                break
        if time.monotonic() >= next_at:
            samples.append((time.monotonic() - start, *sample(a.pid)))
    elapsed = time.monotonic() - start
    # The growth is fitted over the samples taken under load; the last
    # one, after the clients stopped, shows what the server drops back to.
    under_load = list(samples)
    samples.append((elapsed, *sample(a.pid)))

    # Every acknowledged message: retrieved during the run, or still there.
    left = set()
    for i in range(a.clients):
        try:
            left.update(pop3_session(a, f"soak{i}", st, 10**9, dele=False, timed=False))
        except Exception as e:
            st.error(f"drain soak{i}: {type(e).__name__}: {e}")
    lost = st.acked - st.retrieved - left
    unknown = (st.retrieved | left) - st.acked

    print(f"soak: {a.clients} clients for {elapsed:.0f} s, samples every {a.interval:g} s")
    print(f"{'operation':<14} {'count':>8} {'p50 ms':>9} {'p99 ms':>9}")
    for op in sorted(st.latency):
        v = st.latency[op]
        print(f"{op:<14} {len(v):>8} {pct(v, 50) * 1e3:>9.1f} {pct(v, 99) * 1e3:>9.1f}")
    print(f"throughput: {st.count['delivered'] / elapsed:.1f} deliveries/s, "
          f"{len(st.latency['pop3_retr']) / elapsed:.1f} RETR/s, "
          f"{st.count['pop3_sessions'] / elapsed:.1f} POP3 sessions/s"
          + (f", {st.count['imap_sessions'] / elapsed:.1f} IMAP sessions/s" if a.imap_port else ""))
    print(f"{'t s':>6} {'RSS MiB':>8} {'fds':>5} {'threads':>7}")
    for i, (t, rss, fds, thr) in enumerate(samples):
        end = "  (load over)" if i == len(samples) - 1 else ""
        print(f"{t:>6.0f} {rss:>8.1f} {fds:>5} {thr:>7}{end}")
    half = [s for s in under_load if s[0] >= elapsed / 2] or under_load[-1:]
    rss_slope = slope([(t, r) for t, r, _, _ in half])
    fd_slope = slope([(t, f) for t, _, f, _ in half])
    rss_grow = half[-1][1] - half[0][1]
    fd_grow = half[-1][2] - half[0][2]
    print(f"growth over the second half: RSS {rss_slope:+.2f} MiB/min ({rss_grow:+.1f} MiB), "
          f"fds {fd_slope:+.2f}/min ({fd_grow:+d})")
    print(f"messages: {len(st.acked)} acknowledged, {len(st.retrieved)} retrieved and deleted, "
          f"{len(left)} left in the store, {len(lost)} lost")

    fail = []
    if st.errors:
        fail.append(f"{len(st.errors)} errors, first: " + "; ".join(st.errors[:5]))
    if lost:
        fail.append(f"{len(lost)} lost messages: {sorted(lost)[:10]}")
    if unknown:
        fail.append(f"{len(unknown)} messages never acknowledged: {sorted(unknown)[:10]}")
    if rss_slope > a.max_rss_slope and rss_grow > a.max_rss_grow:
        fail.append(f"RSS grows {rss_slope:.2f} MiB/min (limit {a.max_rss_slope})")
    if fd_slope > a.max_fd_slope and fd_grow > a.max_fd_grow:
        fail.append(f"descriptors grow {fd_slope:.2f}/min (limit {a.max_fd_slope})")
    if not st.acked:
        fail.append("no message was delivered")
    print("FAIL: " + "\nFAIL: ".join(fail) if fail else "PASS")
    return 1 if fail else 0


if __name__ == "__main__":
    sys.exit(main())
