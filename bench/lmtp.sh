#!/usr/bin/env bash
# LMTP delivery benchmark: popstore against Dovecot 2.3's LMTP, the same
# load, in one run (issue 4). Installs Dovecot's LMTP from Debian when it
# is missing, configures both on free loopback ports in a scratch
# directory, and runs bench/lmtp_load.py against each:
#   A. 10,000 x 4 KiB messages to one recipient
#   B.  1,000 x 4 KiB messages to 50 recipients
# Reports messages/s and the bytes the store grew on disk per message
# (du of the mail directories), side by side, with the ratios.
#
# Usage: [POPSTORE_BIN=path] bench/lmtp.sh [MESSAGES_A] [MESSAGES_B] [CONNECTIONS]
#        (defaults 10000 1000 8; smaller numbers for a quick look)
set -euo pipefail
# --gluster: popstore alone, a store in a local directory against one on
# a GlusterFS FUSE mount (bench/shared_fs.sh; needs root and GlusterFS).
if [ "${1:-}" = --gluster ]; then
    shift
    exec "$(dirname "$0")/shared_fs.sh" lmtp "$@"
fi
cd "$(dirname "$0")/.."
NA=${1:-10000}
NB=${2:-1000}
CONN=${3:-8}
SIZE=4096

if ! command -v dovecot >/dev/null || [ ! -x /usr/lib/dovecot/lmtp ]; then
    echo "installing dovecot-lmtpd (Debian)..." >&2
    apt-get update -qq && apt-get install -y -qq dovecot-core dovecot-lmtpd >/dev/null
fi
command -v python3 >/dev/null || { echo "python3 is needed (ci/install-deps.sh)" >&2; exit 2; }

# POPSTORE_BIN runs another build (e.g. an older commit's) for a
# before/after comparison in one run.
if [ -z "${POPSTORE_BIN:-}" ]; then
    cargo build --release --bin popstore >&2
fi
POPSTORE=${POPSTORE_BIN:-$PWD/target/release/popstore}
LOAD=$PWD/bench/lmtp_load.py

work=$(mktemp -d /tmp/popstore-lmtp-bench-XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_port() {
    for _ in $(seq 1 100); do
        python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),1)" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "nothing listens on port $1" >&2
    return 1
}

users="one"
for i in $(seq 0 49); do users="$users r$i"; done
printf '%s\n' $(for i in $(seq 0 49); do echo "r$i@bench.test"; done) > "$work/rcpts50"

# --- popstore ---------------------------------------------------------
PS_PORT=$(free_port)
export POPSTORE_STORE=$work/popstore
"$POPSTORE" init >/dev/null
for u in $users; do "$POPSTORE" user add "$u" </dev/null >/dev/null; done
# The recipients' domain is local (a binary from before `[store]
# local_domains` took every domain as local).
: >"$work/popstore.toml"
if "$POPSTORE" config show 2>/dev/null | grep -q '^local_domains'; then
    printf '[store]\nlocal_domains = ["bench.test"]\n' >"$work/popstore.toml"
fi
"$POPSTORE" --config "$work/popstore.toml" serve --lmtp "127.0.0.1:$PS_PORT" --pop3 off --pop3s off \
    >"$work/popstore.log" 2>&1 &
pids+=($!)
wait_port "$PS_PORT"

# --- Dovecot ----------------------------------------------------------
DC_PORT=$(free_port)
mkdir -p "$work/dovecot/run" "$work/dovecot/mail"
chown -R nobody:nogroup "$work/dovecot/mail"
: >"$work/dovecot/users"
for u in $users; do
    echo "$u@bench.test::65534:65534::$work/dovecot/mail/$u::" >>"$work/dovecot/users"
done
cat >"$work/dovecot/dovecot.conf" <<CONF
base_dir = $work/dovecot/run
state_dir = $work/dovecot/run
log_path = $work/dovecot/dovecot.log
protocols = lmtp
listen = 127.0.0.1
ssl = no
first_valid_uid = 1
mail_location = maildir:~/Maildir
passdb {
  driver = passwd-file
  args = $work/dovecot/users
}
userdb {
  driver = passwd-file
  args = $work/dovecot/users
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $DC_PORT
  }
  process_limit = $CONN
}
service anvil {
  chroot =
}
service stats {
  chroot =
}
lmtp_save_to_detail_mailbox = no
CONF
dovecot -F -c "$work/dovecot/dovecot.conf" &
pids+=($!)
wait_port "$DC_PORT"

# --- the load -----------------------------------------------------------
du_bytes() { du -sb "$1" | cut -f1; }

run() { # name port dir messages rcpt-args...
    local name=$1 port=$2 dir=$3 n=$4
    shift 4
    local before after
    before=$(du_bytes "$dir")
    local out
    out=$(python3 "$LOAD" "127.0.0.1:$port" --messages "$n" --size $SIZE \
        --connections "$CONN" "$@")
    sync
    after=$(du_bytes "$dir")
    python3 - "$name" "$n" "$before" "$after" "$out" <<'PY'
import json, sys
name, n, before, after, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
r = json.loads(out)
print(json.dumps({"run": name, "messages_per_s": round(r["messages_per_s"], 1),
                  "disk_bytes_per_message": (after - before) // n,
                  "failures": r.get("failures", 0)}))
PY
}

echo "== A: $NA x 4 KiB to 1 recipient, $CONN connections"
A_PS=$(run popstore-A "$PS_PORT" "$work/popstore" "$NA" --rcpt one@bench.test)
A_DC=$(run dovecot-A "$DC_PORT" "$work/dovecot/mail" "$NA" --rcpt one@bench.test)
echo "$A_PS"; echo "$A_DC"
echo "== B: $NB x 4 KiB to 50 recipients, $CONN connections"
B_PS=$(run popstore-B "$PS_PORT" "$work/popstore" "$NB" --rcpt-file "$work/rcpts50")
B_DC=$(run dovecot-B "$DC_PORT" "$work/dovecot/mail" "$NB" --rcpt-file "$work/rcpts50")
echo "$B_PS"; echo "$B_DC"

python3 - "$A_PS" "$A_DC" "$B_PS" "$B_DC" <<'PY'
import json, sys
a_ps, a_dc, b_ps, b_dc = (json.loads(x) for x in sys.argv[1:])
def ratio(x, y):
    return x / y if y else float("nan")
print("== summary")
print("%-34s %12s %12s %8s" % ("", "popstore", "dovecot", "ratio"))
for label, p, d in (("A msgs/s (1 rcpt)", a_ps, a_dc), ("B msgs/s (50 rcpts)", b_ps, b_dc)):
    print("%-34s %12.1f %12.1f %8.2f" % (label, p["messages_per_s"], d["messages_per_s"],
          ratio(p["messages_per_s"], d["messages_per_s"])))
for label, p, d in (("A disk bytes/msg", a_ps, a_dc), ("B disk bytes/msg", b_ps, b_dc)):
    print("%-34s %12d %12d %8.2f" % (label, p["disk_bytes_per_message"], d["disk_bytes_per_message"],
          ratio(p["disk_bytes_per_message"], d["disk_bytes_per_message"])))
PY
