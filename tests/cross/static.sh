#!/bin/sh
# tests/cross/static.sh - a static edgelm runs where nothing else is (issue 17):
#
#   sh tests/cross/static.sh BINARY [WRAPPER...]      e.g. build-static/edgelm-linux-aarch64 qemu-aarch64 -cpu max
#
# checks that BINARY has no dynamic section (readelf) and is a static ELF (file), then, with an
# empty environment (env -i: no PATH, HOME or locale) in an empty folder, and with /usr/share hidden
# behind an empty tmpfs when this machine lets us (unshare -m, as root), runs --version, synth,
# convert, quantize and run: stories260K's greedy text must be llama.cpp's (../shared/golden).
set -eu
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shift
SHARED=${EDGELM_SHARED:-../shared}
SHARED=$(cd "$SHARED" 2>/dev/null && pwd) || SHARED=""
fail() { echo "static.sh: $BIN: $*" >&2; exit 1; }

readelf -d "$BIN" 2>&1 | grep -q "There is no dynamic section" || fail "has a dynamic section: $(readelf -d "$BIN" | grep NEEDED | head -n 3)"
file "$BIN" | grep -q "statically linked" || fail "file does not call it statically linked: $(file -b "$BIN")"

W=$(mktemp -d "${TMPDIR:-/tmp}/edgelm-static-XXXXXX")
trap 'rm -rf "$W"' EXIT
mkdir "$W/empty"
if [ -n "$SHARED" ]; then
    cp -r "$SHARED/models/stories260K" "$W/stories260K"
fi
# The commands, run from the empty folder with nothing in the environment.
cat > "$W/steps.sh" << EOF
set -eu
cd "$W/empty"
E() { env -i $* "$BIN" "\$@"; }
E --version
E -q synth --preset tiny -o t
E -q convert t -o t.gguf
E -q quantize t.gguf t-q4.gguf Q4_K_M
E run t-q4.gguf -p "Once upon a time" -n 8 --temp 0 > /dev/null
if [ -d "$W/stories260K" ]; then
    E -q convert "$W/stories260K" -o s.gguf
    E run s.gguf -p "Once upon a time" -n 40 --temp 0 > greedy.txt
fi
EOF
hidden="no"
if [ "$(id -u)" = 0 ] && unshare -m sh -c 'mount -t tmpfs none /usr/share' 2> /dev/null; then
    unshare -m sh -c "mount -t tmpfs none /usr/share && sh '$W/steps.sh'" > "$W/out" 2> "$W/err" || fail "$(head -n 3 "$W/err")"
    hidden="yes"
else
    sh "$W/steps.sh" > "$W/out" 2> "$W/err" || fail "$(head -n 3 "$W/err")"
fi
version=$(head -n 1 "$W/out")
if [ -f "$W/empty/greedy.txt" ]; then
    want=", there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball."
    [ "$(cat "$W/empty/greedy.txt")" = "$want" ] || fail "stories260K greedy text is not llama.cpp's: $(cat "$W/empty/greedy.txt")"
    greedy="stories260K greedy text = llama.cpp's"
else
    greedy="stories260K skipped (../shared absent)"
fi
echo "static.sh: $(basename "$BIN") ${*:+(through $*) }ok: static, env -i, empty folder, /usr/share hidden: $hidden; $version; $greedy"
