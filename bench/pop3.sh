#!/usr/bin/env bash
# POP3 benchmark: popstore against Dovecot 2.3 (Debian), the same load on
# loopback in one run.
#
#   bench/pop3.sh            # full run (about 10 minutes on 2 cores)
#   QUICK=1 bench/pop3.sh    # small sizes, to check the script
#   ONLY=dovecot bench/pop3.sh   # one server only, raw results
#   POPSTORE_BIN=/path/to/popstore ONLY=popstore bench/pop3.sh
#                            # another popstore build (before/after runs)
#   USERS=, MSGS=, BIG_MSGS=, IDLE=, ROUNDS=, SAMPLES= override the sizes
#
# Reports, for both servers:
#   - RETR messages/s, USERS users x MSGS messages x SIZE bytes, at
#     concurrency 1 and 8 (wall clock including logins, and the RETR phases
#     alone): the best and the median of SAMPLES samples, interleaved with
#     the other server's and with those of a zero-work responder (the
#     floor: the fastest any server can be measured at here);
#   - MB/s for BIG_MSGS messages of 5 MiB, beside the loopback ceiling
#     measured in the same run (best of three samples of each, interleaved,
#     the same bytes per sample: see big_vs_ceiling);
#   - memory (PSS of the server's processes) per idle authenticated
#     connection, with IDLE connections.
# Both servers check passwords with the same argon2id verifier cost
# (popstore's: m=19 MiB, t=2, p=1). Needs root for Dovecot's privilege separation; installs
# dovecot-pop3d when missing.
set -euo pipefail
# --gluster: popstore alone, a store in a local directory against one on
# a GlusterFS FUSE mount (bench/shared_fs.sh; needs root and GlusterFS).
if [ "${1:-}" = --gluster ]; then
    shift
    exec "$(dirname "$0")/shared_fs.sh" pop3 "$@"
fi
cd "$(dirname "$0")/.."
ROOT=$PWD

USERS=${USERS:-100}
MSGS=${MSGS:-100}
SIZE=${SIZE:-10240}
BIG_MSGS=${BIG_MSGS:-20}
BIG_SIZE=${BIG_SIZE:-5242880}
IDLE=${IDLE:-1000}
ROUNDS=${ROUNDS:-1}
SAMPLES=${SAMPLES:-5}
if [ -n "${QUICK:-}" ]; then
  USERS=10 MSGS=10 BIG_MSGS=3 IDLE=50 ROUNDS=1 SAMPLES=2 CEILING_COUNT=20
fi
PASSWORD=bench-password

if ! command -v dovecot >/dev/null || [ ! -e /usr/lib/dovecot/pop3 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends dovecot-pop3d
fi
ulimit -n 65536 2>/dev/null || ulimit -n 20000

WORK=$(mktemp -d /tmp/pop3-bench.XXXXXX)
chmod 755 "$WORK" # Dovecot's auth and mail processes run unprivileged
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP:-}" ] && echo "kept $WORK" >&2 || rm -rf "$WORK"
}
trap cleanup EXIT

FIX="python3 $ROOT/bench/pop3_fixtures.py"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 1 300); do
    if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),1)" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "nothing listens on port $1" >&2; return 1
}

echo "== building (release)" >&2
cargo build --release --bin popstore --example pop3-load >&2
POPSTORE=${POPSTORE_BIN:-$ROOT/target/release/popstore}
LOAD=$ROOT/target/release/examples/pop3-load

# ---------------------------------------------------------------- Dovecot
setup_dovecot() {
  local d=$WORK/dovecot
  mkdir -p "$d/run" "$d/state" "$d/home"
  DOVECOT_PORT=$(free_port)
  local hash
  # The same argon2id cost as popstore's verifiers (m=19 MiB, t=2, p=1);
  # libsodium in Dovecot verifies any PHC argon2id string.
  hash="{ARGON2ID}$("$LOAD" hash --password "$PASSWORD")"
  : >"$d/passwd"
  for u in $(seq 1 "$USERS"); do echo "bench$u:$hash" >>"$d/passwd"; done
  echo "big1:$hash" >>"$d/passwd"
  for u in $(seq 1 "$IDLE"); do echo "idle$u:$hash" >>"$d/passwd"; done
  echo "== Dovecot: writing maildirs" >&2
  for u in $(seq 1 "$USERS"); do $FIX maildir "$d/home" "bench$u" "$MSGS" "$SIZE"; done
  $FIX maildir "$d/home" big1 "$BIG_MSGS" "$BIG_SIZE"
  for u in $(seq 1 "$IDLE"); do $FIX maildir "$d/home" "idle$u" 1 1024; done
  chown -R 65534:65534 "$d/home"
  cat >"$d/dovecot.conf" <<CONF
base_dir = $d/run
state_dir = $d/state
log_path = $d/dovecot.log
protocols = pop3
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
default_client_limit = 10000
default_process_limit = 5000
first_valid_uid = 1
mail_location = maildir:~/Maildir
pop3_uidl_format = %08Xu%08Xv
passdb {
  driver = passwd-file
  args = $d/passwd
}
userdb {
  driver = static
  args = uid=65534 gid=65534 home=$d/home/%u
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = $DOVECOT_PORT
  }
  inet_listener pop3s {
    port = 0
  }
  service_count = 0
  process_min_avail = 2
}
service pop3 {
  process_limit = 5000
}
protocol pop3 {
  mail_max_userip_connections = 5000
}
CONF
  dovecot -F -c "$d/dovecot.conf" 2>>"$d/dovecot.stderr" &
  DOVECOT_PID=$!
  PIDS+=("$DOVECOT_PID")
  wait_port "$DOVECOT_PORT"
}

# --------------------------------------------------------------- popstore
start_popstore() {
  "$POPSTORE" serve --config "$WORK/popstore/config.toml" 2>>"$WORK/popstore/serve.log" &
  POPSTORE_PID=$!
  PIDS+=("$POPSTORE_PID")
  wait_port "$POPSTORE_PORT"
}

# A fresh server process, so the memory measured is the sessions' and not
# heap left free by the earlier loads (Dovecot forks a process per session).
restart_popstore() {
  kill "$POPSTORE_PID"
  wait "$POPSTORE_PID" 2>/dev/null || true
  start_popstore
}

setup_popstore() {
  local d=$WORK/popstore
  mkdir -p "$d"
  POPSTORE_PORT=$(free_port)
  local lmtp_port
  lmtp_port=$(free_port)
  export POPSTORE_STORE=$d/store
  "$POPSTORE" init >&2
  cat >"$d/config.toml" <<CONF
[listen]
pop3 = "127.0.0.1:$POPSTORE_PORT"
pop3s = "off"
lmtp = "127.0.0.1:$lmtp_port"
imap = "off"
imaps = "off"
poppassd = "off"
web = "off"
[pop3]
max_sessions_per_client = 0
[log]
level = "warn"
CONF
  echo "== popstore: creating accounts" >&2
  for u in $(seq 1 "$USERS"); do echo "$PASSWORD" | "$POPSTORE" user add "bench$u" --password-stdin >/dev/null; done
  echo "$PASSWORD" | "$POPSTORE" user add big1 --password-stdin >/dev/null
  for u in $(seq 1 "$IDLE"); do echo "$PASSWORD" | "$POPSTORE" user add "idle$u" --password-stdin >/dev/null; done
  start_popstore
  wait_port "$lmtp_port"
  echo "== popstore: delivering over LMTP" >&2
  $FIX lmtp 127.0.0.1 "$lmtp_port" bench "$USERS" "$MSGS" "$SIZE"
  $FIX lmtp 127.0.0.1 "$lmtp_port" big "1" "$BIG_MSGS" "$BIG_SIZE"
  $FIX lmtp 127.0.0.1 "$lmtp_port" idle "$IDLE" 1 1024
}

field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

# Keeps the JSON result with the highest FIELD: best NEW BEST FIELD.
best() {
  python3 -c "import json,sys; a=[json.loads(x) for x in sys.argv[2:] if x]; print(json.dumps(max(a, key=lambda r: r[sys.argv[1]])))" "$3" "$1" "$2"
}

# 5 MiB messages beside the loopback ceiling, like for like: three samples
# of each, interleaved (so a change in the machine's load hits both), each
# sample moving the same bytes (CEILING_COUNT x 5 MiB: the ceiling is one
# TCP stream between two threads of the client, the RETR sample is
# as many passes over the BIG_MSGS messages of one user as make the same
# bytes, rounded up), and the best
# sample of each kept.
big_vs_ceiling() { # NAME PORT
  local name=$1 port=$2 count=${CEILING_COUNT:-200} ceil="" big="" bigp="" r
  local rounds=$(((count + BIG_MSGS - 1) / BIG_MSGS))
  "$LOAD" retr --addr "127.0.0.1:$port" --prefix big --users 1 --password "$PASSWORD" >/dev/null
  for _ in 1 2 3; do
    r=$("$LOAD" ceiling --size "$BIG_SIZE" --count "$count")
    ceil=$(best "$r" "$ceil" mb_per_s)
    r=$("$LOAD" retr --addr "127.0.0.1:$port" --prefix big --users 1 --password "$PASSWORD" --rounds "$rounds")
    big=$(best "$r" "$big" mb_per_s)
    bigp=$(best "$r" "$bigp" retr_mb_per_s)
  done
  echo "$name ceiling $ceil" >>"$WORK/results"
  # "with login" from the sample with the best wall-clock figure, "RETR
  # phase" from the sample with the best RETR-phase figure.
  echo "$name big $(python3 -c "import json,sys; a,b=json.loads(sys.argv[1]),json.loads(sys.argv[2]); a['retr_mb_per_s']=b['retr_mb_per_s']; print(json.dumps(a))" "$big" "$bigp")" >>"$WORK/results"
}

# RETR messages/s at concurrency 1 and 8: SAMPLES samples per server,
# interleaved (popstore, Dovecot, the floor, then again), so that a change
# in the machine's load hits every server alike. Each sample is ROUNDS
# passes over the USERS users. The floor is `pop3-load floor`, a responder
# that does no work: the fastest any server can be measured at with this
# client on this machine.
retr_samples() { # NAME:PORT...
  local c s pair
  for pair in "$@"; do
    echo "== ${pair%%:*}: warm-up pass" >&2
    "$LOAD" retr --addr "127.0.0.1:${pair##*:}" --users "$USERS" --password "$PASSWORD" --concurrency 8 >/dev/null
  done
  for c in 1 8; do
    for s in $(seq 1 "$SAMPLES"); do
      for pair in "$@"; do
        echo "== ${pair%%:*}: RETR, concurrency $c, sample $s" >&2
        R=$("$LOAD" retr --addr "127.0.0.1:${pair##*:}" --users "$USERS" --password "$PASSWORD" --concurrency "$c" --rounds "$ROUNDS")
        echo "${pair%%:*} retr c=$c $R" >>"$WORK/results"
      done
    done
  done
}

big_and_idle() { # NAME PORT
  local name=$1 port=$2
  echo "== $name: 5 MiB messages and the loopback ceiling" >&2
  big_vs_ceiling "$name" "$port"
  echo "== $name: $IDLE idle connections" >&2
  local pid=${DOVECOT_PID:-}
  if [ "$name" = popstore ]; then
    restart_popstore
    pid=$POPSTORE_PID
  fi
  R=$("$LOAD" idle --addr "127.0.0.1:$port" --prefix idle --users "$IDLE" --password "$PASSWORD" --mem-cmd "$FIX pss $pid")
  echo "$name idle $R" >>"$WORK/results"
}

: >"$WORK/results"
SERVERS=()
if [ "${ONLY:-}" != dovecot ]; then
  setup_popstore
  SERVERS+=("popstore:$POPSTORE_PORT")
fi
if [ "${ONLY:-}" != popstore ]; then
  setup_dovecot
  SERVERS+=("dovecot:$DOVECOT_PORT")
fi
# Setting up wrote some hundred MB (messages, maildirs, accounts): let the
# writeback finish now rather than during the samples.
sync
FLOOR_PORT=$(free_port)
"$LOAD" floor --listen "127.0.0.1:$FLOOR_PORT" --messages "$MSGS" --size "$SIZE" &
PIDS+=("$!")
wait_port "$FLOOR_PORT"
retr_samples "${SERVERS[@]}" "floor:$FLOOR_PORT"
for pair in "${SERVERS[@]}"; do big_and_idle "${pair%%:*}" "${pair##*:}"; done
if [ -n "${ONLY:-}" ]; then
  cat "$WORK/results"
  exit 0
fi

python3 - "$WORK/results" "$USERS" "$MSGS" "$SIZE" "$BIG_MSGS" "$IDLE" "$SAMPLES" <<'PY'
import json, statistics, sys
rows, samples = {}, {}
for line in open(sys.argv[1]):
    name, kind, rest = line.rstrip("\n").split(" ", 2)
    if kind == "retr":
        c, js = rest.split(" ", 1)
        samples.setdefault((name, c), []).append(json.loads(js))
    else:
        rows[(name, kind)] = json.loads(rest)
users, msgs, size, big, idle, nsamples = sys.argv[2:]
def r(key, name, what): return rows[(name, key)][what]
def best(name, c, what): return max(x[what] for x in samples[(name, c)])
def median(name, c, what): return statistics.median(x[what] for x in samples[(name, c)])
print(f"POP3: {users} users x {msgs} messages x {size} bytes; {big} messages of 5 MiB; {idle} idle sessions")
print(f"messages/s: best of {nsamples} interleaved samples (median in brackets)")
print()
print("| measure | popstore | Dovecot 2.3 | popstore / Dovecot | floor (zero-work responder) | floor / Dovecot |")
print("|---|---|---|---|---|---|")
for c in ("c=1", "c=8"):
    for what, label in (("msgs_per_s", "RETR msgs/s with logins"), ("retr_msgs_per_s", "RETR msgs/s, RETR phase")):
        p, d = best("popstore", c, what), best("dovecot", c, what)
        pm, dm = median("popstore", c, what), median("dovecot", c, what)
        f, fm = best("floor", c, what), median("floor", c, what)
        # The floor checks no password: beside "with logins" it says nothing.
        fl = f"| {f:.0f} ({fm:.0f}) | {f/d:.2f} ({fm/dm:.2f}) |" if what == "retr_msgs_per_s" else "| | |"
        print(f"| {label}, concurrency {c[2:]} | {p:.0f} ({pm:.0f}) | {d:.0f} ({dm:.0f}) | **{p/d:.2f}** ({pm/dm:.2f}) {fl}")
for what, label in (("mb_per_s", "with login"), ("retr_mb_per_s", "RETR phase")):
    p, d = r("big", "popstore", what), r("big", "dovecot", what)
    pc, dc = r("ceiling", "popstore", "mb_per_s"), r("ceiling", "dovecot", "mb_per_s")
    print(f"| 5 MiB RETR MB/s, {label} (% of the loopback ceiling beside it) | {p:.0f} ({100*p/pc:.0f}% of {pc:.0f}) | {d:.0f} ({100*d/dc:.0f}% of {dc:.0f}) | {p/d:.2f} | | |")
p, d = r("idle", "popstore", "bytes_per_connection"), r("idle", "dovecot", "bytes_per_connection")
print(f"| memory per idle authenticated session (PSS) | {p/1024:.1f} KiB | {d/1024:.1f} KiB | {p/d:.3f} | | |")
PY
