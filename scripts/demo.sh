#!/bin/sh
# scripts/demo.sh - `make demo`: the pipeline on the embedded default model.
#
# Today: synthesise the built-in tiny model (a small Llama with a byte-level
# BPE tokenizer trained on a built-in text) and inspect it. Later stages
# (convert, quantize, eval, bench, report) join as they land.
set -eu
cd "$(dirname "$0")/.."
BIN=${EDGELM_BIN:-./edgelm}
OUT=${DEMO_OUT:-demo-out}
mkdir -p "$OUT"

echo "== synth: the built-in tiny model -> $OUT/tiny-hf"
"$BIN" synth --preset tiny -o "$OUT/tiny-hf" --seed 1

echo
echo "== inspect $OUT/tiny-hf"
"$BIN" inspect "$OUT/tiny-hf"

echo
echo "demo done: the checkpoint is in $OUT/tiny-hf"
