#!/usr/bin/env bash
# Installs the Debian packages and Rust targets the tests use, when missing.
# Idempotent; needs root (or sudo) only when something is missing.
set -euo pipefail

PKGS=(
  # differential tests and side-by-side benchmarks
  dovecot-imapd dovecot-pop3d dovecot-lmtpd dovecot-sieve
  # the MIME differential test's Dovecot driver (tests/mime_diff/dovecot_oracle.py)
  python3
  # migration tests: the old Dovecot's self-signed certificate (tests/migrate/)
  openssl
  # real clients
  swaks fetchmail curl python3-aiosmtpd liblockfile-bin
  # IMAP clients: a two-way sync (tests/imap_mbsync.rs), fetchers
  # (tests/imap_fetchers.rs)
  isync getmail6 offlineimap3
  # password sources (tests/auth_sources.rs): useradd/chpasswd, mkpasswd,
  # a private slapd; ManageSieve's client (tests/managesieve.rs)
  passwd whois slapd ldap-utils sieve-connect
  # two serve nodes on one GlusterFS volume (tests/shared_store_gluster.rs)
  # systemd-analyze verify on contrib/systemd/popstore.service (tests/serve_systemd.rs)
  systemd
  # the Prometheus text-format parser that reads /metrics (tests/serve_metrics.rs)
  python3-prometheus-client
  # a headless browser driven over WebDriver through the web pages (tests/web_browser.rs)
  chromium chromium-driver
  glusterfs-server glusterfs-client
  # cross targets
  qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross
  gcc-s390x-linux-gnu libc6-dev-s390x-cross musl-tools
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

for t in aarch64-unknown-linux-gnu s390x-unknown-linux-gnu x86_64-unknown-linux-musl; do
  rustup target list --installed | grep -qx "$t" || rustup target add "$t"
done

# Fuzzing (ci/fuzz.sh): cargo-fuzz, run on stable with RUSTC_BOOTSTRAP=1.
cargo fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked

# ManageSieve's Python client (tests/managesieve.rs), from PyPI.
if ! python3 -c "import sievelib.managesieve" 2>/dev/null; then
  python3 -m pip install --quiet sievelib==1.6.0 ||
    python3 -m pip install --quiet --break-system-packages sievelib==1.6.0
fi

# IMAP's Python client (tests/imap_clients.rs), from PyPI (imaplib is in
# the standard library).
if ! python3 -c "import imapclient" 2>/dev/null; then
  python3 -m pip install --quiet imapclient==4.1.0 ||
    python3 -m pip install --quiet --break-system-packages imapclient==4.1.0
fi
