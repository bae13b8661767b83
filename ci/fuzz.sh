#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ briefly (FUZZ_SECONDS each, default 15).
# cargo-fuzz needs nightly-only compiler flags (-Zsanitizer=address); on the
# stable toolchain RUSTC_BOOTSTRAP=1 enables them. A crash fails the run and
# leaves the input in fuzz/artifacts/TARGET/.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

SECONDS_EACH="${FUZZ_SECONDS:-15}"
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "cargo-fuzz is missing: run ci/install-deps.sh (cargo install cargo-fuzz --locked)" >&2
  exit 1
fi
export RUSTC_BOOTSTRAP=1
cargo fuzz build
for t in $(cargo fuzz list); do
  set +e
  # Seeds (read-only; new inputs go to corpus/$t): fuzz/seeds/$t when a
  # target brings its own, the golden fixtures of a format reader's kind.
  seeds=()
  [ -d "seeds/$t" ] && seeds+=("seeds/$t")
  for v in ../conformance/fixtures/v*/; do
    [ -d "$v${t//_/-}" ] && seeds+=("$v${t//_/-}")
  done
  [ "$t" = any_file ] && seeds+=("../conformance/fixtures")
  [ "$t" = message_header ] && seeds+=("../conformance/fixtures/v1.0/message")
  # mime: the MIME corpus seeds the precompute target.
  [ "$t" = mime_precompute ] && seeds+=("../tests/mime-corpus")
  mkdir -p "corpus/$t"
  out=$(cargo fuzz run "$t" "corpus/$t" "${seeds[@]}" -- -max_total_time="$SECONDS_EACH" 2>&1)
  rc=$?
  set -e
  if [ "$rc" -ne 0 ]; then
    echo "$out" | tail -40
    echo "fuzz: $t failed (exit $rc); the input is in fuzz/artifacts/$t/" >&2
    exit 1
  fi
  echo "fuzz: $t: $(echo "$out" | grep -E '^Done' | tail -1)"
done
echo "fuzz: every target ran ${SECONDS_EACH}s without a crash"
