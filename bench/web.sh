#!/usr/bin/env bash
# Web interface and HTTP API benchmark (issue 15):
#   - the time to serve the first page of the accounts list (the HTML page
#     and GET /api/v1/accounts, 50 accounts), a search that walks the
#     whole store (a pattern matching one account), a count of the
#     store's totals (GET /api/v1/summary) and the managers' dashboard
#     (its first visit, which counts, and later ones, which show that
#     count), at each store size;
#   - API requests per second for GET /api/v1/accounts/NAME at
#     concurrency 8 (keep-alive connections, bench/web_load.rs).
#
#   bench/web.sh                # 10,000 and 100,000 accounts
#   SIZES="1000" SECONDS_=3 bench/web.sh   # a quick check of the script
#   bench/web.sh DIR            # keep the stores in DIR (reused next time)
#   PROFILE=debug ...           # use the debug build (a smoke test only)
#
# The accounts are written straight into the Linux layout by
# examples/store_bench.rs (no fsync each); the 100,000 store takes about
# 1.1 GB and 100k inodes (removed at the end unless DIR is given). Times are the median of 5 requests with curl.
set -euo pipefail
cd "$(dirname "$0")/.."
# The stores go at the end unless DIR was given (about 1.1 GB at the
# default sizes).
if [ -n "${1:-}" ]; then base=$1; own=""; else base=$(mktemp -d /tmp/popstore-web-XXXXXX); own=$base; fi
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    [ -n "$own" ] && rm -rf "$own"
    return 0
}
trap cleanup EXIT
SIZES=${SIZES:-"10000 100000"}
SECONDS_=${SECONDS_:-10}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
PROFILE=${PROFILE:-release}
if [ "$PROFILE" = debug ]; then
    cargo build --bin popstore --example store_bench --example web-load >&2
else
    cargo build --release --bin popstore --example store_bench --example web-load >&2
fi
bin=$CARGO_TARGET_DIR/$PROFILE
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
timed() { # URL [curl args...]: the median of 5 times, in ms
    local url=$1; shift
    for _ in 1 2 3 4 5; do
        curl -s -o /dev/null -w '%{time_total}\n' "$@" "$url"
    done | median | awk '{printf "%.1f", $1 * 1000}'
}
printf '%-9s %-10s %-10s %-12s %-12s %-12s %-12s %-10s\n' accounts "page (ms)" "API page" "search (ms)" "count (ms)" "dash, 1st" "dashboard" "API req/s"
for n in $SIZES; do
    store=$base/n$n
    "$bin/examples/store_bench" lookup "$store" "$n" 1 >/dev/null 2>&1
    "$bin/popstore" --store "$store" user add bench-boss --flags MANAGE --password-stdin \
        <<< "bench-password" >/dev/null 2>&1 || true
    token=$("$bin/popstore" --store "$store" token create bench-boss --label bench)
    p=$(port)
    cat > "$store.toml" <<CONF
[listen]
lmtp = "off"
pop3 = "off"
pop3s = "off"
imap = "off"
imaps = "off"
poppassd = "off"
managesieve = "off"
web = "127.0.0.1:$p"
[status]
socket = "off"
CONF
    RUST_LOG=warn "$bin/popstore" --store "$store" --config "$store.toml" serve 2>"$store.log" &
    pid=$!
    for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$p/login" && break; sleep 0.1; done
    jar=$store.jar
    curl -s -c "$jar" -o /dev/null --data "name=bench-boss&password=bench-password" "http://127.0.0.1:$p/login"
    page=$(timed "http://127.0.0.1:$p/accounts" -b "$jar")
    api=$(timed "http://127.0.0.1:$p/api/v1/accounts?limit=50" -H "Authorization: Bearer $token")
    last=$((n - 1))
    search=$(timed "http://127.0.0.1:$p/accounts?q=u$last" -b "$jar")
    # The dashboard's first visit counts the store; later ones show that
    # count (recounted in the background after a minute). The summary
    # without max_age counts each time.
    first=$(curl -s -o /dev/null -w '%{time_total}\n' -b "$jar" "http://127.0.0.1:$p/" | awk '{printf "%.1f", $1 * 1000}')
    dash=$(timed "http://127.0.0.1:$p/" -b "$jar")
    count=$(timed "http://127.0.0.1:$p/api/v1/summary" -H "Authorization: Bearer $token")
    rps=$("$bin/examples/web-load" "127.0.0.1:$p" "/api/v1/accounts/u$((n / 2))" "$token" "$SECONDS_" 8)
    printf '%-9s %-10s %-10s %-12s %-12s %-12s %-12s %-10s\n' "$n" "$page" "$api" "$search" "$count" "$first" "$dash" "$rps"
    kill $pid; wait $pid 2>/dev/null || true
    pid=""
done
