#!/usr/bin/env bash
# IMAP benchmark: popstore against Dovecot 2.3 (Debian), the same load on
# loopback in one run.
#
# NEEDS (full run): about 1.5 GB of disk in $TMPDIR (each server holds
# USERS x MSGS x 10 KiB, BIG_MSGS x 5 MiB, a HUGE-message folder of 1 KiB
# messages and IDLE one-message accounts: ~0.35 GB per server, plus
# Dovecot's indexes), 2 GB of RAM (1,000 Dovecot imap processes), root (for
# Dovecot's privilege separation), `ulimit -n` of 20,000 or more, and about
# 15 minutes on 2 cores (delivering 100,000 messages over LMTP is the
# longest part).
#
#   bench/imap.sh              # full run
#   QUICK=1 bench/imap.sh      # tiny sizes, to check the script end to end
#   ONLY=popstore|dovecot bench/imap.sh   # one server only, raw results
#   USERS=, MSGS=, BIG_MSGS=, HUGE=, IDLE=, SAMPLES= override the sizes
#   PROFILE=dev                # use a debug build (for QUICK runs only)
#   NO_BUILD=1                 # use the binaries already built
#   bench/imap.sh --gluster    # FETCH on a GlusterFS mount against a local
#                              # directory (bench/shared_fs.sh imap)
#
# Reports, for both servers:
#   - per-message FETCH: for each message `FETCH n (FLAGS RFC822.SIZE
#     ENVELOPE BODYSTRUCTURE)` then `FETCH n (BODY.PEEK[])`, USERS users x
#     MSGS messages of 10 KiB, at concurrency 1 and 8 (best and median of
#     SAMPLES interleaved samples; with logins, and the FETCH phases alone),
#     beside a zero-work IMAP responder (`imap-load floor`: the fastest any
#     server can be measured at with this client on this machine);
#   - `FETCH n (BODY.PEEK[])` of BIG_MSGS messages of 5 MiB in MB/s beside
#     the loopback ceiling (a zero-work writer sending the same bytes over
#     one TCP stream) measured in the same run, interleaved;
#   - SELECT INBOX + `UID FETCH 1:* (FLAGS)` of a folder of HUGE messages
#     (after one warm-up session, so both servers have built their indexes);
#   - memory (PSS of the server's processes) per idle selected connection,
#     with IDLE connections, and the server's CPU while all of them are in
#     IDLE (IDLE_SECS, default 10).
set -euo pipefail
# --gluster: popstore alone, a store in a local directory against one on
# a GlusterFS FUSE mount (bench/shared_fs.sh; needs root and GlusterFS).
if [ "${1:-}" = --gluster ]; then
    shift
    exec "$(dirname "$0")/shared_fs.sh" imap "$@"
fi
cd "$(dirname "$0")/.."
ROOT=$PWD

USERS=${USERS:-20}
MSGS=${MSGS:-100}
SIZE=10240
BIG_MSGS=${BIG_MSGS:-20}
BIG_SIZE=5242880
HUGE=${HUGE:-100000}
IDLE=${IDLE:-1000}
SAMPLES=${SAMPLES:-5}
CEILING_COUNT=${CEILING_COUNT:-100}
if [ -n "${QUICK:-}" ]; then
  USERS=2 MSGS=5 BIG_MSGS=2 HUGE=200 IDLE=10 SAMPLES=1 CEILING_COUNT=2
fi
PASSWORD=bench-password

if ! command -v dovecot >/dev/null || [ ! -e /usr/lib/dovecot/imap ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends dovecot-imapd
fi
ulimit -n 65536 2>/dev/null || ulimit -n 20000

WORK=$(mktemp -d /tmp/imap-bench.XXXXXX)
chmod 755 "$WORK" # Dovecot's mail processes run unprivileged
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

TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
if [ "${PROFILE:-release}" = dev ]; then
  BIN=$TARGET/debug FLAGS=()
  echo "== debug build: the figures mean nothing" >&2
else
  BIN=$TARGET/release FLAGS=(--release)
fi
if [ -z "${NO_BUILD:-}" ]; then
  echo "== building" >&2
  cargo build "${FLAGS[@]}" --bin popstore --example imap-load >&2
fi
POPSTORE=${POPSTORE_BIN:-$BIN/popstore}
LOAD=$BIN/examples/imap-load

all_users() { # prints "user messages size" lines
  for u in $(seq 1 "$USERS"); do echo "bench$u $MSGS $SIZE"; done
  echo "big1 $BIG_MSGS $BIG_SIZE"
  echo "huge1 $HUGE 1024"
  for u in $(seq 1 "$IDLE"); do echo "idle$u 1 1024"; done
}

# ---------------------------------------------------------------- Dovecot
setup_dovecot() {
  local d=$WORK/dovecot hash u n s
  mkdir -p "$d/run" "$d/state" "$d/home"
  DOVECOT_PORT=$(free_port)
  hash="{ARGON2ID}$("$LOAD" hash --password "$PASSWORD")"
  : >"$d/passwd"
  echo "== Dovecot: writing maildirs" >&2
  while read -r u n s; do
    echo "$u:$hash" >>"$d/passwd"
    $FIX maildir "$d/home" "$u" "$n" "$s"
  done < <(all_users)
  chown -R 65534:65534 "$d/home"
  cat >"$d/dovecot.conf" <<CONF
base_dir = $d/run
state_dir = $d/state
log_path = $d/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_client_limit = 10000
default_process_limit = 5000
first_valid_uid = 1
mail_location = maildir:~/Maildir
passdb {
  driver = passwd-file
  args = $d/passwd
}
userdb {
  driver = static
  args = uid=65534 gid=65534 home=$d/home/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $DOVECOT_PORT
  }
  inet_listener imaps {
    port = 0
  }
  service_count = 0
  process_min_avail = 2
}
service imap {
  process_limit = 5000
}
protocol imap {
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
# heap left free by the earlier loads.
restart_popstore() {
  kill "$POPSTORE_PID"
  wait "$POPSTORE_PID" 2>/dev/null || true
  start_popstore
}

setup_popstore() {
  local d=$WORK/popstore lmtp_port u n s
  mkdir -p "$d"
  POPSTORE_PORT=$(free_port)
  lmtp_port=$(free_port)
  export POPSTORE_STORE=$d/store
  "$POPSTORE" init >&2
  cat >"$d/config.toml" <<CONF
[listen]
pop3 = "off"
pop3s = "off"
lmtp = "127.0.0.1:$lmtp_port"
imap = "127.0.0.1:$POPSTORE_PORT"
imaps = "off"
poppassd = "off"
managesieve = "off"
web = "off"
[imap]
max_sessions = 10000
max_sessions_per_client = 0
[log]
level = "warn"
CONF
  echo "== popstore: creating accounts" >&2
  while read -r u n s; do
    echo "$PASSWORD" | "$POPSTORE" user add "$u" --store-type imap --password-stdin >/dev/null
  done < <(all_users)
  start_popstore
  wait_port "$lmtp_port"
  echo "== popstore: delivering over LMTP" >&2
  $FIX lmtp 127.0.0.1 "$lmtp_port" bench "$USERS" "$MSGS" "$SIZE"
  $FIX lmtp 127.0.0.1 "$lmtp_port" big 1 "$BIG_MSGS" "$BIG_SIZE"
  $FIX lmtp 127.0.0.1 "$lmtp_port" huge 1 "$HUGE" 1024
  $FIX lmtp 127.0.0.1 "$lmtp_port" idle "$IDLE" 1 1024
}

best() { # NEW BEST FIELD: the JSON result with the highest FIELD
  python3 -c "import json,sys; a=[json.loads(x) for x in sys.argv[2:] if x]; print(json.dumps(max(a, key=lambda r: r[sys.argv[1]])))" "$3" "$1" "$2"
}

fetch_samples() { # NAME:PORT...
  local c s pair
  for pair in "$@"; do
    echo "== ${pair%%:*}: warm-up pass" >&2
    "$LOAD" fetch --addr "127.0.0.1:${pair##*:}" --users "$USERS" --password "$PASSWORD" --concurrency 8 >/dev/null
  done
  for c in 1 8; do
    for s in $(seq 1 "$SAMPLES"); do
      for pair in "$@"; do
        echo "== ${pair%%:*}: FETCH, concurrency $c, sample $s" >&2
        R=$("$LOAD" fetch --addr "127.0.0.1:${pair##*:}" --users "$USERS" --password "$PASSWORD" --concurrency "$c")
        echo "${pair%%:*} fetch c=$c $R" >>"$WORK/results"
      done
    done
  done
}

big_vs_ceiling() { # NAME PORT: best of three interleaved samples of each
  local name=$1 port=$2 ceil="" big="" r
  local rounds=$(((CEILING_COUNT + BIG_MSGS - 1) / BIG_MSGS))
  "$LOAD" fetch --addr "127.0.0.1:$port" --prefix big --users 1 --password "$PASSWORD" --body-only >/dev/null
  for _ in 1 2 3; do
    r=$("$LOAD" ceiling --size "$BIG_SIZE" --count "$CEILING_COUNT")
    ceil=$(best "$r" "$ceil" mb_per_s)
    r=$("$LOAD" fetch --addr "127.0.0.1:$port" --prefix big --users 1 --password "$PASSWORD" --body-only --rounds "$rounds")
    big=$(best "$r" "$big" fetch_mb_per_s)
  done
  echo "$name ceiling $ceil" >>"$WORK/results"
  echo "$name big $big" >>"$WORK/results"
}

per_server() { # NAME PORT
  local name=$1 port=$2 pid
  echo "== $name: 5 MiB messages and the loopback ceiling" >&2
  big_vs_ceiling "$name" "$port"
  echo "== $name: SELECT + UID FETCH 1:* (FLAGS) of $HUGE messages" >&2
  "$LOAD" uidfetch --addr "127.0.0.1:$port" --user huge1 --password "$PASSWORD" --samples 1 >/dev/null
  R=$("$LOAD" uidfetch --addr "127.0.0.1:$port" --user huge1 --password "$PASSWORD" --samples "$SAMPLES")
  echo "$name uidfetch $R" >>"$WORK/results"
  echo "== $name: $IDLE idle selected connections" >&2
  pid=${DOVECOT_PID:-}
  if [ "$name" = popstore ]; then
    restart_popstore
    pid=$POPSTORE_PID
  fi
  R=$("$LOAD" idle --addr "127.0.0.1:$port" --users "$IDLE" --password "$PASSWORD" --mem-cmd "$FIX pss $pid" \
    --cpu-cmd "$FIX cpu $pid" --idle-secs "${IDLE_SECS:-10}")
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
sync # let the writeback of the setup finish before the samples
FLOOR_PORT=$(free_port)
"$LOAD" floor --listen "127.0.0.1:$FLOOR_PORT" --messages "$MSGS" --size "$SIZE" &
PIDS+=("$!")
wait_port "$FLOOR_PORT"
fetch_samples "${SERVERS[@]}" "floor:$FLOOR_PORT"
for pair in "${SERVERS[@]}"; do per_server "${pair%%:*}" "${pair##*:}"; done
if [ -n "${ONLY:-}" ]; then
  cat "$WORK/results"
  exit 0
fi

python3 - "$WORK/results" "$USERS" "$MSGS" "$BIG_MSGS" "$HUGE" "$IDLE" "$SAMPLES" <<'PY'
import json, statistics, sys
rows, samples = {}, {}
for line in open(sys.argv[1]):
    name, kind, rest = line.rstrip("\n").split(" ", 2)
    if kind == "fetch":
        c, js = rest.split(" ", 1)
        samples.setdefault((name, c), []).append(json.loads(js))
    else:
        rows[(name, kind)] = json.loads(rest)
users, msgs, big, huge, idle, nsamples = sys.argv[2:]
def r(kind, name, what): return rows[(name, kind)][what]
def best(name, c, what): return max(x[what] for x in samples[(name, c)])
def median(name, c, what): return statistics.median(x[what] for x in samples[(name, c)])
print(f"IMAP: {users} users x {msgs} messages x 10 KiB; {big} messages of 5 MiB; a folder of {huge}; {idle} idle selected sessions")
print(f"per-message FETCH: best of {nsamples} interleaved samples (median in brackets)")
print()
print("| measure | popstore | Dovecot 2.3 | popstore / Dovecot | floor (zero-work responder) |")
print("|---|---|---|---|---|")
for c in ("c=1", "c=8"):
    for what, label in (("msgs_per_s", "messages/s with logins"), ("fetch_msgs_per_s", "messages/s, FETCH phase")):
        p, d = best("popstore", c, what), best("dovecot", c, what)
        pm, dm = median("popstore", c, what), median("dovecot", c, what)
        f, fm = best("floor", c, what), median("floor", c, what)
        print(f"| per-message FETCH {label}, concurrency {c[2:]} | {p:.0f} ({pm:.0f}) | {d:.0f} ({dm:.0f}) | **{p/d:.2f}** ({pm/dm:.2f}) | {f:.0f} ({fm:.0f}) |")
p, d = r("big", "popstore", "fetch_mb_per_s"), r("big", "dovecot", "fetch_mb_per_s")
pc, dc = r("ceiling", "popstore", "mb_per_s"), r("ceiling", "dovecot", "mb_per_s")
print(f"| 5 MiB BODY.PEEK[] MB/s (% of the loopback ceiling beside it) | {p:.0f} ({100*p/pc:.0f}% of {pc:.0f}) | {d:.0f} ({100*d/dc:.0f}% of {dc:.0f}) | {p/d:.2f} | |")
p, d = r("uidfetch", "popstore", "best_seconds"), r("uidfetch", "dovecot", "best_seconds")
print(f"| SELECT + UID FETCH 1:* (FLAGS), {huge} messages, seconds (best) | {p:.3f} | {d:.3f} | **{d/p:.2f}x** faster | |")
p, d = r("idle", "popstore", "bytes_per_connection"), r("idle", "dovecot", "bytes_per_connection")
print(f"| memory per idle selected session (PSS) | {p/1024:.1f} KiB | {d/1024:.1f} KiB | {p/d:.3f} | |")
pc, dc = r("idle", "popstore", "idle_cpu_share"), r("idle", "dovecot", "idle_cpu_share")
print(f"| CPU of {idle} sessions in IDLE (% of one core) | {pc*100:.2f} | {dc*100:.2f} | {pc/dc if dc > 0 else float('nan'):.2f} | |")
PY
