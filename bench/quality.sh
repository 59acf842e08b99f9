#!/bin/sh
# bench/quality.sh - quantization quality side by side with llama.cpp: for each type, edgelm's file
# (with edgelm's imatrix) and llama-quantize's (with llama-imatrix's), both matrices from the same
# calibration text, both files judged by llama.cpp's llama-perplexity against the same F32 logits
# on a held-out text that is not the calibration text.
#
#   sh bench/quality.sh [TYPES]        (default: IQ4_XS IQ4_NL Q4_K_M Q4_K_S Q3_K_M Q2_K)
#
# Models: ../shared's stories260K (real trained weights; calibration text: 24 samples of 160 tokens
# the F32 model writes itself, `edgelm run` at temperature 1, seeds 1..24, prompts from
# tests/data/quality/prompts.txt - text of the kind it saw, none of it the held-out text), and the
# Llama 3, Qwen 2 and Phi-3 shapes of tests/data/engine (synth, random weights, rows of 256 and 512
# so the K-quants and IQ4_XS apply; calibration text: the repository's docs/*.md; Gemma 2 at this
# size aborts in llama.cpp b4748, which knows only its 2B/9B/27B). Held-out text:
# texts/tinystories-sample.txt at n_ctx 128, base logits from the F32 file by llama-perplexity itself
# (stories260K: ../shared/golden/stories260K/tinystories-sample.c128.kld, llama.cpp's own F32). LLAMA_BIN: llama.cpp's bin folder (default ../peer/llama.cpp/build/bin;
# llama.cpp is not part of edgelm). Prints one row per type: mean KLD and PPL of edgelm's file (imatrix),
# of edgelm's --gptq file (the same imatrix and `imatrix --hessian` from the same text; same size) and of
# llama-quantize's, sizes, and the ratios edgelm / llama and gptq / llama.
set -eu
cd "$(dirname "$0")/.."
LLAMA_BIN=${LLAMA_BIN:-../peer/llama.cpp/build/bin}
SHARED=${EDGELM_SHARED:-../shared}
TYPES=${*:-IQ4_XS IQ4_NL Q4_K_M Q4_K_S Q3_K_M Q2_K Q4_0}
OUT=bench/out/quality
mkdir -p "$OUT"
[ -x "$LLAMA_BIN/llama-perplexity" ] || { echo "bench/quality.sh: $LLAMA_BIN/llama-perplexity not found (set LLAMA_BIN)" >&2; exit 1; }
make -s edgelm >/dev/null
L() { LD_LIBRARY_PATH="$LLAMA_BIN" "$LLAMA_BIN/$@"; }
# the judge: LLAMA_PPL_BIN's llama-perplexity when set (e.g. a build with -DGGML_CPU_AARCH64=OFF: b4748's
# run-time Q4_0 repacking scores Q4_0 files badly on this machine, see docs/quantize.md), else LLAMA_BIN's
PPL_BIN=${LLAMA_PPL_BIN:-$LLAMA_BIN}
P() { LD_LIBRARY_PATH="$PPL_BIN" "$PPL_BIN/llama-perplexity" "$@"; }
TEXT="$SHARED/texts/tinystories-sample.txt"
kld() { # FILE BASE -> "mean_kld ppl"
    P -m "$1" -f "$TEXT" -c 128 --kl-divergence-base "$2" --kl-divergence 2>&1 |
        awk '/^Mean    KLD:/ { k = $3 } /^Mean PPL\(Q\) +:/ { p = $4 } END { print k, p }'
}
table() { # NAME F32 BASE CALIB
    ./edgelm imatrix -q "$2" -f "$4" -o "$OUT/e-imx.gguf" --hessian "$OUT/e-hes.gguf" -c 128 >/dev/null
    L llama-imatrix -m "$2" -f "$4" -o "$OUT/l-imx.dat" -c 128 >/dev/null 2>&1
    printf "\n%s, held-out %s (c 128), calibration %s bytes\n\n" "$1" "$(basename "$TEXT")" "$(wc -c < "$4")"
    printf "%-7s | %10s %8s %8s | %10s %8s | %10s %8s %8s | %6s %6s\n" type "edgelm KLD" PPL KiB "gptq KLD" PPL "llama KLD" PPL KiB ratio gptq
    for t in $TYPES; do
        rm -f "$OUT/e.gguf" "$OUT/l.gguf" "$OUT/g.gguf"
        ./edgelm quantize -q "$2" "$OUT/e.gguf" "$t" --imatrix "$OUT/e-imx.gguf" >/dev/null
        e=$(kld "$OUT/e.gguf" "$3"); es=$(( $(wc -c < "$OUT/e.gguf") / 1024 ))
        ./edgelm quantize -q "$2" "$OUT/g.gguf" "$t" --imatrix "$OUT/e-imx.gguf" --gptq "$OUT/e-hes.gguf" >/dev/null
        g=$(kld "$OUT/g.gguf" "$3")
        if L llama-quantize --imatrix "$OUT/l-imx.dat" "$2" "$OUT/l.gguf" "$t" 2 >/dev/null 2>&1; then
            l=$(kld "$OUT/l.gguf" "$3"); ls=$(( $(wc -c < "$OUT/l.gguf") / 1024 ))
        else
            l="failed -"; ls=-
        fi
        echo "$t $e $es $g $l $ls" | awk '{ r = ($7 + 0 > 0) ? sprintf("%.3f", $2 / $7) : "-"; q = ($7 + 0 > 0) ? sprintf("%.3f", $5 / $7) : "-"
            printf "%-7s | %10s %8s %8s | %10s %8s | %10s %8s %8s | %6s %6s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, r, q }'
    done
}

./edgelm convert -q "$SHARED/models/stories260K" -o "$OUT/f32.gguf" --outtype f32
: > "$OUT/calib.txt"
np=$(wc -l < tests/data/quality/prompts.txt)
s=1
while [ "$s" -le 24 ]; do
    p=$(sed -n "$(( (s - 1) % np + 1 ))p" tests/data/quality/prompts.txt)
    { printf '%s' "$p"; ./edgelm run "$OUT/f32.gguf" -p "$p" -n 160 --temp 1 --seed "$s"; printf '\n\n'; } >> "$OUT/calib.txt"
    s=$((s + 1))
done
table stories260K "$OUT/f32.gguf" "$SHARED/golden/stories260K/tinystories-sample.c128.kld" "$OUT/calib.txt"

cat docs/*.md > "$OUT/docs.txt"
./edgelm synth -q --preset tiny -o "$OUT/tok"
for fam in llama3 qwen2 phi3; do
    rm -rf "$OUT/hf"
    ./edgelm synth -q --config "tests/data/engine/$fam.json" --tokenizer "$OUT/tok" -o "$OUT/hf" --dtype f32 --seed 11
    ./edgelm convert -q "$OUT/hf" -o "$OUT/$fam-f32.gguf" --outtype f32
    P -m "$OUT/$fam-f32.gguf" -f "$TEXT" -c 128 --kl-divergence-base "$OUT/$fam.kld" >/dev/null 2>&1
    table "$fam (synth, random weights)" "$OUT/$fam-f32.gguf" "$OUT/$fam.kld" "$OUT/docs.txt"
done
