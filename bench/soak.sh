#!/usr/bin/env bash
# Soak test (issue 18): a mixed load (LMTP deliveries, POP3 sessions with
# RETR and DELE; IMAP sessions with --imap once popstore has IMAP) from
# CLIENTS concurrent clients for MINUTES minutes against one `popstore
# serve`, sampling its RSS, open descriptors and threads every 10 s
# (bench/soak.py). Reports p50/p99 latency per operation, throughput and
# growth, then stops the server and runs `popstore verify` on the store.
# Exits 1 on FAIL: errors, lost messages (an acknowledged message neither
# retrieved nor left in the store), steady growth (see bench/soak.py for
# the thresholds), an unclean stop or a store verify does not accept.
#
# Usage: [POPSTORE_BIN=path] bench/soak.sh [--minutes M] [--clients N]
#            [--imap] [-- more bench/soak.py options]
#   defaults: 30 minutes (at most 240), 50 clients; a release build unless
#   POPSTORE_BIN names a binary. CI runs `bench/soak.sh --minutes 3 --imap`
#   on its debug build.
#   --imap: also IMAP sessions on `[listen] imap`; the accounts are then
#   MessageStore accounts (IMAP serves their folders, POP3 their INBOX).
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=30
CLIENTS=50
IMAP=0
EXTRA=()
while [ $# -gt 0 ]; do
    case "$1" in
        --minutes) MINUTES=$2; shift 2 ;;
        --clients) CLIENTS=$2; shift 2 ;;
        --imap) IMAP=1; shift ;;
        --) shift; EXTRA=("$@"); break ;;
        *) echo "usage: $0 [--minutes M] [--clients N] [--imap] [-- soak.py options]" >&2; exit 2 ;;
    esac
done
[ "$MINUTES" -ge 1 ] && [ "$MINUTES" -le 240 ] || { echo "--minutes: 1 to 240" >&2; exit 2; }
command -v python3 >/dev/null || { echo "python3 is needed (ci/install-deps.sh)" >&2; exit 2; }

if [ -z "${POPSTORE_BIN:-}" ]; then
    cargo build --release --bin popstore >&2
fi
POPSTORE=${POPSTORE_BIN:-${CARGO_TARGET_DIR:-$PWD/target}/release/popstore}

work=$(mktemp -d /tmp/popstore-soak-XXXXXX)
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_port() {
    for _ in $(seq 1 300); do
        python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),1)" 2>/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || { cat "$work/serve.log" >&2; return 1; }
        sleep 0.1
    done
    echo "nothing listens on port $1" >&2
    return 1
}

export POPSTORE_STORE=$work/store
"$POPSTORE" init >/dev/null
# With --imap the accounts are MessageStore accounts: IMAP serves their
# folders, POP3 their INBOX.
store_type=()
[ "$IMAP" = 1 ] && store_type=(--store-type imap)
for i in $(seq 0 $((CLIENTS - 1))); do
    echo "soak$i-pw" | "$POPSTORE" user add "soak$i" --password-stdin "${store_type[@]}" >/dev/null
done
LMTP=$(free_port)
POP3=$(free_port)
IMAP_PORT=0
{
    printf '[listen]\nlmtp = "127.0.0.1:%s"\npop3 = "127.0.0.1:%s"\npop3s = "off"\n' "$LMTP" "$POP3"
    printf 'poppassd = "off"\nmanagesieve = "off"\nimaps = "off"\nweb = "off"\n'
    if [ "$IMAP" = 1 ]; then
        IMAP_PORT=$(free_port)
        printf 'imap = "127.0.0.1:%s"\n' "$IMAP_PORT"
    else
        printf 'imap = "off"\n'
    fi
    # Every client comes from 127.0.0.1: room for all of them.
    printf '[lmtp]\nmax_connections_per_client = %s\n' $((CLIENTS + 10))
    printf '[pop3]\nmax_sessions_per_client = %s\n' $((CLIENTS + 10))
    printf '[imap]\nmax_sessions_per_client = %s\n' $((CLIENTS + 10))
    printf '[status]\nsocket = "off"\n'
} >"$work/popstore.toml"
"$POPSTORE" --config "$work/popstore.toml" serve >"$work/serve.log" 2>&1 &
pid=$!
wait_port "$LMTP"
wait_port "$POP3"

rc=0
imap_args=()
[ "$IMAP" = 1 ] && imap_args=(--imap "$IMAP_PORT")
python3 bench/soak.py --lmtp "$LMTP" --pop3 "$POP3" "${imap_args[@]}" --pid "$pid" \
    --clients "$CLIENTS" --seconds $((MINUTES * 60)) "${EXTRA[@]}" || rc=1

kill -TERM "$pid"
if ! wait "$pid"; then
    echo "FAIL: serve did not stop cleanly; its log:" >&2
    tail -n 50 "$work/serve.log" >&2
    rc=1
fi
pid=
if ! "$POPSTORE" verify >"$work/verify.out" 2>&1; then
    echo "FAIL: popstore verify:" >&2
    cat "$work/verify.out" >&2
    rc=1
fi
if grep -E ' (ERROR|WARN) ' "$work/serve.log" >&2; then
    echo "(warnings and errors from the server's log above)" >&2
fi
exit $rc
