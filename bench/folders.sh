#!/usr/bin/env bash
# Folder-size benchmark (issue 13 point 2): the cost of an APPEND, a STORE
# of one flag and an EXPUNGE of one message in a folder of 100 messages
# and in one of 100,000, and the time to open the folder, through the
# store API on the Linux backend (bench/folder_ops.rs). The goal: each
# operation in the large folder within 1.5x of the small one, and opening
# 100,000 messages well under a second.
#
# Beside them, the machine's own limit: the cost of one synced 128-byte
# append to a file (what one change must pay at least), measured by dd with
# oflag=dsync in the same scratch directory.
#
# Needs: about 200 MB in the scratch directory ($TMPDIR or /tmp), removed
# after. Usage: bench/folders.sh [OPS] [SIZES...] (defaults 2000 100 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
OPS=${1:-2000}
shift || true
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(100 100000)

cargo build --release --example folder-ops >&2
work=$(mktemp -d "${TMPDIR:-/tmp}/popstore-folders-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT

# The floor: OPS synced appends of 128 bytes.
start=$(date +%s.%N)
for _ in $(seq 1 "$OPS"); do
    head -c 128 /dev/zero | dd of="$work/floor" oflag=dsync,append conv=notrunc status=none
done
end=$(date +%s.%N)
floor=$(python3 -c "print(round(($end - $start) / $OPS * 1000, 3))")

out=$(target/release/examples/folder-ops --dir "$work" --ops "$OPS" "${SIZES[@]}")
echo "$out" >&2
python3 - "$floor" <<PY
import json, sys
floor = float(sys.argv[1])
rows = [json.loads(l) for l in """$out""".splitlines() if l.strip()]
print(f"synced 128-byte append (dd oflag=dsync, incl. process start): {floor} ms")
print(f"{'messages':>9} {'open ms':>9} {'append ms':>10} {'store ms':>9} {'expunge ms':>11}")
for r in rows:
    print(f"{r['messages']:>9} {r['open_ms']:>9.1f} {r['append_ms']:>10.3f} {r['store_flag_ms']:>9.3f} {r['expunge_ms']:>11.3f}")
if len(rows) >= 2:
    a, b = rows[0], rows[-1]
    for k in ("append_ms", "store_flag_ms", "expunge_ms"):
        print(f"{k[:-3]}: {b['messages']} vs {a['messages']} messages: {b[k] / a[k]:.2f}x")
PY
