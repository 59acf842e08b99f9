#!/bin/sh
# bench/eval.sh - `edgelm eval ppl` throughput beside llama.cpp's llama-perplexity: the same GGUF file,
# the same text, the same context (-c 512), batch (-b 2048: 4 chunks per pass) and threads.
#
#   sh bench/eval.sh [ROUNDS]          (default 3; THREADS=2, LLAMA_BIN=../peer/llama.cpp/build/bin)
#
# Model: the SmolLM2-135M shape (bench/smollm2.sh; random weights, real shapes and tokenizer) in Q8_0
# (converted by edgelm) and in F16. Text: shared/texts/tinystories-sample.txt repeated 12 times
# (about 12 chunks of 512 tokens with SmolLM2's tokenizer). Random weights make the perplexity
# meaningless, the work is the same. Figures, medians over the rounds:
#   eval t/s   tokens through the model / the evaluation loop's time (edgelm: decode and scoring, its
#              JSON "eval_tps"; llama-perplexity: its "prompt eval" line, decode only)
#   wall t/s   the same tokens / the whole command's wall time (load, tokenize, evaluate)
# Both programs also print the perplexity: on the same file they must agree closely (printed).
set -eu
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
THREADS=${THREADS:-2}
LLAMA_BIN=${LLAMA_BIN:-../peer/llama.cpp/build/bin}
SHARED=${EDGELM_SHARED:-../shared}
OUT=bench/out/eval
mkdir -p "$OUT"
make -s edgelm >/dev/null
sh bench/smollm2.sh --q8
TEXT="$OUT/text.txt"
[ -s "$TEXT" ] || for i in 1 2 3 4 5 6 7 8 9 10 11 12; do cat "$SHARED/texts/tinystories-sample.txt"; done > "$TEXT"
now() { date +%s.%N; }
: > "$OUT/rounds.txt"
for m in q8_0 f16; do
    f=bench/out/engine/$m.gguf
    r=1
    while [ "$r" -le "$ROUNDS" ]; do
        t0=$(now)
        ./edgelm eval ppl "$f" -f "$TEXT" -c 512 -b 2048 -t "$THREADS" --json > "$OUT/edgelm.json"
        t1=$(now)
        tps=$(sed -n 's/.*"eval_tps": \([0-9.e+]*\).*/\1/p' "$OUT/edgelm.json")
        ppl=$(sed -n 's/.*"ppl": \([0-9.e+]*\).*/\1/p' "$OUT/edgelm.json")
        ntok=$(sed -n 's/.*"n_chunks": \([0-9]*\).*/\1/p' "$OUT/edgelm.json")
        echo "$m edgelm $tps $(echo "$ntok * 512 / ($t1 - $t0)" | bc -l) $ppl" >> "$OUT/rounds.txt"
        if [ -x "$LLAMA_BIN/llama-perplexity" ]; then
            t0=$(now)
            LD_LIBRARY_PATH="$LLAMA_BIN" "$LLAMA_BIN/llama-perplexity" -m "$f" -f "$TEXT" -c 512 -b 2048 -t "$THREADS" \
                > "$OUT/llama.log" 2>&1
            t1=$(now)
            ltps=$(sed -n 's/.*prompt eval time.*, *\([0-9.]*\) tokens per second.*/\1/p' "$OUT/llama.log")
            lppl=$(sed -n 's/.*Final estimate: PPL = \([0-9.]*\).*/\1/p' "$OUT/llama.log")
            echo "$m llama $ltps $(echo "$ntok * 512 / ($t1 - $t0)" | bc -l) $lppl" >> "$OUT/rounds.txt"
        fi
        r=$((r + 1))
    done
done
med() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
printf "eval ppl, -c 512 -b 2048, %s threads, %s rounds (medians), SmolLM2-135M shape\n" "$THREADS" "$ROUNDS"
printf "%-6s %-8s %10s %10s %12s\n" model program "eval t/s" "wall t/s" "PPL"
for m in q8_0 f16; do
    for p in edgelm llama; do
        grep -q "^$m $p " "$OUT/rounds.txt" || continue
        printf "%-6s %-8s %10.1f %10.1f %12s\n" "$m" "$p" \
            "$(awk -v m=$m -v p=$p '$1 == m && $2 == p { print $3 }' "$OUT/rounds.txt" | med)" \
            "$(awk -v m=$m -v p=$p '$1 == m && $2 == p { print $4 }' "$OUT/rounds.txt" | med)" \
            "$(awk -v m=$m -v p=$p '$1 == m && $2 == p { print $5; exit }' "$OUT/rounds.txt")"
    done
done
