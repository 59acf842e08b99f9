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
# the judge: LLAMA_PPL_BIN's llama-perplexity when set, else LLAMA_BIN's; each quantized file scored one token
# at a time (-ub 1): b4748's batched path scores Q4_0 files wrongly on this machine (llama3 shape, edgelm's
# --gptq Q4_0 file: mean KLD 0.564 with -ub 128, 0.094 with -ub 1, edgelm's eval kld 0.094; docs/quantize.md)
PPL_BIN=${LLAMA_PPL_BIN:-$LLAMA_BIN}
P() { LD_LIBRARY_PATH="$PPL_BIN" "$PPL_BIN/llama-perplexity" "$@"; }
TEXT="$SHARED/texts/tinystories-sample.txt"
kld() { # FILE BASE -> "mean_kld ppl", judged by $JUDGE
    if [ "$JUDGE" = edgelm ]; then
        ./edgelm eval kld "$1" --base-logits "$2" -f "$TEXT" -c 128 --json |
            /usr/bin/python3 -c 'import json, sys; d = json.load(sys.stdin); print(d["kld_mean"], d.get("ppl", d.get("ppl_q", "-")))'
    else
        P -m "$1" -f "$TEXT" -c 128 -ub 1 --kl-divergence-base "$2" --kl-divergence 2>&1 |
            awk '/^Mean    KLD:/ { k = $3 } /^Mean PPL\(Q\) +:/ { p = $4 } END { print k, p }'
    fi
}
table() { # NAME F32 BASE CALIB
    ./edgelm imatrix -q "$2" -f "$4" -o "$OUT/e-imx.gguf" --hessian "$OUT/e-hes.gguf" -c 128 >/dev/null
    L llama-imatrix -m "$2" -f "$4" -o "$OUT/l-imx.dat" -c 128 >/dev/null 2>&1
    printf "\n%s, held-out %s (c 128), calibration %s bytes, judged by %s\n\n" "$1" "$(basename "$TEXT")" "$(wc -c < "$4")" "$JUDGE"
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
# llama.cpp b4748's llama-perplexity scores quantized stories260K files as garbage here (Q4_0: mean KLD 11.3
# at -ub 128, nan at -ub 1; edgelm: 0.069): edgelm's eval kld (llama.cpp's method, equal to its figures on
# this model's F32 and Q8_0, tests/test_quantize.c) judges this model
JUDGE=edgelm table stories260K "$OUT/f32.gguf" "$SHARED/golden/stories260K/tinystories-sample.c128.kld" "$OUT/calib.txt"

cat docs/*.md > "$OUT/docs.txt"
./edgelm synth -q --preset tiny -o "$OUT/tok"
for fam in llama3 qwen2 phi3; do
    rm -rf "$OUT/hf"
    ./edgelm synth -q --config "tests/data/engine/$fam.json" --tokenizer "$OUT/tok" -o "$OUT/hf" --dtype f32 --seed 11
    ./edgelm convert -q "$OUT/hf" -o "$OUT/$fam-f32.gguf" --outtype f32
    P -m "$OUT/$fam-f32.gguf" -f "$TEXT" -c 128 --kl-divergence-base "$OUT/$fam.kld" >/dev/null 2>&1
    JUDGE=llama table "$fam (synth, random weights)" "$OUT/$fam-f32.gguf" "$OUT/$fam.kld" "$OUT/docs.txt"
done
