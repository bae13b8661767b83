#!/usr/bin/env python3
"""Appends a message to a Unix mail spool under the locks Debian's MTAs
take: a dotlock made by liblockfile itself (its dotlockfile program,
Debian liblockfile-bin) and an fcntl lock (lockf) on the spool. Prints LOCKED once it
holds both, then waits for a line on stdin before appending and unlocking.

usage: spool_append.py SPOOL MESSAGE_FILE
"""
import fcntl
import os
import subprocess
import sys

spool, message = sys.argv[1], sys.argv[2]
lock = spool + ".lock"
subprocess.run(["dotlockfile", "-l", "-r", "10", lock], check=True)
fd = os.open(spool, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
fcntl.lockf(fd, fcntl.LOCK_EX)
print("LOCKED", flush=True)
sys.stdin.readline()
with open(message, "rb") as m:
    os.write(fd, m.read())
os.fsync(fd)
fcntl.lockf(fd, fcntl.LOCK_UN)
os.close(fd)
subprocess.run(["dotlockfile", "-u", lock], check=True)
print("DONE", flush=True)
