#!/usr/bin/env bash
# Runs every cargo-fuzz target under fuzz/ briefly (FUZZ_SECONDS each,
# default 30): a smoke run in CI, not a fuzzing campaign. Needs the nightly
# toolchain and cargo-fuzz (ci/install-deps.sh installs cargo-fuzz).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

secs="${FUZZ_SECONDS:-30}"
if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "ci/fuzz.sh: the nightly toolchain is missing (rustup toolchain install nightly)" >&2
  exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "ci/fuzz.sh: cargo-fuzz is missing: run ci/install-deps.sh" >&2
  exit 1
fi
for t in $(cargo +nightly fuzz list); do
  echo "fuzzing $t for ${secs}s"
  cargo +nightly fuzz run "$t" -- -max_total_time="$secs"
done
