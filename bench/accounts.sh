#!/usr/bin/env bash
# Account lookup and validation time at 10,000 and 1,000,000 accounts
# (issue 4: they must differ by less than 20%). The profiles are written
# straight into the Linux layout (no fsync per file) to keep the setup
# short; each run then times random validations (what LMTP does at
# RCPT TO: forwarding lookup, profile read, quota check) of known and of
# unknown names.
#
# Usage: bench/accounts.sh [DIR]   (DIR default: a fresh directory in /tmp;
# the 1M store takes about 8 GB and 2M inodes)
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:-$(mktemp -d /tmp/popstore-accounts-XXXXXX)}
cargo build --release --example store_bench >&2
bin=target/release/examples/store_bench
for n in 10000 1000000; do
    "$bin" lookup "$base/n$n" "$n" 50000
done
