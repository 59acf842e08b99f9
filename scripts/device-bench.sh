#!/bin/sh
# scripts/device-bench.sh - benchmark models on a device from the workstation (docs/targets.md).
#
#   sh scripts/device-bench.sh ssh://[USER@]HOST[:PORT] MODEL.gguf... [-- BENCH ARGS...] > records.jsonl
#   sh scripts/device-bench.sh adb:[SERIAL] MODEL.gguf... [-- BENCH ARGS...] > records.jsonl
#
# Asks the device its architecture (uname -m), copies the matching static edgelm
# (build-static/edgelm-linux-ARCH: `make static [ARCH=...]` first, which does nothing when it is current) and the models
# (a model already in the device's cache with the same SHA-256 is not copied again), runs
# `edgelm bench MODEL... -o jsonl BENCH ARGS` there, prints its records on stdout (progress and
# what was copied on stderr), and removes the binary. Models stay in the device's cache for the next
# run ($HOME/.cache/edgelm-bench over ssh, /data/local/tmp/edgelm-bench over adb); DEVICE_BENCH_CLEAN=1
# removes them too; DEVICE_BENCH_DIR=PATH puts the cache elsewhere on the device. Extra ssh options (a key, a known-hosts file): EDGELM_SSH_OPTS. Exit status:
# bench's, or 1 when the device cannot be reached or has an architecture without a static build.
set -eu
HERE=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "device-bench: $*" >&2; exit 1; }
[ $# -ge 2 ] || die "usage: device-bench.sh ssh://[USER@]HOST[:PORT] | adb:[SERIAL] MODEL.gguf... [-- BENCH ARGS...]"
TARGET=$1
shift
MODELS=""
while [ $# -gt 0 ] && [ "$1" != -- ]; do
    [ -f "$1" ] || die "$1: no such model file"
    # the name goes into a command line on the device: nothing a shell would read as more than a word
    case $(basename "$1") in
    *[!A-Za-z0-9._+-]* | -*) die "$1: rename it first: a model's file name here may hold only letters, digits and . _ + -" ;;
    esac
    MODELS="$MODELS $1"
    shift
done
[ $# -gt 0 ] && shift # the --
[ -n "$MODELS" ] || die "no model given"

# remote SCRIPT: run a shell command line on the device; put LOCAL REMOTE: copy a file there
case $TARGET in
ssh://*)
    hp=${TARGET#ssh://}
    port=22
    case $hp in *:*) port=${hp##*:} hp=${hp%:*} ;; esac
    # shellcheck disable=SC2086
    remote() { ssh -o BatchMode=yes -p "$port" ${EDGELM_SSH_OPTS:-} "$hp" "$1"; }
    put() { remote "cat > '$2'" < "$1"; }
    CACHE=${DEVICE_BENCH_DIR:-'$HOME/.cache/edgelm-bench'}
    ;;
adb:*)
    serial=${TARGET#adb:}
    adbs() { if [ -n "$serial" ]; then adb -s "$serial" "$@"; else adb "$@"; fi; }
    remote() { adbs shell "$1"; }
    put() { adbs push "$1" "$2" > /dev/null; }
    CACHE=${DEVICE_BENCH_DIR:-/data/local/tmp/edgelm-bench}
    ;;
*) die "$TARGET: give ssh://[USER@]HOST[:PORT] or adb:[SERIAL]" ;;
esac

arch=$(remote 'uname -m') || die "$TARGET: cannot run a command there"
arch=$(printf '%s' "$arch" | tr -d '\r')
case $arch in
aarch64 | arm64) arch=aarch64 ;;
x86_64 | amd64) arch=x86_64 ;;
*) die "$TARGET: architecture '$arch' has no static build (aarch64, x86_64)" ;;
esac
BIN=$HERE/build-static/edgelm-linux-$arch
# make is incremental: this is a no-op when the binary is up to date with the sources
make -C "$HERE" --no-print-directory static ARCH="$arch" > /dev/null || die "make static ARCH=$arch failed"
cache=$(remote "mkdir -p $CACHE && cd $CACHE && pwd" | tr -d '\r') || die "$TARGET: cannot make $CACHE"
run_id="edgelm-$$-$(date +%s)"
put "$BIN" "$cache/$run_id" || die "$TARGET: copying the binary failed"
remote "chmod +x '$cache/$run_id'"
echo "device-bench: $TARGET is $arch; edgelm copied to $cache/$run_id" >&2
names=""
for m in $MODELS; do
    name=$(basename "$m")

    want=$(sha256sum < "$m" | cut -c1-64)
    have=$(remote "sha256sum '$cache/$name' 2>/dev/null | cut -c1-64" | tr -d '\r' || true)
    if [ "$have" = "$want" ]; then
        echo "device-bench: $name is there already (same SHA-256), not copied" >&2
    else
        echo "device-bench: copying $name ($(wc -c < "$m") bytes)" >&2
        put "$m" "$cache/$name.part" && remote "mv '$cache/$name.part' '$cache/$name'" || die "$TARGET: copying $name failed"
    fi
    names="$names '$cache/$name'"
done
args=""
for a in "$@"; do
    case $a in *"'"*) die "bench argument $a: a single quote cannot be passed to the device" ;; esac
    args="$args '$a'"
done
status=0
remote "cd '$cache' && './$run_id' bench $names -o jsonl $args" || status=$?
if [ "${DEVICE_BENCH_CLEAN:-0}" = 1 ]; then
    remote "rm -rf '$cache'" || true
else
    remote "rm -f '$cache/$run_id'" || true
fi
exit $status
