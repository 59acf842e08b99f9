#!/bin/sh
# bench/quantize.sh - `edgelm quantize` wall time and peak RSS on the SmolLM2-135M shape (F16 in,
# Q8_0 / Q4_0 / Q4_K_M out, 2 threads), side by side with llama.cpp's llama-quantize.
#
#   sh bench/quantize.sh [ROUNDS]       (default 5; medians)
#
# The F16 model is the one bench/engine.sh uses (bench/smollm2.sh: edgelm synth + convert). llama.cpp is not part of
# edgelm: build it anywhere and point LLAMA_BIN at its bin folder (default ../peer/llama.cpp/build/bin);
# without it only edgelm's rows print. Both programs run alternately on the same file, so both see
# the same machine load.
set -eu
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
THREADS=${THREADS:-2}
LLAMA_BIN=${LLAMA_BIN:-../peer/llama.cpp/build/bin}
OUT=bench/out/quantize
mkdir -p "$OUT"
make -s edgelm >/dev/null
sh bench/smollm2.sh
F16=bench/out/engine/f16.gguf
HAVE_LLAMA=0
[ -x "$LLAMA_BIN/llama-quantize" ] && HAVE_LLAMA=1
: > "$OUT/rounds.txt"
r=1
while [ "$r" -le "$ROUNDS" ]; do
    for t in Q8_0 Q4_0 Q4_K_M; do
        # no previous output to replace: freeing its pages would land in the next run's time
        rm -f "$OUT/e.gguf" "$OUT/l.gguf"
        /usr/bin/time -f "$t edgelm %e %M" -a -o "$OUT/rounds.txt" ./edgelm quantize -q "$F16" "$OUT/e.gguf" "$t" -t "$THREADS"
        if [ "$HAVE_LLAMA" = 1 ]; then
            LD_LIBRARY_PATH="$LLAMA_BIN" /usr/bin/time -f "$t llama %e %M" -a -o "$OUT/rounds.txt" \
                "$LLAMA_BIN/llama-quantize" "$F16" "$OUT/l.gguf" "$t" "$THREADS" >/dev/null 2>&1
        fi
    done
    r=$((r + 1))
done
rm -f "$OUT/e.gguf" "$OUT/l.gguf"
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
printf "%s threads, %s rounds (medians), F16 SmolLM2-135M shape in\n\n" "$THREADS" "$ROUNDS"
printf "%-7s | %9s %9s | %9s %9s | %6s\n" type "edgelm s" "MB peak" "llama s" "MB peak" "time"
for t in Q8_0 Q4_0 Q4_K_M; do
    es=$(awk -v t=$t '$1 == t && $2 == "edgelm" { print $3 }' "$OUT/rounds.txt" | median)
    em=$(awk -v t=$t '$1 == t && $2 == "edgelm" { print $4 }' "$OUT/rounds.txt" | median)
    ls=$(awk -v t=$t '$1 == t && $2 == "llama" { print $3 }' "$OUT/rounds.txt" | median)
    lm=$(awk -v t=$t '$1 == t && $2 == "llama" { print $4 }' "$OUT/rounds.txt" | median)
    awk -v t=$t -v es="$es" -v em="$em" -v ls="$ls" -v lm="$lm" 'BEGIN {
        r = ls > 0 ? sprintf("%.2fx", es / ls) : "-"
        printf "%-7s | %9.2f %9.0f | %9.2f %9.0f | %6s\n", t, es, em / 1024, ls, lm / 1024, r }'
done
