#!/usr/bin/env bash
# The format crate's tests and the conformance runner on a big-endian
# target (s390x under qemu-user): the same fixtures must read and rewrite
# to the same bytes there. Needs gcc-s390x-linux-gnu, libc6-dev-s390x-cross,
# qemu-user and the Rust target (ci/install-deps.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in s390x-linux-gnu-gcc qemu-s390x; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: run ci/install-deps.sh" >&2; exit 1; }
done
export CARGO_TARGET_S390X_UNKNOWN_LINUX_GNU_LINKER=s390x-linux-gnu-gcc
export CARGO_TARGET_S390X_UNKNOWN_LINUX_GNU_RUNNER="qemu-s390x -L /usr/s390x-linux-gnu"
export PROPTEST_CASES="${PROPTEST_CASES:-32}"
cargo test -p popstore-formats -p popstore-conformance --target s390x-unknown-linux-gnu
