#!/usr/bin/env python3
"""Appends a message to a Unix mail spool under the locks Debian's MTAs
take: a dotlock made as liblockfile makes it (a unique file hard-linked to
SPOOL.lock) and an fcntl lock (lockf) on the spool. Prints LOCKED once it
holds both, then waits for a line on stdin before appending and unlocking.

usage: spool_append.py SPOOL MESSAGE_FILE
"""
import fcntl
import os
import sys
import time

spool, message = sys.argv[1], sys.argv[2]
lock = spool + ".lock"
tmp = os.path.join(os.path.dirname(spool), ".lk%d.test" % os.getpid())
with open(tmp, "w") as f:
    f.write("%d\n" % os.getpid())
deadline = time.time() + 30
while True:
    try:
        os.link(tmp, lock)
        break
    except FileExistsError:
        if time.time() > deadline:
            sys.exit("the dotlock stays taken")
        time.sleep(0.01)
os.unlink(tmp)
fd = os.open(spool, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
fcntl.lockf(fd, fcntl.LOCK_EX)
print("LOCKED", flush=True)
sys.stdin.readline()
with open(message, "rb") as m:
    os.write(fd, m.read())
os.fsync(fd)
fcntl.lockf(fd, fcntl.LOCK_UN)
os.close(fd)
os.unlink(lock)
print("DONE", flush=True)
