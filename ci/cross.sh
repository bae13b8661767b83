#!/usr/bin/env bash
# Cross-target runs (ARCHITECTURE.md, "ci/"): the formats, platform and
# conformance tests on aarch64 and on big-endian s390x under qemu-user, and
# a static x86_64 musl binary of popstore. Prints how long each target took.
#
# Needs the cross gcc, qemu-user and musl-tools Debian packages and the rustup
# targets (ci/install-deps.sh installs them). No binfmt_misc is needed: cargo
# runs the test binaries through qemu-<arch> -L /usr/<arch>-linux-gnu.
#
#   ci/cross.sh                 every target
#   ci/cross.sh s390x musl      some of them (aarch64, s390x, musl)
set -euo pipefail
cd "$(dirname "$0")/.."

CRATES=(-p popstore-formats -p popstore-platform -p popstore-platform-linux
        -p popstore-platform-openvms -p popstore-conformance)
MUSL_PROFILE=${MUSL_PROFILE:-release}

need() {
  command -v "$1" >/dev/null 2>&1 || {
    echo "ci/cross.sh: $1 is missing: run ci/install-deps.sh" >&2
    exit 1
  }
}

declare -A TOOK=()

run_qemu() { # arch
  local arch=$1 triple="$1-unknown-linux-gnu"
  local var
  var=$(echo "$triple" | tr 'a-z-' 'A-Z_')
  need "$arch-linux-gnu-gcc"
  need "qemu-$arch"
  local runner="qemu-$arch -L /usr/$arch-linux-gnu"
  echo "== $triple: tests under $runner"
  local start=$SECONDS
  env "CARGO_TARGET_${var}_LINKER=$arch-linux-gnu-gcc" \
      "CARGO_TARGET_${var}_RUNNER=$runner" \
      "CC_${triple//-/_}=$arch-linux-gnu-gcc" \
      POPSTORE_TEST_RUNNER="$runner" \
      PROPTEST_CASES="${PROPTEST_CASES:-32}" \
      cargo test --target "$triple" "${CRATES[@]}"
  TOOK[$triple]=$((SECONDS - start))
}

run_musl() {
  local triple=x86_64-unknown-linux-musl
  need musl-gcc
  echo "== $triple: static popstore binary ($MUSL_PROFILE)"
  local start=$SECONDS
  CC_x86_64_unknown_linux_musl=musl-gcc \
    cargo build --target "$triple" --profile "$MUSL_PROFILE" -p popstore --bin popstore
  local dir=$MUSL_PROFILE
  [ "$dir" = dev ] && dir=debug
  local bin="target/$triple/$dir/popstore"
  local what
  what=$(file -b "$bin")
  echo "$bin: $what"
  case "$what" in
    *"statically linked"* | *"static-pie linked"*) ;;
    *) echo "ci/cross.sh: $bin is not static" >&2; exit 1 ;;
  esac
  if ldd "$bin" 2>&1 | grep -q "=>"; then
    echo "ci/cross.sh: ldd finds shared libraries in $bin" >&2
    exit 1
  fi
  "$bin" --version
  TOOK[$triple]=$((SECONDS - start))
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(aarch64 s390x musl)
need file
for t in "${targets[@]}"; do
  case "$t" in
    aarch64 | s390x) run_qemu "$t" ;;
    musl) run_musl ;;
    *) echo "ci/cross.sh: unknown target $t (aarch64, s390x, musl)" >&2; exit 2 ;;
  esac
done

echo "== cross targets: time taken"
for t in "${!TOOK[@]}"; do
  printf '%-32s %4d s\n' "$t" "${TOOK[$t]}"
done
