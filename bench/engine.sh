#!/bin/sh
# bench/engine.sh - engine speed on the SmolLM2-135M shape: prefill 512 and decode 128 tokens/s,
# edgelm side by side with llama.cpp's llama-bench, and decode against the memory roofline.
#
#   sh bench/engine.sh [ROUNDS]          (default 5)
#
# Models (built once in bench/out/engine/ by bench/smollm2.sh): `edgelm synth` with ../shared/models/smollm2-135m
# (random weights, the real shapes and tokenizer), converted to F16 by edgelm; Q8_0, Q4_0 and
# Q4_K_M made from that F16 file by llama.cpp's llama-quantize (so both programs read the same quantized bytes).
# llama.cpp is not part of edgelm: build it anywhere and point LLAMA_BIN at its bin folder
# (default ../peer/llama.cpp/build/bin); without it only the F16 and Q8_0 rows of edgelm run.
#
# Method: both programs on the same files, 2 threads (THREADS=...), F16 KV cache, no flash
# attention; each round runs edgelm then llama-bench once per model (pp512 from an empty cache,
# then tg128 one token at a time, as llama-bench does), so both see the same machine load; the
# table holds the median over the rounds.
# Roofline: a decode step streams every weight once, so tokens/s <= bandwidth / bytes per token.
# The bandwidth that matters is the one for a working set of the model's size: this VM reports a
# 260 MiB L3, which holds much of a 90-270 MB model, so streaming it is faster than DRAM. Each
# round therefore also measures, for each model, every thread summing its share of a buffer of
# the model's bytes per token (best of 5 passes); the roofline uses the best round. The DRAM
# figure (a 1 GiB buffer) is printed for reference.
set -eu
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
THREADS=${THREADS:-2}
LLAMA_BIN=${LLAMA_BIN:-../peer/llama.cpp/build/bin}
OUT=bench/out/engine
mkdir -p "$OUT"
make -s edgelm build/libedgelm.a >/dev/null
gcc -std=c11 -D_GNU_SOURCE -O2 -I. bench/engine_bench.c build/libedgelm.a \
    $(pkg-config --libs jansson libpcre2-8 libutf8proc zlib libarchive) -fopenmp -lm -o "$OUT/engine_bench"

HAVE_LLAMA=0
[ -x "$LLAMA_BIN/llama-bench" ] && [ -x "$LLAMA_BIN/llama-quantize" ] && HAVE_LLAMA=1
if [ "$HAVE_LLAMA" = 1 ]; then sh bench/smollm2.sh; else sh bench/smollm2.sh --q8; fi
if [ "$HAVE_LLAMA" = 1 ]; then
    export LD_LIBRARY_PATH="$LLAMA_BIN${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    for t in Q8_0 Q4_0 Q4_K_M; do
        f="$OUT/$(echo $t | tr 'A-Z' 'a-z').gguf"
        [ -s "$f" ] || "$LLAMA_BIN/llama-quantize" "$OUT/f16.gguf" "$f" $t "$THREADS" >/dev/null 2>&1
    done
else
    echo "note: no llama.cpp at $LLAMA_BIN (set LLAMA_BIN): edgelm only, F16 and Q8_0" >&2
fi

MODELS="f16 q8_0 q4_0 q4_k_m"
bw_of() { # MODEL MIB -> bytes/s
    "$OUT/engine_bench" "$1" -t "$THREADS" -p 0 -n 0 -r 1 --bw "$2" | sed 's/.*"read_bw": \([0-9.]*\).*/\1/'
}
: > "$OUT/rounds.txt"
r=1
while [ "$r" -le "$ROUNDS" ]; do
    echo "dram bw $(bw_of "$OUT/f16.gguf" 1024)" >> "$OUT/rounds.txt"
    for m in $MODELS; do
        f="$OUT/$m.gguf"
        [ -s "$f" ] || continue
        "$OUT/engine_bench" "$f" -t "$THREADS" -p 512 -n 128 -r 1 |
            sed "s/.*\"pp_tps\": \([0-9.]*\).*\"tg_tps\": \([0-9.]*\).*\"bytes_per_token\": \([0-9]*\).*/$m edgelm \1 \2 \3/" >> "$OUT/rounds.txt"
        bpt=$(awk -v m="$m" '$1 == m && $2 == "edgelm" { print $5; exit }' "$OUT/rounds.txt")
        echo "$m bw $(bw_of "$f" $(( (bpt + 1048575) / 1048576 )))" >> "$OUT/rounds.txt"
        if [ "$HAVE_LLAMA" = 1 ]; then
            "$LLAMA_BIN/llama-bench" -m "$f" -t "$THREADS" -p 512 -n 128 -r 1 -o csv 2>/dev/null |
                awk -F'","' -v m="$m" 'NR > 1 { gsub(/"/, "", $NF); ts = $(NF-1); if ($(NF-6) + 0 > 0) pp = ts; else tg = ts }
                                        END { print m, "llama.cpp", pp, tg, 0 }' >> "$OUT/rounds.txt"
        fi
    done
    r=$((r + 1))
done

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
maxof() { sort -n | tail -1; }
DRAM=$(awk '$1 == "dram" { print $3 }' "$OUT/rounds.txt" | maxof)
printf "%s threads, %s rounds (medians); DRAM read bandwidth %.1f GB/s (1 GiB buffer, best round)\n" "$THREADS" "$ROUNDS" \
    "$(echo "$DRAM" | awk '{ print $1 / 1e9 }')"
printf "roofline: bytes/s / weight bytes per token; DRAM = the 1 GiB figure (the usual STREAM-style read), ws = a\n"
printf "buffer the size of the model (the working set this VM's 260 MiB L3 partly holds: the stricter bound)\n\n"
printf "%-7s %8s | %7s %9s %6s | %7s %9s | %9s %7s %7s | %8s %7s\n" type MB/token pp512 llama.cpp ratio tg128 llama.cpp "DRAM roof" edgelm llama "ws GB/s" edgelm
for m in $MODELS; do
    grep -q "^$m edgelm" "$OUT/rounds.txt" || continue
    pp=$(awk -v m="$m" '$1 == m && $2 == "edgelm" { print $3 }' "$OUT/rounds.txt" | median)
    tg=$(awk -v m="$m" '$1 == m && $2 == "edgelm" { print $4 }' "$OUT/rounds.txt" | median)
    bpt=$(awk -v m="$m" '$1 == m && $2 == "edgelm" { print $5; exit }' "$OUT/rounds.txt")
    lpp=$(awk -v m="$m" '$1 == m && $2 == "llama.cpp" { print $3 }' "$OUT/rounds.txt" | median)
    ltg=$(awk -v m="$m" '$1 == m && $2 == "llama.cpp" { print $4 }' "$OUT/rounds.txt" | median)
    bw=$(awk -v m="$m" '$1 == m && $2 == "bw" { print $3 }' "$OUT/rounds.txt" | maxof)
    awk -v m="$m" -v pp="$pp" -v tg="$tg" -v b="$bpt" -v lpp="$lpp" -v ltg="$ltg" -v bw="$bw" -v dram="$DRAM" 'BEGIN {
        roof = dram / b; wroof = bw / b
        ratio = "-"; lpct = "-"; lppf = "-"; ltgf = "-"
        if (lpp > 0) { ratio = sprintf("%.2fx", pp / lpp); lppf = sprintf("%.1f", lpp) }
        if (ltg > 0) { lpct = sprintf("%.0f%%", 100 * ltg / roof); ltgf = sprintf("%.1f", ltg) }
        printf "%-7s %8.1f | %7.1f %9s %6s | %7.1f %9s | %9.1f %6.0f%% %7s | %8.1f %6.0f%%\n", m, b / 1e6, pp, lppf, ratio, tg, ltgf,
               roof, 100 * tg / roof, lpct, bw / 1e9, 100 * tg / wroof }'
done
