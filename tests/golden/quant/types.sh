#!/bin/sh
# tests/golden/quant/types.sh - the type llama-quantize (llama.cpp b4748) gives each tensor of the
# SmolLM2-135M shape in a Q4_K_M, Q3_K_M, Q2_K, IQ4_XS and IQ4_NL file: the oracle for edgelm's mix
# rules and fallbacks (tests/test_quantize.c, tests/test_units.c; its rows of 576 do not fit 256-weight
# blocks, so the K-quant and IQ4_XS fallbacks are exercised).
#
#   LLAMA_BIN=../peer/llama.cpp/build/bin sh tests/golden/quant/types.sh
#
# The model: `edgelm synth` with ../shared/models/smollm2-135m, converted to F16 by edgelm (random
# weights: the rules depend only on names and shapes). Output: smollm2-135m.TYPE.types, "name type".
set -eu
cd "$(dirname "$0")/../../.."
LLAMA_BIN=${LLAMA_BIN:-../peer/llama.cpp/build/bin}
SHARED=${EDGELM_SHARED:-../shared}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
./edgelm synth -q --config "$SHARED/models/smollm2-135m/config.json" --tokenizer "$SHARED/models/smollm2-135m/tokenizer.json" -o "$T/hf"
./edgelm convert -q "$T/hf" -o "$T/f16.gguf" --outtype f16
for t in Q4_K_M Q3_K_M Q2_K IQ4_XS IQ4_NL; do
    lt=$(echo "$t" | tr 'A-Z' 'a-z')
    LD_LIBRARY_PATH="$LLAMA_BIN" "$LLAMA_BIN/llama-quantize" "$T/f16.gguf" "$T/q.gguf" "$t" 2 >/dev/null 2>&1
    ./edgelm inspect "$T/q.gguf" --tensors | awk '/^tensors$/ { on = 1; next } on && /^  / { print $1, ($3 == "x" ? $5 : $3) }' \
        > "tests/golden/quant/smollm2-135m.$lt.types"
    wc -l "tests/golden/quant/smollm2-135m.$lt.types"
done
