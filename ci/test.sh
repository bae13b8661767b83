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
ci/fuzz.sh
