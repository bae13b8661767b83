#!/usr/bin/env bash
# Logins per second through each password source (issue 16), over POP3
# USER/PASS at concurrency 8, with and without the credentials cache:
# the profile's own argon2id (the baseline), a checkpassword program, the
# system source (yescrypt hashes made by chpasswd in a private root),
# LDAP (a private slapd, direct bind) and PAM (pam_unix, host users made
# for the run and removed after it). Everything on loopback.
#
#   bench/auth.sh              # COUNT=400 logins per measurement
#   COUNT=100 bench/auth.sh    # quicker
#   POPSTORE_BIN=target/release/popstore bench/auth.sh
#
# Needs root (useradd, chpasswd, pam_unix reading /etc/shadow) and the
# packages of ci/install-deps.sh. Builds the release binary when
# POPSTORE_BIN is not given.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
COUNT=${COUNT:-400}
CONC=8
PW=bench-pw
if [ -z "${POPSTORE_BIN:-}" ]; then
  cargo build --release --quiet --bin popstore
  POPSTORE_BIN=${CARGO_TARGET_DIR:-target}/release/popstore
fi
BIN=$(realpath "$POPSTORE_BIN")
[ "$(id -u)" -eq 0 ] || { echo "bench/auth.sh needs root" >&2; exit 1; }

WORK=$(mktemp -d /tmp/auth-bench.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for i in $(seq 1 $CONC); do userdel "pstb-e$i" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

STORE=$WORK/store
"$BIN" --store "$STORE" init >/dev/null
for i in $(seq 1 $CONC); do
  echo "$PW" | "$BIN" --store "$STORE" user add "p$i" --password-stdin >/dev/null
  "$BIN" --store "$STORE" user add "e$i" --flags PWD_ELSEWHERE >/dev/null
done

# external: a checkpassword program in sh
cat > "$WORK/checkpw" <<EOS
#!/bin/sh
pw=\$(tr '\0' '\n' <&3 | sed -n 2p)
[ "\$pw" = "$PW" ] && exec "\$@"
exit 1
EOS
chmod 755 "$WORK/checkpw"

# system: a private root with yescrypt hashes made by chpasswd
R=$WORK/root; mkdir -p "$R/etc"
printf 'root:x:0:0::/root:/bin/sh\n' > "$R/etc/passwd"; printf 'root:x:0:\nusers:x:100:\n' > "$R/etc/group"
printf 'root:*::0:99999:7:::\n' > "$R/etc/shadow"; printf 'root:*::\n' > "$R/etc/gshadow"
for i in $(seq 1 $CONC); do
  useradd -R "$R" -M -N -g 100 -u $((2000 + i)) "e$i"
  echo "e$i:$PW" | chpasswd -R "$R" -c YESCRYPT
done

# pam: host users checked by pam_unix
mkdir -p "$WORK/pam.d"
printf 'auth required pam_unix.so\naccount required pam_unix.so\n' > "$WORK/pam.d/pst-bench"
for i in $(seq 1 $CONC); do
  userdel "pstb-e$i" 2>/dev/null || true
  useradd -M -N -K UID_MIN=2000 "pstb-e$i"
  echo "pstb-e$i:$PW" | chpasswd -c YESCRYPT
done

# ldap: a private slapd, people e1..e8
L=$WORK/slapd; mkdir -p "$L/db"
LPORT=$(free_port)
cat > "$L/slapd.conf" <<EOS
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/nis.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile $L/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
suffix "dc=test"
rootdn "cn=admin,dc=test"
rootpw admin-pw
directory $L/db
maxsize 10485760
access to attrs=userPassword by self write by anonymous auth by * none
access to * by * read
EOS
{
  printf 'dn: dc=test\nobjectClass: dcObject\nobjectClass: organization\no: test\ndc: test\n\n'
  printf 'dn: ou=people,dc=test\nobjectClass: organizationalUnit\nou: people\n\n'
  for i in $(seq 1 $CONC); do
    printf 'dn: uid=e%s,ou=people,dc=test\nobjectClass: inetOrgPerson\nuid: e%s\ncn: e%s\nsn: e%s\nuserPassword: %s\n\n' "$i" "$i" "$i" "$i" "$PW"
  done
} > "$L/seed.ldif"
slapadd -f "$L/slapd.conf" -l "$L/seed.ldif" 2>/dev/null
/usr/sbin/slapd -d 0 -f "$L/slapd.conf" -h "ldap://127.0.0.1:$LPORT/" 2>/dev/null &
PIDS+=($!)
until (exec 3<>/dev/tcp/127.0.0.1/$LPORT) 2>/dev/null; do sleep 0.05; done

run() { # name prefix auth-config
  local name=$1 prefix=$2 auth=$3 cfg=$WORK/popstore.toml log=$WORK/serve.log
  printf '[listen]\nlmtp = "off"\npop3 = "127.0.0.1:0"\npop3s = "off"\npoppassd = "off"\nmanagesieve = "off"\nimap = "off"\nimaps = "off"\nweb = "off"\n[pop3]\nauth_failure_delay_ms = 0\nmax_sessions_per_client = 0\n%s\n' "$auth" > "$cfg"
  : > "$log"
  "$BIN" --store "$STORE" --config "$cfg" serve 2> "$log" &
  local pid=$!
  until grep -q "POP3 listening" "$log"; do sleep 0.05; done
  local port; port=$(sed -n 's/.*POP3 listening listen=127.0.0.1:\([0-9]*\).*/\1/p' "$log" | head -1)
  local r; r=$(python3 "$ROOT/bench/auth_load.py" 127.0.0.1 "$port" "$prefix" "$PW" "$COUNT" "$CONC")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  printf '%-10s %s\n' "$name" "$r"
}

src() { # source extra-keys cache-ttl
  printf '[auth]\nsources = ["%s"]\ncache_ttl = %s\n%s\n' "$1" "$3" "$2"
}
EXT=$'[auth.external]\nprogram = "'$WORK/checkpw$'"'
SYS=$'[auth.system]\npasswd_file = "'$R/etc/passwd$'"\nshadow_file = "'$R/etc/shadow$'"'
PAM=$'[auth.pam]\nservice = "pst-bench"\nconfdir = "'$WORK/pam.d$'"\nlogin = "pstb-%u"'
LDAP=$'[auth.ldap]\nuri = "ldap://127.0.0.1:'$LPORT$'"\ndn_template = "uid=%u,ou=people,dc=test"\npool_size = 8'

echo "logins per second, POP3 USER/PASS/QUIT, concurrency $CONC, $COUNT logins each ($(nproc) cores)"
run "profile" p ""
for cache in 0 300; do
  echo "-- cache_ttl = $cache"
  run "external" e "$(src external "$EXT" $cache)"
  run "system" e "$(src system "$SYS" $cache)"
  run "ldap" e "$(src ldap "$LDAP" $cache)"
  run "pam" e "$(src pam "$PAM" $cache)"
done
