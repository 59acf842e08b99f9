#!/bin/sh
# scripts/demo.sh - `make demo`: the whole pipeline on the embedded default model.
#
#   synth (the built-in tiny Llama, byte-level BPE trained on a built-in text, random weights)
#   -> convert to GGUF (F32 base, F16)
#   -> quantize to Q8_0, Q6_K, Q5_0, Q4_K_M, Q4_0 (several types)
#   -> eval ppl and kld (against the F32 base) on the built-in text (sample.txt)
#   -> eval mc on the project's small HellaSwag-format sample
#   -> bench (prefill 64, decode 32)
#   -> report: $OUT/report/report.md with its SVG charts
# Random weights make the perplexity high and the text noise; the differences between the types
# are real quantization error all the same. When ../shared is there, the same pipeline also runs on
# stories260K, a real trained model, into $OUT/stories260K-report.
set -eu
cd "$(dirname "$0")/.."
BIN=${EDGELM_BIN:-./edgelm}
OUT=${DEMO_OUT:-demo-out}
TYPES="Q8_0 Q6_K Q5_0 Q4_K_M Q4_0"
mkdir -p "$OUT"

pipeline() { # NAME BASE.gguf TEXT CTX
    name=$1 base=$2 text=$3 ctx=$4
    res="$OUT/$name-results"
    rm -rf "$res"
    mkdir -p "$res"
    for t in $TYPES; do
        "$BIN" quantize -q "$base" "$OUT/$name-$t.gguf" "$t"
    done
    echo "== eval ppl / kld on $text (-c $ctx), mc on the HellaSwag sample"
    "$BIN" eval ppl "$base" -f "$text" -c "$ctx" --json > "$res/ppl-base.json"
    for t in $TYPES; do
        m="$OUT/$name-$t.gguf"
        "$BIN" eval ppl "$m" -f "$text" -c "$ctx" --json > "$res/ppl-$t.json"
        "$BIN" eval kld "$m" --base "$base" -f "$text" -c "$ctx" --json > "$res/kld-$t.json"
        "$BIN" eval mc "$m" --task hellaswag --data tests/data/tasks/hellaswag.jsonl --json > "$res/mc-$t.json"
        printf "  %-7s PPL %8.4f   KLD %.5f   hellaswag acc %.3f\n" "$t" \
            "$(sed -n 's/.*"ppl": \([0-9.e+-]*\).*/\1/p' "$res/ppl-$t.json")" \
            "$(sed -n 's/.*"kld_mean": \([0-9.e+-]*\).*/\1/p' "$res/kld-$t.json")" \
            "$(sed -n 's/^  "acc": \([0-9.e+-]*\).*/\1/p' "$res/mc-$t.json")"
    done
    echo "== bench (pp64, tg32, 3 runs)"
    # shellcheck disable=SC2046
    "$BIN" bench "$base" $(for t in $TYPES; do echo "$OUT/$name-$t.gguf"; done) -p 64 -n 32 -r 3 --bw-mib 256 \
        -o json > "$res/bench.json"
    "$BIN" report "$res"/*.json -o "$OUT/$name-report"
}

echo "== synth: the built-in tiny model -> $OUT/tiny-hf"
rm -rf "$OUT/tiny-hf" # the demo's own folder (synth refuses a folder it did not write, e.g. an older demo's)
"$BIN" synth -q --preset tiny -o "$OUT/tiny-hf" --seed 1
echo "== convert to GGUF (F32 base)"
"$BIN" convert -q "$OUT/tiny-hf" -o "$OUT/tiny-F32.gguf" --outtype f32
echo "== quantize to $TYPES"
pipeline tiny "$OUT/tiny-F32.gguf" "$OUT/tiny-hf/sample.txt" 64
echo "== run $OUT/tiny-Q8_0.gguf (random weights, so random text)"
"$BIN" run "$OUT/tiny-Q8_0.gguf" -p "Once upon a time" -n 16
echo

SHARED=${EDGELM_SHARED:-../shared}
if [ -f "$SHARED/models/stories260K/model.safetensors" ] && [ -f "$SHARED/texts/tinystories-sample.txt" ]; then
    echo
    echo "== stories260K (a real 260K-parameter TinyStories model): the same pipeline"
    "$BIN" convert -q "$SHARED/models/stories260K" -o "$OUT/stories260K-F32.gguf" --outtype f32
    pipeline stories260K "$OUT/stories260K-F32.gguf" "$SHARED/texts/tinystories-sample.txt" 128
    "$BIN" run "$OUT/stories260K-Q8_0.gguf" -p "Once upon a time" -n 48 --temp 0
    echo
fi

echo
echo "demo done. Report: $OUT/tiny-report/report.md (charts beside it)"
[ -f "$OUT/stories260K-report/report.md" ] && echo "      and $OUT/stories260K-report/report.md (a real model)"
exit 0
