#!/usr/bin/env bash
# Migration speed (issue 17): `popstore migrate` of a 10,000-message Maildir
# (Dovecot's Maildir++ layout: flags in the file names, a dovecot-uidlist
# with UIDs and a few POP3 UIDLs, an INBOX and two folders) into a
# MessageStore account, side by side with Dovecot's own `doveadm import`
# and `doveadm backup -R` (a pull, as its migration notes use it) of the same Maildir into a Dovecot mailbox
# (Maildir, as popstore's copy keeps every message in its own file too),
# in the same run on the same disk. Reports messages/s and MB/s (source
# bytes) for each and popstore's ratio to each; the goal is at least 2x.
#
# Both sides sync what they write as they would in service (popstore
# always; Dovecot with its default mail_fsync = optimized).
#
# Needs: Debian's dovecot-core (doveadm), python3; about 3x the Maildir's
# size in $TMPDIR (default /tmp), removed after.
# Usage: bench/migrate.sh [MESSAGES] (default 10000)
# POPSTORE_BIN=path uses that binary instead of building the release one.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}

if [ -z "${POPSTORE_BIN:-}" ]; then
    cargo build --release --bin popstore >&2
    POPSTORE_BIN=target/release/popstore
    [ -n "${CARGO_TARGET_DIR:-}" ] && POPSTORE_BIN=$CARGO_TARGET_DIR/release/popstore
fi
command -v doveadm >/dev/null || { echo "doveadm (dovecot-core) is needed" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/popstore-migrate-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT
src=$work/Maildir

# The source Maildir: sizes from 1 KiB to 32 KiB (a few of 256 KiB), as
# mail is; 80% in INBOX, the rest in two folders.
python3 - "$src" "$N" <<'PY'
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(17)
folders = {"": [], ".Archive": [], ".Lists.rust": []}
for f in folders:
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(root, f, sub), exist_ok=True)
words = [w.encode() for w in "the quick brown fox jumps over a lazy dog mail store migration".split()]
total = 0
for i in range(n):
    f = "" if i % 10 < 8 else (".Archive" if i % 10 == 8 else ".Lists.rust")
    size = rnd.choice([1024] * 5 + [4096] * 4 + [32768] * 2 + [262144] * (1 if i % 97 == 0 else 0))
    head = (f"From: Sender {i} <s{i}@example.org>\nTo: bench@example.org\n"
            f"Subject: message {i}\nDate: Sat, 5 Dec 2026 09:{i % 60:02d}:00 +0000\n"
            f"Message-ID: <{i}@example.org>\n\n").encode()
    body = bytearray()
    while len(body) < size:
        body += b" ".join(rnd.choice(words) for _ in range(12)) + b"\n"
    base = f"{1796400000 + i}.M{i}P1.bench"
    flags = rnd.choice(["", "S", "RS", "FS", "S"])
    name = f"{base},S={len(head) + len(body)}:2,{flags}"
    with open(os.path.join(root, f, "cur", name), "wb") as fh:
        fh.write(head + body)
    folders[f].append(base)
    total += len(head) + len(body)
for f, bases in folders.items():
    with open(os.path.join(root, f, "dovecot-uidlist"), "w") as fh:
        guid = "%032x" % rnd.getrandbits(128)
        fh.write(f"3 V{1796400000 + len(f)} N{len(bases) + 1} G{guid}\n")
        for uid, base in enumerate(bases, 1):
            pop = f" P{base[:12]}" if uid % 50 == 0 else ""
            fh.write(f"{uid}{pop} :{base}\n")
print(total, file=open(os.path.join(root, "..", "bytes"), "w"))
PY
bytes=$(cat "$work/bytes")
sync

now() { date +%s.%N; }

# popstore
"$POPSTORE_BIN" --store "$work/store" init >/dev/null
"$POPSTORE_BIN" --store "$work/store" user add bench --store-type imap >/dev/null
t0=$(now)
"$POPSTORE_BIN" --store "$work/store" migrate "maildir:$src" --account bench --json > "$work/report.json"
t1=$(now)
sync
t2=$(now)

# Dovecot: a private configuration, users from a passwd-file, Maildir.
uid=$(id -u); gid=$(id -g)
if [ "$uid" -eq 0 ]; then uid=$(id -u nobody); gid=$(id -g nobody); chown -R "$uid:$gid" "$work"; fi
cat > "$work/dovecot.conf" <<CONF
protocols = none
base_dir = $work/run
state_dir = $work/state
log_path = $work/dovecot.log
mail_location = maildir:$work/dove/%u
first_valid_uid = $uid
passdb {
  driver = static
  args = nopassword=y
}
userdb {
  driver = static
  args = uid=$uid gid=$gid home=$work/dove/%u
}
CONF
dove() { doveadm -c "$work/dovecot.conf" "$@"; }
# Its auth process answers doveadm's user lookups.
dovecot -c "$work/dovecot.conf"
trap 'dove stop 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do [ -S "$work/run/auth-userdb" ] && break; sleep 0.1; done
# Dovecot writes its index files into the Maildir it reads: each tool
# gets its own copy of the source, made before the clock starts.
cp -a "$src" "$work/src-imp"
cp -a "$src" "$work/src-bak"
sync
t3=$(now)
dove import -u imp "maildir:$work/src-imp" "" all
t4=$(now)
sync
t5=$(now)
dove backup -R -u bak "maildir:$work/src-bak"
t6=$(now)
sync
t7=$(now)

python3 - "$N" "$bytes" "$t0" "$t1" "$t2" "$t3" "$t4" "$t5" "$t6" "$t7" "$work/report.json" <<'PY'
import json, sys
n, b = int(sys.argv[1]), int(sys.argv[2])
t = [float(x) for x in sys.argv[3:11]]
r = json.load(open(sys.argv[11]))
assert r["migrated"] == n and r["failed"] == 0, r
rows = [("popstore migrate", t[1] - t[0]), ("doveadm import", t[4] - t[3]), ("doveadm backup", t[6] - t[5])]
print(f"{n} messages, {b / 1e6:.1f} MB (source Maildir)")
print(f"{'tool':<18} {'seconds':>8} {'msg/s':>9} {'MB/s':>7}")
for name, s in rows:
    print(f"{name:<18} {s:>8.2f} {n / s:>9.0f} {b / 1e6 / s:>7.1f}")
for name, s in rows[1:]:
    print(f"popstore vs {name}: {s / rows[0][1]:.2f}x")
PY
