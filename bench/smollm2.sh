#!/bin/sh
# bench/smollm2.sh - the benchmarks' model: `edgelm synth` with ../shared/models/smollm2-135m (random
# weights, the real shapes and tokenizer), converted by edgelm to bench/out/engine/f16.gguf, made once.
#
#   sh bench/smollm2.sh [--q8]     (--q8: also bench/out/engine/q8_0.gguf, converted the same way)
set -eu
cd "$(dirname "$0")/.."
SHARED=${EDGELM_SHARED:-../shared}
OUT=bench/out/engine
mkdir -p "$OUT"
[ -s "$OUT/f16.gguf" ] && { [ "${1:-}" != --q8 ] || [ -s "$OUT/q8_0.gguf" ]; } && exit 0
[ -f "$SHARED/models/smollm2-135m/config.json" ] || { echo "bench/smollm2.sh: $SHARED/models/smollm2-135m is missing" >&2; exit 1; }
rm -rf "$OUT/hf"
./edgelm synth -q --config "$SHARED/models/smollm2-135m/config.json" --tokenizer "$SHARED/models/smollm2-135m/tokenizer.json" -o "$OUT/hf"
[ -s "$OUT/f16.gguf" ] || ./edgelm convert -q "$OUT/hf" -o "$OUT/f16.gguf" --outtype f16
[ "${1:-}" != --q8 ] || ./edgelm convert -q "$OUT/hf" -o "$OUT/q8_0.gguf" --outtype q8_0
rm -rf "$OUT/hf"
