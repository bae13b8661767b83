#!/usr/bin/env bash
# The one test command (README.md): installs what the tests need when it is
# missing (Debian packages, Rust targets), then runs every test of the
# workspace and the cross-target runs.
set -euo pipefail
cd "$(dirname "$0")/.."

ci/install-deps.sh

cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace

# The 3-minute soak (issue 18): 50 clients of LMTP, POP3 and IMAP against the
# debug build; fails on errors, lost messages or steady growth.
POPSTORE_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/popstore" bench/soak.sh --minutes 3 --imap

# Every fuzz target briefly (formats readers and others'; FUZZ_SECONDS each).
ci/fuzz.sh

# Cross targets: formats/platform/conformance tests on aarch64 and big-endian
# s390x under qemu-user, and a static musl binary (ci/cross.sh).
ci/cross.sh
