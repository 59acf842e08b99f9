#!/bin/sh
# tests/cross/device_bench_test.sh - scripts/device-bench.sh against a real OpenSSH server on
# 127.0.0.1 (issue 17): a throwaway sshd (its own host key, config and port, as root) accepting one
# throwaway user key; two runs of the script with a model; checks the records, that the second run
# did not copy the model again (same SHA-256), and that no binary is left on the "device".
#
#   sh tests/cross/device_bench_test.sh MODEL.gguf     exit 0 ok, 1 failed, 77 skipped (not root, no sshd)
set -eu
MODEL=$1
HERE=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "skipped: the throwaway sshd needs root"; exit 77; }
[ -x /usr/sbin/sshd ] && command -v ssh > /dev/null || { echo "skipped: openssh-server/client not installed"; exit 77; }
W=$(mktemp -d "${TMPDIR:-/tmp}/edgelm-ssh-XXXXXX")
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2> /dev/null
    rm -rf "$W"
}
trap cleanup EXIT
fail() { echo "device_bench_test: $*" >&2; [ -f "$W/sshd.log" ] && tail -n 5 "$W/sshd.log" >&2; exit 1; }

ssh-keygen -q -t ed25519 -N '' -f "$W/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$W/id"
cp "$W/id.pub" "$W/authorized_keys"
chmod 600 "$W/authorized_keys"
port=$((20000 + $$ % 20000))
cat > "$W/sshd_config" << EOF
Port $port
ListenAddress 127.0.0.1
HostKey $W/host_key
AuthorizedKeysFile $W/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile $W/sshd.pid
EOF
mkdir -p /run/sshd
/usr/sbin/sshd -D -e -f "$W/sshd_config" 2> "$W/sshd.log" &
pid=$!
export EDGELM_SSH_OPTS="-i $W/id -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=5"
export DEVICE_BENCH_DIR="$W/device" # the device's cache (the same machine here)
i=0
until ssh -o BatchMode=yes -p "$port" $EDGELM_SSH_OPTS root@127.0.0.1 true 2> /dev/null; do
    i=$((i + 1))
    [ $i -lt 50 ] || fail "sshd did not come up on port $port"
    sleep 0.1
done

T="ssh://root@127.0.0.1:$port"
sh "$HERE/scripts/device-bench.sh" "$T" "$MODEL" -- -p 8 -n 8 -r 1 --bw-mib 0 > "$W/run1.jsonl" 2> "$W/run1.err" ||
    fail "first run failed: $(tail -n 3 "$W/run1.err")"
sh "$HERE/scripts/device-bench.sh" "$T" "$MODEL" -- -p 8 -n 8 -r 1 --bw-mib 0 > "$W/run2.jsonl" 2> "$W/run2.err" ||
    fail "second run failed: $(tail -n 3 "$W/run2.err")"
name=$(basename "$MODEL")
grep -q "copying $name" "$W/run1.err" || fail "the first run did not copy the model: $(cat "$W/run1.err")"
grep -q "$name is there already" "$W/run2.err" || fail "the second run copied the model again: $(cat "$W/run2.err")"
for r in run1 run2; do
    [ "$(wc -l < "$W/$r.jsonl")" = 2 ] || fail "$r: expected 2 records (pp8, tg8), got: $(cat "$W/$r.jsonl")"
    grep -q '"cpu_info"' "$W/$r.jsonl" && grep -q '"test":"tg8"' "$W/$r.jsonl" && grep -q "\"static\":true" "$W/$r.jsonl" ||
        fail "$r: records without cpu_info, tg8 or a static build: $(head -c 300 "$W/$r.jsonl")"
done
left=$(ls "$DEVICE_BENCH_DIR")
[ "$left" = "$name" ] || fail "the device's cache holds '$left', expected only the model"
# a model named to run a command on the device is refused before anything is copied
bad="$W/x';touch pwned;'.gguf"
cp "$MODEL" "$bad"
if sh "$HERE/scripts/device-bench.sh" "$T" "$bad" > /dev/null 2> "$W/bad.err"; then fail "a model named $bad was accepted"; fi
grep -q "rename it first" "$W/bad.err" || fail "the hostile name's error: $(cat "$W/bad.err")"
[ ! -e "$DEVICE_BENCH_DIR/pwned" ] && [ ! -e pwned ] || fail "the hostile name ran a command"
echo "device_bench_test: ok (2 runs over ssh to 127.0.0.1:$port, the model copied once, no binary left)"
