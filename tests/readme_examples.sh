#!/bin/sh
# tests/readme_examples.sh - every ```sh block of README.md runs as written.
#
#   sh tests/readme_examples.sh [EDGELM [SHARED]]   run from anywhere; default ./edgelm, ../shared
#   README=FILE sh tests/readme_examples.sh ...      another markdown file (the test of this test)
#
# Each command of each block (continuation lines joined, comments dropped) runs with `bash -o pipefail
# -c` (a pipe into jq fails when edgelm does) in one
# scratch folder, in the order README gives them, so later examples use what earlier ones wrote. A
# command fails the test when it exits other than 0 or 3 (3: a --fail-if gate was met, which an
# example's gate may be on a random-weight model). A block preceded by the line
#   <!-- readme-test: skip: REASON -->
# is not run; the reason is printed. Prints "README.md:LINE: COMMAND: exit N" and the command's
# stderr for each failure and exits 1; prints one "ok"/"skip" line per block otherwise.
#
# Substitutions: README's examples name files a user has; the scratch folder holds small stand-ins
# under the same names, made before the first block (from synth's tiny preset: seconds, not minutes):
#
#   name in README                        stand-in
#   ./edgelm, edgelm (on PATH)            the binary under test (EDGELM)
#   ../shared/...                         SHARED (the reference data), as the checkout's sibling
#   model.gguf, model-f16.gguf            the tiny model, F16
#   model-q4_k_m.gguf, student-q4_k_m.gguf  the tiny model quantized Q4_K_M
#   teacher.gguf, teacher-q8_0.gguf       the tiny model quantized Q8_0
#   wiki.test.raw                         ../shared/texts/tinystories-sample.txt, three times over
#   prompts.jsonl, prompts.jsonl.gz       two prompts ({"prompt": ...}), plain and gzip
#   tests/data/tasks/cloze_*.jsonl        the checkout's
#   $SLURM_ARRAY_TASK_ID                  0 (one share of the job array)
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(cd "$(dirname "${1:-$TOP/edgelm}")" && pwd)/$(basename "${1:-$TOP/edgelm}")
SHARED=${2:-${EDGELM_SHARED:-$TOP/../shared}}
if [ ! -f "$SHARED/texts/tinystories-sample.txt" ] || [ ! -f "$SHARED/models/smollm2-135m/config.json" ]; then
    echo "readme_examples.sh: skip: $SHARED (the reference data README's examples use) is absent"
    exit 0
fi
SHARED=$(cd "$SHARED" && pwd)
MD=$(cd "$(dirname "${README:-$TOP/README.md}")" && pwd)/$(basename "${README:-$TOP/README.md}")
T=$(mktemp -d "${TMPDIR:-/tmp}/edgelm-readme-XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
W=$T/work
mkdir -p "$W" "$T/bin"
ln -s "$SHARED" "$T/shared"
ln -s "$BIN" "$W/edgelm"
ln -s "$BIN" "$T/bin/edgelm"

# the stand-ins
(
    cd "$W"
    ./edgelm -q synth --preset tiny -o "$T/tiny-hf"
    ./edgelm -q convert "$T/tiny-hf" -o model-f16.gguf --outtype f16
    cp model-f16.gguf model.gguf
    ./edgelm -q quantize model-f16.gguf model-q4_k_m.gguf Q4_K_M
    cp model-q4_k_m.gguf student-q4_k_m.gguf
    ./edgelm -q quantize model-f16.gguf teacher-q8_0.gguf Q8_0
    cp teacher-q8_0.gguf teacher.gguf
    cat "$SHARED/texts/tinystories-sample.txt" "$SHARED/texts/tinystories-sample.txt" \
        "$SHARED/texts/tinystories-sample.txt" > wiki.test.raw
    printf '{"prompt": "Once upon a time"}\n{"prompt": "The little dog"}\n' > prompts.jsonl
    gzip -c prompts.jsonl > prompts.jsonl.gz
    mkdir -p tests/data/tasks
    cp "$TOP"/tests/data/tasks/cloze_*.jsonl tests/data/tasks/
) > "$T/setup.log" 2>&1 || { echo "readme_examples.sh: making the stand-ins failed:" >&2; cat "$T/setup.log" >&2; exit 1; }

# README.md -> $T/cmds: "BLOCK<TAB>LINE<TAB>COMMAND" per command, "BLOCK<TAB>LINE<TAB>#skip REASON" for a skipped block
awk -v OFS='\t' '
    /^<!-- readme-test: skip: .* -->$/ { skip = $0; sub(/^<!-- readme-test: skip: /, "", skip); sub(/ -->$/, "", skip); next }
    /^```sh$/ { inb = 1; nb++; if (skip != "") print nb, NR, "#skip " skip; next }
    /^```/ { if (inb) { inb = 0; skip = "" } ; next }
    !inb { if ($0 != "") skip = ""; next }
    skip != "" { next }
    {
        line = $0
        if (cmd == "") start = NR
        sub(/^[ \t]+/, "", line)
        if (line ~ /\\$/) { sub(/[ \t]*\\$/, "", line); cmd = cmd line " "; next }
        cmd = cmd line
        if (cmd !~ /^#/ && cmd !~ /^[ \t]*$/) print nb, start, cmd
        cmd = ""
    }' "$MD" > "$T/cmds"

fail=0
tab=$(printf '\t')
while IFS="$tab" read -r block line cmd; do
    case $cmd in
    "#skip "*)
        echo "$(basename "$MD"):$line: block $block: skip: ${cmd#\#skip }"
        continue
        ;;
    esac
    rc=0
    (cd "$W" && PATH="$T/bin:$PATH" SLURM_ARRAY_TASK_ID=0 bash -o pipefail -c "$cmd") > "$T/out" 2> "$T/err" < /dev/null || rc=$?
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
        echo "$(basename "$MD"):$line: $cmd: exit $rc"
        sed 's/^/    /' "$T/err" | tail -n 5
        fail=1
    else
        echo "$(basename "$MD"):$line: ok (exit $rc): $cmd" | cut -c1-160
    fi
done < "$T/cmds"
exit $fail
