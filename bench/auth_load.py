#!/usr/bin/env python3
"""POP3 login load for bench/auth.sh: CONCURRENCY threads, thread i logging
in as PREFIX<i+1> (USER/PASS, then QUIT) over and over until COUNT logins in
all are done. Prints JSON: logins, failures, seconds, logins per second.

usage: auth_load.py HOST PORT PREFIX PASSWORD COUNT CONCURRENCY
"""
import json
import socket
import sys
import threading
import time


def login(host, port, user, password):
    with socket.create_connection((host, port), timeout=60) as s:
        f = s.makefile("rwb", buffering=0)
        f.readline()
        for cmd in (f"USER {user}", f"PASS {password}"):
            s.sendall(cmd.encode() + b"\r\n")
            reply = f.readline()
            if not reply.startswith(b"+OK"):
                return False
        s.sendall(b"QUIT\r\n")
        f.readline()
        return True


def main():
    host, port, prefix, password = sys.argv[1:5]
    count, conc = int(sys.argv[5]), int(sys.argv[6])
    left = [count]
    failures = [0]
    lock = threading.Lock()

    def worker(i):
        user = f"{prefix}{i + 1}"
        while True:
            with lock:
                if left[0] == 0:
                    return
                left[0] -= 1
            if not login(host, int(port), user, password):
                with lock:
                    failures[0] += 1

    start = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(conc)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    secs = time.monotonic() - start
    print(json.dumps({"logins": count, "failures": failures[0], "seconds": round(secs, 3),
                      "per_second": round(count / secs, 1)}))


if __name__ == "__main__":
    main()
