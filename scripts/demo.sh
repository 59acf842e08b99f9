#!/bin/sh
# scripts/demo.sh - `make demo`: the pipeline on the embedded default model.
#
# Today: synthesise the built-in tiny model (a small Llama with a byte-level
# BPE tokenizer trained on a built-in text), convert it to GGUF (F16 and Q8_0),
# inspect the result and generate with it (random weights: the text is noise);
# when ../shared is there, also convert and run stories260K, a real trained
# model. Later stages (quantize, eval, bench, report) join as they land.
set -eu
cd "$(dirname "$0")/.."
BIN=${EDGELM_BIN:-./edgelm}
OUT=${DEMO_OUT:-demo-out}
mkdir -p "$OUT"

echo "== synth: the built-in tiny model -> $OUT/tiny-hf"
"$BIN" synth --preset tiny -o "$OUT/tiny-hf" --seed 1

echo
echo "== convert to GGUF: F16 and Q8_0"
"$BIN" convert "$OUT/tiny-hf" -o "$OUT/tiny-f16.gguf" --outtype f16
"$BIN" convert "$OUT/tiny-hf" -o "$OUT/tiny-q8_0.gguf" --outtype q8_0

echo
echo "== inspect $OUT/tiny-q8_0.gguf"
"$BIN" inspect "$OUT/tiny-q8_0.gguf"

echo
echo "== run $OUT/tiny-q8_0.gguf (random weights, so random text; timings on stderr with -v)"
"$BIN" run "$OUT/tiny-q8_0.gguf" -p "Once upon a time" -n 24
echo

SHARED=${EDGELM_SHARED:-../shared}
if [ -f "$SHARED/models/stories260K/model.safetensors" ]; then
    echo
    echo "== stories260K (a real 260K-parameter TinyStories model): convert, then greedy text"
    "$BIN" convert -q "$SHARED/models/stories260K" -o "$OUT/stories260K-f32.gguf" --outtype f32
    "$BIN" run "$OUT/stories260K-f32.gguf" -p "Once upon a time" -n 64 --temp 0
    echo
fi

echo
echo "demo done: checkpoint in $OUT/tiny-hf, GGUF files $OUT/tiny-f16.gguf and $OUT/tiny-q8_0.gguf"
