#!/usr/bin/env bash
# What a shared file system costs popstore (issue 18, item 1): the same
# load on a store in a local directory and on a GlusterFS FUSE mount, one
# after the other, in one run (popstore alone; no Dovecot here):
#   lmtp: LMTP deliveries (bench/lmtp_load.py: MESSAGES x 4 KiB to one
#         recipient over CONN connections), messages/s;
#   pop3: RETR (pop3-load retr: USERS users x MSGS messages x 10 KiB,
#         concurrency 8), messages/s;
#   imap: per-message FETCH (imap-load fetch: USERS MessageStore users x
#         MSGS messages x 10 KiB, `FETCH n (FLAGS RFC822.SIZE ENVELOPE
#         BODYSTRUCTURE)` then `FETCH n (BODY.PEEK[])`, concurrency 8, with
#         logins and SELECT), messages/s.
# Each measure has one warm-up pass (pop3, imap) and is taken once per
# place: run it on a quiet machine, and more than once.
# The volume is set up as tests/shared_store_gluster.rs does
# (tests/gluster/volume.rs): glusterd (started when none answers, stopped
# at the end), one volume on one brick in a scratch directory on this
# machine, the volume options the store requires (client caches off), and
# a FUSE mount with attribute-timeout=0,entry-timeout=0,negative-timeout=0.
# Everything (server, mount, volume, glusterd if started here, scratch
# directory) is torn down at the end, also on failure or Ctrl-C (a TERM
# sent to the script alone is handled once the running load step ends). The brick is local: the figure is the
# cost of the GlusterFS client, translators and FUSE, not of a network.
#
# Usage: [POPSTORE_BIN=path] bench/shared_fs.sh lmtp|pop3|imap|all
#        (also `bench/lmtp.sh --gluster`, `bench/pop3.sh --gluster`,
#        `bench/imap.sh --gluster`)
#   MESSAGES= (2000), CONN= (8), USERS= (20), MSGS= (50) override the sizes.
#   QUICK=1: tiny sizes (MESSAGES=100, USERS=2, MSGS=10), a debug build
#            unless POPSTORE_BIN is given: checks the script end to end;
#            its figures mean nothing.
#   PROFILE=dev: use the debug build; NO_BUILD=1: use what is built.
# NEEDS: root (glusterd and the FUSE mount), /dev/fuse, GlusterFS (Debian
# glusterfs-server, glusterfs-client: ci/install-deps.sh installs them),
# python3; about 150 MB free in /tmp at the default sizes (each place
# holds ~2000 x 4 KiB + 2 x 20 x 50 x 10 KiB, the brick lives in /tmp too);
# ports on 127.0.0.1; a few minutes on 2 cores. It creates and deletes a
# volume named popstore-bench-PID; other volumes are left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WHAT=${1:-all}
case "$WHAT" in lmtp|pop3|imap|all) ;; *) echo "usage: $0 lmtp|pop3|imap|all" >&2; exit 2 ;; esac
if [ -n "${QUICK:-}" ]; then
    MESSAGES=${MESSAGES:-100} USERS=${USERS:-2} MSGS=${MSGS:-10}
    PROFILE=${PROFILE:-dev}
fi
MESSAGES=${MESSAGES:-2000}
CONN=${CONN:-8}
USERS=${USERS:-20}
MSGS=${MSGS:-50}
PROFILE=${PROFILE:-release}
PASSWORD=bench-password

[ "$(id -u)" = 0 ] || { echo "needs root (glusterd and FUSE mounts)" >&2; exit 2; }
[ -e /dev/fuse ] || { echo "needs /dev/fuse" >&2; exit 2; }
for p in glusterd gluster mount.glusterfs python3; do
    command -v "$p" >/dev/null || { echo "$p is missing (ci/install-deps.sh)" >&2; exit 2; }
done

if [ "$PROFILE" = dev ]; then FLAGS=(); DIR=debug; else FLAGS=(--release); DIR=release; fi
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
if [ -z "${NO_BUILD:-}" ]; then
    [ -n "${POPSTORE_BIN:-}" ] || cargo build "${FLAGS[@]}" --bin popstore >&2
    case "$WHAT" in pop3|all) cargo build "${FLAGS[@]}" --example pop3-load >&2 ;; esac
    case "$WHAT" in imap|all) cargo build "${FLAGS[@]}" --example imap-load >&2 ;; esac
fi
POPSTORE=${POPSTORE_BIN:-$TARGET/$DIR/popstore}
POP3_LOAD=$TARGET/$DIR/examples/pop3-load
IMAP_LOAD=$TARGET/$DIR/examples/imap-load
for b in "$POPSTORE" $(case "$WHAT" in pop3) echo "$POP3_LOAD" ;; imap) echo "$IMAP_LOAD" ;;
                     all) echo "$POP3_LOAD $IMAP_LOAD" ;; esac); do
    [ -x "$b" ] || { echo "$b is not built" >&2; exit 2; }
done

WORK=$(mktemp -d /tmp/popstore-shared-fs-XXXXXX)
VOL=popstore-bench-$$
GLUSTERD=
MOUNTED=
CREATED=
SERVE=
cleanup() {
    set +e
    if [ -n "$SERVE" ]; then kill "$SERVE" 2>/dev/null; wait "$SERVE" 2>/dev/null; fi
    if [ -n "$MOUNTED" ]; then umount "$WORK/mnt" 2>/dev/null || umount -l "$WORK/mnt"; fi
    if [ -n "$CREATED" ]; then
        gluster --mode=script volume stop "$VOL" force >/dev/null 2>&1
        gluster --mode=script volume delete "$VOL" >/dev/null 2>&1 ||
            echo "cleanup: could not delete volume $VOL" >&2
    fi
    if [ -n "$GLUSTERD" ]; then kill "$GLUSTERD" 2>/dev/null; wait "$GLUSTERD" 2>/dev/null; fi
    # Never remove files through a mount that is still there.
    if mountpoint -q "$WORK/mnt" 2>/dev/null; then
        echo "cleanup: $WORK/mnt is still mounted; $WORK left" >&2
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap "exit 130" INT TERM

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
CREATED=1
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
    for u in $(seq 1 "$USERS"); do
        echo "$PASSWORD" | "$POPSTORE" user add "bench$u" --password-stdin >/dev/null
        echo "$PASSWORD" | "$POPSTORE" user add "imap$u" --store-type imap --password-stdin >/dev/null
    done
    LMTP_PORT=$(free_port)
    POP3_PORT=$(free_port)
    IMAP_PORT=$(free_port)
    printf '[status]\nsocket = "off"\n[log]\nlevel = "warn"\n[pop3]\nmax_sessions_per_client = 0\n[imap]\nmax_sessions_per_client = 0\n' \
        >"$WORK/popstore.toml"
    "$POPSTORE" --config "$WORK/popstore.toml" serve --lmtp "127.0.0.1:$LMTP_PORT" \
        --pop3 "127.0.0.1:$POP3_PORT" --imap "127.0.0.1:$IMAP_PORT" --pop3s off --poppassd off \
        --managesieve off --imaps off --web off >>"$WORK/serve.log" 2>&1 &
    SERVE=$!
    wait_port "$LMTP_PORT"
    wait_port "$POP3_PORT"
    wait_port "$IMAP_PORT"
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
    case "$WHAT" in lmtp|all)
        echo "== $place: LMTP, $MESSAGES messages" >&2
        r=$(python3 bench/lmtp_load.py "127.0.0.1:$LMTP_PORT" --messages "$MESSAGES" \
            --size 4096 --connections "$CONN" --rcpt one@localhost)
        RESULT[$place.lmtp]=$(field "$r" messages_per_s) ;;
    esac
    case "$WHAT" in pop3|all)
        echo "== $place: POP3, $USERS x $MSGS messages" >&2
        python3 bench/pop3_fixtures.py lmtp 127.0.0.1 "$LMTP_PORT" bench "$USERS" "$MSGS" 10240
        "$POP3_LOAD" retr --addr "127.0.0.1:$POP3_PORT" --users "$USERS" --password "$PASSWORD" \
            --concurrency 8 >/dev/null
        r=$("$POP3_LOAD" retr --addr "127.0.0.1:$POP3_PORT" --users "$USERS" --password "$PASSWORD" \
            --concurrency 8)
        RESULT[$place.pop3]=$(field "$r" retr_msgs_per_s) ;;
    esac
    case "$WHAT" in imap|all)
        echo "== $place: IMAP, $USERS x $MSGS messages" >&2
        python3 bench/pop3_fixtures.py lmtp 127.0.0.1 "$LMTP_PORT" imap "$USERS" "$MSGS" 10240
        "$IMAP_LOAD" fetch --addr "127.0.0.1:$IMAP_PORT" --prefix imap --users "$USERS" \
            --password "$PASSWORD" --concurrency 8 >/dev/null
        r=$("$IMAP_LOAD" fetch --addr "127.0.0.1:$IMAP_PORT" --prefix imap --users "$USERS" \
            --password "$PASSWORD" --concurrency 8)
        RESULT[$place.imap]=$(field "$r" msgs_per_s) ;;
    esac
    stop_serve
done

echo "shared file system cost ($(date -u +%F), $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $DIR build${QUICK:+, QUICK: sizes too small to mean anything}):"
printf '%-34s %12s %12s %8s\n' measure local gluster ratio
for k in lmtp pop3 imap; do
    [ -n "${RESULT[local.$k]:-}" ] || continue
    case $k in
        lmtp) name="LMTP deliveries/s ($CONN conn)" ;;
        pop3) name="RETR messages/s (concurrency 8)" ;;
        imap) name="IMAP FETCH messages/s (conc. 8)" ;;
    esac
    printf '%-34s %12s %12s %8s\n' "$name" "${RESULT[local.$k]}" "${RESULT[gluster.$k]}" \
        "$(python3 -c "print(f'{float(\"${RESULT[gluster.$k]}\") / float(\"${RESULT[local.$k]}\"):.2f}')")"
done
