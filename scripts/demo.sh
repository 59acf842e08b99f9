#!/bin/sh
# scripts/demo.sh - `make demo`: the pipeline on the embedded default model.
#
# Today: synthesise the built-in tiny model (a small Llama with a byte-level
# BPE tokenizer trained on a built-in text), convert it to GGUF (F16 and Q8_0)
# and inspect the result. Later stages (quantize, eval, bench, report) join
# as they land.
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
echo "demo done: checkpoint in $OUT/tiny-hf, GGUF files $OUT/tiny-f16.gguf and $OUT/tiny-q8_0.gguf"
