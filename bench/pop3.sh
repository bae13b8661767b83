#!/usr/bin/env bash
# POP3 benchmark: popstore against Dovecot 2.3 (Debian), the same load on
# loopback in one run.
#
#   bench/pop3.sh            # full run (about 10 minutes on 2 cores)
#   QUICK=1 bench/pop3.sh    # small sizes, to check the script
#   ONLY=dovecot bench/pop3.sh   # one server only, raw results
#
# Reports, for both servers:
#   - RETR messages/s, USERS users x MSGS messages x SIZE bytes, at
#     concurrency 1 and 8 (wall clock including logins, and the RETR phases
#     alone);
#   - MB/s for BIG_MSGS messages of 5 MiB, beside the loopback ceiling
#     measured in the same run;
#   - memory (PSS of the server's processes) per idle authenticated
#     connection, with IDLE connections.
# Both servers check passwords with the same argon2id verifier cost
# (popstore's: m=19 MiB, t=2, p=1). Needs root for Dovecot's privilege separation; installs
# dovecot-pop3d when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

USERS=${USERS:-100}
MSGS=${MSGS:-100}
SIZE=${SIZE:-10240}
BIG_MSGS=${BIG_MSGS:-20}
BIG_SIZE=${BIG_SIZE:-5242880}
IDLE=${IDLE:-1000}
ROUNDS=${ROUNDS:-3}
if [ -n "${QUICK:-}" ]; then
  USERS=10 MSGS=10 BIG_MSGS=3 IDLE=50 ROUNDS=1 CEILING_COUNT=20
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
POPSTORE=$ROOT/target/release/popstore
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
  "$POPSTORE" serve --config "$d/config.toml" 2>>"$d/serve.log" &
  POPSTORE_PID=$!
  PIDS+=("$POPSTORE_PID")
  wait_port "$POPSTORE_PORT"
  wait_port "$lmtp_port"
  echo "== popstore: delivering over LMTP" >&2
  $FIX lmtp 127.0.0.1 "$lmtp_port" bench "$USERS" "$MSGS" "$SIZE"
  $FIX lmtp 127.0.0.1 "$lmtp_port" big "1" "$BIG_MSGS" "$BIG_SIZE"
  $FIX lmtp 127.0.0.1 "$lmtp_port" idle "$IDLE" 1 1024
}

field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

run_server() { # NAME PORT PID
  local name=$1 port=$2 pid=$3
  echo "== $name: warm-up pass" >&2
  "$LOAD" retr --addr "127.0.0.1:$port" --users "$USERS" --password "$PASSWORD" --concurrency 8 >/dev/null
  for c in 1 8; do
    echo "== $name: RETR, concurrency $c" >&2
    R=$("$LOAD" retr --addr "127.0.0.1:$port" --users "$USERS" --password "$PASSWORD" --concurrency "$c" --rounds "$ROUNDS")
    echo "$name retr c=$c $R" >>"$WORK/results"
  done
  echo "== $name: 5 MiB messages" >&2
  "$LOAD" retr --addr "127.0.0.1:$port" --prefix big --users 1 --password "$PASSWORD" >/dev/null
  R=$("$LOAD" retr --addr "127.0.0.1:$port" --prefix big --users 1 --password "$PASSWORD" --rounds "$ROUNDS")
  echo "$name big $R" >>"$WORK/results"
  echo "== $name: $IDLE idle connections" >&2
  R=$("$LOAD" idle --addr "127.0.0.1:$port" --prefix idle --users "$IDLE" --password "$PASSWORD" --mem-cmd "$FIX pss $pid")
  echo "$name idle $R" >>"$WORK/results"
}

: >"$WORK/results"
echo "== loopback ceiling" >&2
CEIL=$("$LOAD" ceiling --size "$BIG_SIZE" --count "${CEILING_COUNT:-200}")
echo "ceiling $CEIL" >>"$WORK/results"
if [ "${ONLY:-}" != dovecot ]; then
  setup_popstore
  run_server popstore "$POPSTORE_PORT" "$POPSTORE_PID"
fi
if [ "${ONLY:-}" != popstore ]; then
  setup_dovecot
  run_server dovecot "$DOVECOT_PORT" "$DOVECOT_PID"
fi
if [ -n "${ONLY:-}" ]; then
  cat "$WORK/results"
  exit 0
fi

python3 - "$WORK/results" "$USERS" "$MSGS" "$SIZE" "$BIG_MSGS" "$IDLE" <<'PY'
import json, sys
rows = {}
for line in open(sys.argv[1]):
    parts = line.split(" ", 3) if line.startswith(("popstore", "dovecot")) else line.split(" ", 1)
    if parts[0] == "ceiling":
        rows["ceiling"] = json.loads(parts[1])
    elif parts[1] == "retr":
        rows[(parts[0], parts[2])] = json.loads(parts[3])
    else:
        rows[(parts[0], parts[1])] = json.loads(line.split(" ", 2)[2])
users, msgs, size, big, idle = sys.argv[2:]
def r(name, key): return rows[name][key]
print(f"POP3 benchmark: {users} users x {msgs} messages x {size} bytes; {big} x 5 MiB; {idle} idle sessions")
print()
print("| measure | popstore | Dovecot 2.3 | ratio |")
print("|---|---|---|---|")
for c in ("c=1", "c=8"):
    for key, label in (("msgs_per_s", "RETR msgs/s (with logins)"), ("retr_msgs_per_s", "RETR msgs/s (RETR phase)")):
        p, d = r(("popstore", c), key), r(("dovecot", c), key)
        print(f"| {label}, concurrency {c[2:]} | {p:.0f} | {d:.0f} | {p/d:.2f}x |")
ceil = rows["ceiling"]["mb_per_s"]
for key in ("retr_mb_per_s",):
    p, d = r(("popstore", "big"), key), r(("dovecot", "big"), key)
    print(f"| 5 MiB RETR MB/s (loopback ceiling {ceil:.0f}) | {p:.0f} ({100*p/ceil:.0f}%) | {d:.0f} ({100*d/ceil:.0f}%) | {p/d:.2f}x |")
p, d = r(("popstore", "idle"), "bytes_per_connection"), r(("dovecot", "idle"), "bytes_per_connection")
print(f"| memory per idle authenticated connection (PSS) | {p/1024:.1f} KiB | {d/1024:.1f} KiB | {d/p:.1f}x less |")
PY
