#!/bin/sh
# tests/golden/quant/types.sh - the type llama-quantize (llama.cpp b4748) gives each tensor of the
# SmolLM2-135M shape in a Q4_K_M file: the oracle for edgelm's mix rules (tests/test_quantize.c).
#
#   LLAMA_BIN=../peer/llama.cpp/build/bin sh tests/golden/quant/types.sh
#
# The model: `edgelm synth` with ../shared/models/smollm2-135m, converted to F16 by edgelm (random
# weights: the rules depend only on names and shapes). Output: smollm2-135m.q4_k_m.types, "name type".
set -eu
cd "$(dirname "$0")/../../.."
LLAMA_BIN=${LLAMA_BIN:-../peer/llama.cpp/build/bin}
SHARED=${EDGELM_SHARED:-../shared}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
./edgelm synth -q --config "$SHARED/models/smollm2-135m/config.json" --tokenizer "$SHARED/models/smollm2-135m/tokenizer.json" -o "$T/hf"
./edgelm convert -q "$T/hf" -o "$T/f16.gguf" --outtype f16
LD_LIBRARY_PATH="$LLAMA_BIN" "$LLAMA_BIN/llama-quantize" "$T/f16.gguf" "$T/q.gguf" Q4_K_M 2 >/dev/null 2>&1
./edgelm inspect "$T/q.gguf" --tensors | awk '/^tensors$/ { on = 1; next } on && /^  / { print $1, ($3 == "x" ? $5 : $3) }' > tests/golden/quant/smollm2-135m.q4_k_m.types
wc -l tests/golden/quant/smollm2-135m.q4_k_m.types
