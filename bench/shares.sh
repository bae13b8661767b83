#!/usr/bin/env bash
# IMAP LIST of the folders shared with an account against the store's
# size (the share index, SPEC 9.3): `LIST "" "*"` by a MessageStore
# account to which one other account shares a folder, in stores of 100
# and 100,000 accounts. Without the index a LIST that reaches
# `Other Users/` read every account's profile; with it, the accounts the
# index names. Also a store made without the feature (OLD=DIR: a store
# an older popstore made, e.g. by bench/web.sh DIR before format 2.5).
#
#   bench/shares.sh                 # 100 and 100,000 accounts
#   SIZES="100 1000" bench/shares.sh
#   OLD=/tmp/webbench/n100000 bench/shares.sh   # also that store
#
# The accounts are written straight into the Linux layout by
# examples/store_bench.rs; the 100,000 store takes about 1.1 GB and 100k
# inodes, removed at the end. Times are the median of 21 LISTs over one
# logged-in imaplib session.
set -euo pipefail
cd "$(dirname "$0")/.."
base=$(mktemp -d /tmp/popstore-shares-XXXXXX)
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    rm -rf "$base"
    return 0
}
trap cleanup EXIT
SIZES=${SIZES:-"100 100000"}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --release --bin popstore --example store_bench >&2
bin=$CARGO_TARGET_DIR/release
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# STORE LABEL: prepares the two accounts, serves IMAP, times the LISTs.
measure() {
    local store=$1 label=$2
    local ps="$bin/popstore --store $store"
    for u in share-viewer share-owner; do
        $ps user add "$u" --store-type imap --password-stdin <<< "bench-password" >/dev/null 2>&1 || true
    done
    $ps folder create share-owner Team >/dev/null 2>&1 || true
    $ps folder acl set share-owner Team share-viewer lr >/dev/null
    local p
    p=$(port)
    cat > "$base/serve.toml" <<CONF
[listen]
lmtp = "off"
pop3 = "off"
pop3s = "off"
imap = "127.0.0.1:$p"
imaps = "off"
poppassd = "off"
managesieve = "off"
web = "off"
[status]
socket = "off"
CONF
    RUST_LOG=warn $ps --config "$base/serve.toml" serve 2>"$base/serve.log" &
    pid=$!
    python3 - "$p" "$label" <<'PY'
import imaplib, socket, statistics, sys, time
port, label = int(sys.argv[1]), sys.argv[2]
deadline = time.time() + 30
while True:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        break
    except OSError:
        if time.time() > deadline:
            raise
        time.sleep(0.05)
m = imaplib.IMAP4("127.0.0.1", port)
m.login("share-viewer", "bench-password")
times = []
for _ in range(21):
    t = time.perf_counter()
    typ, data = m.list('""', '*')
    times.append((time.perf_counter() - t) * 1000)
    assert typ == "OK", (typ, data)
shared = [d for d in data if b"Other Users/share-owner/Team" in d]
assert shared, data
m.logout()
print(f"{label:<28} {statistics.median(times):>10.2f} {min(times):>10.2f}")
PY
    kill "$pid"; wait "$pid" 2>/dev/null || true
    pid=""
}

printf '%-28s %10s %10s\n' store "LIST ms" "best ms"
for n in $SIZES; do
    store=$base/n$n
    "$bin/examples/store_bench" lookup "$store" "$n" 1 >/dev/null 2>&1
    measure "$store" "$n accounts, share index"
    rm -rf "$store"
done
if [ -n "${OLD:-}" ]; then
    measure "$OLD" "$(basename "$OLD"), made before it"
fi
