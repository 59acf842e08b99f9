#!/bin/sh
# scripts/demo.sh - `make demo`: the whole pipeline on the embedded default model.
#
#   synth (the built-in tiny Llama, byte-level BPE trained on a built-in text, random weights)
#   -> convert to GGUF (F32 base, F16)
#   -> quantize to Q8_0, Q6_K, Q5_0, Q4_K_M, Q4_0 (several types), saying which tensors fell back
#      to another type (rows that are not a multiple of the type's block) and which types so hold
#      the same tensors
#   -> eval ppl and kld (against the F32 base) on the built-in text (sample.txt)
#   -> eval mc on the project's small HellaSwag-format sample (accuracy with n and its 95% interval)
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

# Say which types are not what they say: quantize falls back where a matrix's rows are not a multiple
# of the type's block (256 values for the K types, 32 for the others), and a type whose every tensor
# got the same type as another's holds the same tensors (its figures below equal the other's).
fallbacks() { # RESULTS-DIR
    for t in $TYPES; do
        q="$1/$t.json"
        n=$(sed -n 's/^  "fallbacks": \([0-9]*\).*/\1/p' "$q")
        [ "${n:-0}" -gt 0 ] || continue
        # the fallen-back tensors (type other than wanted_type): their types, most first, and their rows
        # against the block of the type each wanted (256 values for the K types, 32 for the others)
        fb=$(awk '/^      "shape": \[/ { getline; gsub(/[ ,]/, ""); row = $0 }
                  /^      "type": / { t = $2 }
                  /^      "wanted_type": / { w = $2; if (w != t) { gsub(/[",]/, "", t); gsub(/[",]/, "", w);
                                             print toupper(t), row, toupper(w), (w ~ /_[kK]/ ? 256 : 32) } }' "$q")
        got=$(echo "$fb" | awk '{ print $1 }' | sort | uniq -c | sort -rn | awk '{ printf "%s%s", s, $2; s = "/" }')
        rows=$(echo "$fb" | awk '{ print $2 " for " $3 " (" $4 ")" }' | sort -u | awk '{ printf "%s%s", s, $0; s = ", " }')
        printf "  %-7s %d of %s matrices fell back to %s: rows not a multiple of the wanted type's block: %s\n" \
            "$t" "$n" "$(sed -n 's/^  "quantized": \([0-9]*\).*/\1/p' "$q")" "$got" "$rows"
        for o in $TYPES; do
            [ "$o" != "$t" ] || break
            if [ "$(sed -n 's/^      "type": //p' "$q")" = "$(sed -n 's/^      "type": //p' "$1/$o.json")" ]; then
                echo "          so $t holds the same tensors as $o, tensor for tensor: their figures below are equal"
                break
            fi
        done
    done
}

pipeline() { # NAME BASE.gguf TEXT CTX
    name=$1 base=$2 text=$3 ctx=$4
    res="$OUT/$name-results"
    rm -rf "$res" "$OUT/$name-quant"
    mkdir -p "$res" "$OUT/$name-quant"
    echo "== quantize to $TYPES"
    for t in $TYPES; do
        "$BIN" quantize -q --json "$base" "$OUT/$name-$t.gguf" "$t" > "$OUT/$name-quant/$t.json"
    done
    fallbacks "$OUT/$name-quant"
    echo "== eval ppl / kld on $text (-c $ctx), mc on the HellaSwag sample"
    "$BIN" eval ppl "$base" -f "$text" -c "$ctx" --json > "$res/ppl-base.json"
    for t in $TYPES; do
        m="$OUT/$name-$t.gguf"
        "$BIN" eval ppl "$m" -f "$text" -c "$ctx" --json > "$res/ppl-$t.json"
        "$BIN" eval kld "$m" --base "$base" -f "$text" -c "$ctx" --json > "$res/kld-$t.json"
        "$BIN" eval mc "$m" --task hellaswag --data tests/data/tasks/hellaswag.jsonl --json > "$res/mc-$t.json"
        # shellcheck disable=SC2046,SC2183 # the interval's two ends come from one sed
        printf "  %-7s PPL %8.4f   KLD %.5f   hellaswag acc %.3f (n=%d, 95%% CI %.3f-%.3f)\n" "$t" \
            "$(sed -n 's/.*"ppl": \([0-9.e+-]*\).*/\1/p' "$res/ppl-$t.json")" \
            "$(sed -n 's/.*"kld_mean": \([0-9.e+-]*\).*/\1/p' "$res/kld-$t.json")" \
            "$(sed -n 's/^  "acc": \([0-9.e+-]*\).*/\1/p' "$res/mc-$t.json")" \
            "$(sed -n 's/^  "n": \([0-9]*\).*/\1/p' "$res/mc-$t.json")" \
            $(sed -n '/^  "acc_ci95": \[/{n;s/[ ,]//g;p;n;s/[ ,]//g;p;}' "$res/mc-$t.json")
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
