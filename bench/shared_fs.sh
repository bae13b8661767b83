#!/usr/bin/env bash
# What a shared file system costs popstore (issue 18, item 1): the same
# load on a store in a local directory and on a GlusterFS FUSE mount, one
# after the other, in one run:
#   lmtp: LMTP deliveries (bench/lmtp_load.py: MESSAGES x 4 KiB to one
#         recipient over CONN connections), messages/s;
#   pop3: RETR (pop3-load retr: USERS users x MSGS messages x 10 KiB,
#         concurrency 8), messages/s.
# The volume is set up as tests/shared_store_gluster.rs does
# (tests/gluster/volume.rs): glusterd (started when none answers), one
# volume on one brick in a scratch directory on this machine, the volume
# options the store requires (client caches off), and a FUSE mount with
# attribute-timeout=0,entry-timeout=0,negative-timeout=0. Everything is
# torn down at the end. The brick is local: the figure is the cost of the
# GlusterFS client, translators and FUSE, not of a network.
#
# Usage: [POPSTORE_BIN=path] bench/shared_fs.sh lmtp|pop3|all
#        (also `bench/lmtp.sh --gluster`, `bench/pop3.sh --gluster`)
#   MESSAGES= (2000), CONN= (8), USERS= (20), MSGS= (50) override the sizes.
# Needs root, /dev/fuse and GlusterFS (Debian glusterfs-server,
# glusterfs-client: ci/install-deps.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WHAT=${1:-all}
case "$WHAT" in lmtp|pop3|all) ;; *) echo "usage: $0 lmtp|pop3|all" >&2; exit 2 ;; esac
MESSAGES=${MESSAGES:-2000}
CONN=${CONN:-8}
USERS=${USERS:-20}
MSGS=${MSGS:-50}
PASSWORD=bench-password

[ "$(id -u)" = 0 ] || { echo "needs root (glusterd and FUSE mounts)" >&2; exit 2; }
[ -e /dev/fuse ] || { echo "needs /dev/fuse" >&2; exit 2; }
for p in glusterd gluster mount.glusterfs python3; do
    command -v "$p" >/dev/null || { echo "$p is missing (ci/install-deps.sh)" >&2; exit 2; }
done

if [ -z "${POPSTORE_BIN:-}" ]; then
    cargo build --release --bin popstore --example pop3-load >&2
fi
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
POPSTORE=${POPSTORE_BIN:-$TARGET/release/popstore}
LOAD=$TARGET/release/examples/pop3-load
[ "$WHAT" = lmtp ] || [ -x "$LOAD" ] || cargo build --release --example pop3-load >&2

WORK=$(mktemp -d /tmp/popstore-shared-fs-XXXXXX)
VOL=popstore-bench-$$
GLUSTERD=
MOUNTED=
SERVE=
cleanup() {
    [ -n "$SERVE" ] && kill "$SERVE" 2>/dev/null && wait "$SERVE" 2>/dev/null
    [ -n "$MOUNTED" ] && umount "$WORK/mnt" 2>/dev/null
    gluster --mode=script volume stop "$VOL" force >/dev/null 2>&1 || true
    gluster --mode=script volume delete "$VOL" >/dev/null 2>&1 || true
    [ -n "$GLUSTERD" ] && kill "$GLUSTERD" 2>/dev/null && wait "$GLUSTERD" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
    for _ in $(seq 1 300); do
        python3 -c "import socket; socket.create_connection(('127.0.0.1',$1),1)" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "nothing listens on port $1" >&2
    return 1
}

# --- the volume (as tests/gluster/volume.rs) ---------------------------
if ! gluster --mode=script volume list >/dev/null 2>&1; then
    glusterd --no-daemon --log-file "$WORK/glusterd.log" </dev/null >/dev/null 2>&1 &
    GLUSTERD=$!
    for _ in $(seq 1 300); do
        gluster --mode=script volume list >/dev/null 2>&1 && break
        sleep 0.1
    done
fi
mkdir -p "$WORK/brick" "$WORK/mnt" "$WORK/local"
gluster --mode=script volume create "$VOL" "$(cat /proc/sys/kernel/hostname):$WORK/brick" force >/dev/null
gluster --mode=script volume start "$VOL" >/dev/null
for o in stat-prefetch quick-read io-cache read-ahead open-behind nl-cache readdir-ahead parallel-readdir; do
    gluster --mode=script volume set "$VOL" "performance.$o" off >/dev/null
done
mount -t glusterfs -o attribute-timeout=0,entry-timeout=0,negative-timeout=0 \
    "$(cat /proc/sys/kernel/hostname):/$VOL" "$WORK/mnt"
MOUNTED=1

# --- one place -----------------------------------------------------------
start_serve() { # STORE
    export POPSTORE_STORE=$1
    "$POPSTORE" init >/dev/null
    echo "$PASSWORD" | "$POPSTORE" user add one --password-stdin >/dev/null
    for u in $(seq 1 "$USERS"); do echo "$PASSWORD" | "$POPSTORE" user add "bench$u" --password-stdin >/dev/null; done
    LMTP_PORT=$(free_port)
    POP3_PORT=$(free_port)
    printf '[status]\nsocket = "off"\n[log]\nlevel = "warn"\n' >"$WORK/popstore.toml"
    "$POPSTORE" --config "$WORK/popstore.toml" serve --lmtp "127.0.0.1:$LMTP_PORT" \
        --pop3 "127.0.0.1:$POP3_PORT" --pop3s off --poppassd off --managesieve off --imap off --imaps off --web off \
        >>"$WORK/serve.log" 2>&1 &
    SERVE=$!
    wait_port "$LMTP_PORT"
    wait_port "$POP3_PORT"
}
stop_serve() {
    kill -TERM "$SERVE"
    wait "$SERVE" || true
    SERVE=
}

field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

declare -A RESULT
for place in local gluster; do
    if [ "$place" = local ]; then store=$WORK/local/store; else store=$WORK/mnt/store; fi
    echo "== $place: $store" >&2
    start_serve "$store"
    if [ "$WHAT" != pop3 ]; then
        r=$(python3 bench/lmtp_load.py "127.0.0.1:$LMTP_PORT" --messages "$MESSAGES" \
            --size 4096 --connections "$CONN" --rcpt one@localhost)
        RESULT[$place.lmtp]=$(field "$r" messages_per_s)
    fi
    if [ "$WHAT" != lmtp ]; then
        python3 bench/pop3_fixtures.py lmtp 127.0.0.1 "$LMTP_PORT" bench "$USERS" "$MSGS" 10240
        "$LOAD" retr --addr "127.0.0.1:$POP3_PORT" --users "$USERS" --password "$PASSWORD" \
            --concurrency 8 >/dev/null
        r=$("$LOAD" retr --addr "127.0.0.1:$POP3_PORT" --users "$USERS" --password "$PASSWORD" \
            --concurrency 8)
        RESULT[$place.pop3]=$(field "$r" retr_msgs_per_s)
    fi
    stop_serve
done

echo "shared file system cost ($(date -u +%F), $(git rev-parse --short HEAD 2>/dev/null || echo '?')):"
printf '%-34s %12s %12s %8s\n' measure local gluster ratio
for k in lmtp pop3; do
    [ -n "${RESULT[local.$k]:-}" ] || continue
    case $k in
        lmtp) name="LMTP deliveries/s ($CONN conn)" ;;
        pop3) name="RETR messages/s (concurrency 8)" ;;
    esac
    printf '%-34s %12s %12s %8s\n' "$name" "${RESULT[local.$k]}" "${RESULT[gluster.$k]}" \
        "$(python3 -c "print(f'{float(\"${RESULT[gluster.$k]}\") / float(\"${RESULT[local.$k]}\"):.2f}')")"
done
