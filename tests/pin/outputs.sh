#!/bin/sh
# tests/pin/outputs.sh - the hash of everything edgelm writes, so a refactor can be proven
# byte-identical (issue 18: "every command's output is byte-identical before and after").
#
#   sh tests/pin/outputs.sh OUT WORKDIR EDGELM     one "NAME SHA256" line per artifact in OUT
#   sh tests/pin/outputs.sh --compare PINNED OUT   exits 1 naming every line that differs
#
# On ../shared's stories260K (a real model: SentencePiece, rows of 64 and 172, so K-quants fall
# back) and synth's tiny model (a GPT-2-style BPE vocabulary, rows of 256 and more): convert to
# every --outtype, inspect --json, imatrix, quantize to every type with and without the imatrix,
# eval ppl / kld / mc --json, tokenize, run greedy, distill gen / logits / score / merge folders,
# report. Everything runs with EDGELM_KERNELS=ref (the scalar table: the same numbers on any
# x86-64 CPU, so the pins hold on CI machines with other SIMD units); the packed and SIMD kernels
# are pinned against the reference by tests/test_kernels.c and tests/test_engine.c instead.
# JSON fields that measure time or name this run's paths are dropped before hashing.
#
# tests/pin/x86_64.txt holds the pins; tests/test_pin.c runs this script and compares. After a
# change that is meant to alter an output, regenerate with
#   sh tests/pin/outputs.sh tests/pin/x86_64.txt /tmp/pin ./edgelm
# and say in the commit which lines changed and why.
set -eu
if [ "${1:-}" = --compare ]; then
    awk 'NR == FNR { want[$1] = $2; next }
         { seen[$1] = 1
           if (!($1 in want)) { print "not pinned: " $1; bad = 1 }
           else if (want[$1] != $2) { print "changed: " $1; bad = 1 } }
         END { for (k in want) if (!(k in seen)) { print "missing: " k; bad = 1 }
               exit bad }' "$2" "$3"
    exit $?
fi
OUT=$1 W=$2 EDGELM=$3
SHARED=${EDGELM_SHARED:-../shared}
SHARED=$(cd "$SHARED" 2>/dev/null && pwd) || { echo "pin: ../shared is absent" >&2; exit 77; }
EDGELM=$(cd "$(dirname "$EDGELM")" && pwd)/$(basename "$EDGELM")
HERE=$(cd "$(dirname "$0")/../.." && pwd)
rm -rf "$W" && mkdir -p "$W"
W=$(cd "$W" && pwd)
: > "$OUT.tmp"
export EDGELM_KERNELS=ref
E() { "$EDGELM" "$@"; }
pin() { echo "$1 $(sha256sum < "$2" | cut -c1-64)" >> "$OUT.tmp"; }
# JSON on stdin without the fields that vary from run to run (times, speeds, this run's paths)
stable() {
    sed -E -e 's#"[a-z_]*(seconds|_tps|tokens_per_s|_per_s|_ms|_us|time|date|created|host|pid)": *[^,}]*,? *##g' \
           -e "s#$W/##g" -e "s#$SHARED/##g" -e "s#$HERE/##g"
}
pinjson() { stable < "$2" > "$2.stable"; pin "$1" "$2.stable"; }
pindir() { # every file of a folder, JSON ones stable
    for f in $(cd "$2" && ls); do
        case $f in
        *.json | *.jsonl) pinjson "$1/$f" "$2/$f" ;;
        *.stable) ;;
        *) pin "$1/$f" "$2/$f" ;;
        esac
    done
}
TEXT=$SHARED/texts/tinystories-sample.txt
TYPES="Q8_0 Q6_K Q5_K_M Q5_K_S Q5_1 Q5_0 Q4_K_M Q4_K_S Q4_1 Q4_0 IQ4_NL IQ4_XS Q3_K_L Q3_K_M Q3_K_S Q2_K Q2_K_S F16 BF16"
E -q synth --preset tiny -o "$W/tiny" --seed 7
pindir synth-tiny "$W/tiny"
for m in stories260K tiny; do
    src=$SHARED/models/stories260K
    [ "$m" = tiny ] && src=$W/tiny
    for t in f32 f16 bf16 q8_0; do
        E -q convert "$src" -o "$W/$m-$t.gguf" --outtype "$t"
        pin "$m-convert-$t" "$W/$m-$t.gguf"
    done
    E --json inspect "$W/$m-f32.gguf" --tensors > "$W/$m-inspect.json"
    pinjson "$m-inspect" "$W/$m-inspect.json"
    E -q imatrix "$W/$m-f32.gguf" -f "$TEXT" -c 64 --chunks 4 -o "$W/$m-imatrix.gguf"
    pin "$m-imatrix" "$W/$m-imatrix.gguf"
    for t in $TYPES; do
        E -q quantize "$W/$m-f32.gguf" "$W/$m-$t.gguf" "$t"
        pin "$m-quantize-$t" "$W/$m-$t.gguf"
        E -q quantize "$W/$m-f32.gguf" "$W/$m-$t-im.gguf" "$t" --imatrix "$W/$m-imatrix.gguf"
        pin "$m-quantize-$t-imatrix" "$W/$m-$t-im.gguf"
        [ "$t" = Q4_K_M ] || rm -f "$W/$m-$t.gguf"
        rm -f "$W/$m-$t-im.gguf"
    done
    E -q quantize "$src" "$W/$m-direct-Q4_K_M.gguf" Q4_K_M # convert-and-quantize
    pin "$m-convert-quantize-Q4_K_M" "$W/$m-direct-Q4_K_M.gguf"
    E --json eval ppl "$W/$m-f32.gguf" -f "$TEXT" -c 128 --save-logits "$W/$m.logits" > "$W/$m-ppl.json"
    pinjson "$m-eval-ppl" "$W/$m-ppl.json"
    pin "$m-eval-ppl-logits" "$W/$m.logits"
    E --json eval kld "$W/$m-Q4_K_M.gguf" --base-logits "$W/$m.logits" > "$W/$m-kld.json"
    pinjson "$m-eval-kld" "$W/$m-kld.json"
    E --json eval kld "$W/$m-q8_0.gguf" --base "$W/$m-f32.gguf" -f "$TEXT" -c 128 > "$W/$m-kld2.json"
    pinjson "$m-eval-kld-base" "$W/$m-kld2.json"
    for task in hellaswag arc piqa winogrande; do
        E --json eval mc "$W/$m-f32.gguf" --task "$task" --data "$HERE/tests/data/tasks/$task.jsonl" > "$W/$m-$task.json"
        pinjson "$m-eval-mc-$task" "$W/$m-$task.json"
    done
    E --json eval mc "$W/$m-f32.gguf" --task mmlu --data "$HERE/tests/data/tasks/mmlu_kids_stories_test.csv" > "$W/$m-mmlu.json"
    pinjson "$m-eval-mc-mmlu" "$W/$m-mmlu.json"
    E --json tokenize "$W/$m-f32.gguf" -p "Once upon a time, Lily's dog ran 42 km!" > "$W/$m-tok.json"
    pinjson "$m-tokenize" "$W/$m-tok.json"
    E run "$W/$m-f32.gguf" -p "Once upon a time" -n 40 --temp 0 > "$W/$m-run.txt"
    pin "$m-run-greedy" "$W/$m-run.txt"
    E run "$W/$m-Q4_K_M.gguf" -p "Once upon a time" -n 24 --temp 0.8 --seed 3 > "$W/$m-run-q.txt"
    pin "$m-run-sampled-Q4_K_M" "$W/$m-run-q.txt"
done
printf 'Once upon a time\nThe little dog\nA cat sat on\nLily and Ben\n' > "$W/prompts.txt"
T=$W/stories260K-f32.gguf
E -q distill gen --teacher "$T" --prompts "$W/prompts.txt" -o "$W/gen" --max-new 24 --temp 0 --topk-logits 4
pindir distill-gen "$W/gen"
E -q distill gen --teacher "$T" --prompts "$HERE/tests/data/distill/prompts.jsonl" -o "$W/gen2" --max-new 16 --samples 2 \
    --temp 0.8 --topk-logits 8
pindir distill-gen-sampled "$W/gen2"
for i in 0 1; do
    E -q distill gen --teacher "$T" --prompts "$W/prompts.txt" -o "$W/gen-s$i" --max-new 24 --temp 0 --topk-logits 4 --shard "$i/2"
done
E -q distill merge "$W/gen-s0" "$W/gen-s1" -o "$W/merged"
pindir distill-merge "$W/merged"
E -q distill logits --teacher "$T" --data "$TEXT" -o "$W/logits" --topk-logits 8 -c 64
pindir distill-logits "$W/logits"
E --json distill score --data "$W/gen" --student "$W/stories260K-Q4_K_M.gguf" > "$W/score.json"
pinjson distill-score "$W/score.json"
E -q report "$W/stories260K-ppl.json" "$W/stories260K-kld.json" "$W/stories260K-hellaswag.json" -o "$W/report"
pindir report "$W/report"
sort "$OUT.tmp" > "$OUT" && rm -f "$OUT.tmp"
echo "pin: $(wc -l < "$OUT") outputs hashed in $OUT"
