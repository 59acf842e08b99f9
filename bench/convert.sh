#!/bin/sh
# bench/convert.sh - `edgelm convert` speed and memory on the SmolLM2-135M shape.
#
# Synthesises SmolLM2-135M (bf16, 269 MB, real config and tokenizer from
# ../shared/models/smollm2-135m) once into bench/out/, then converts it to f16
# RUNS times (default 5) with a fresh output each time, reporting wall time and
# peak RSS from /usr/bin/time. Reference (reported, not measured here; same machine class):
# llama.cpp's convert_hf_to_gguf.py takes 2.2 s and 522 MB on the same input.
#   usage: sh bench/convert.sh [RUNS]
set -eu
cd "$(dirname "$0")/.."
RUNS=${1:-5}
BIN=${EDGELM_BIN:-./edgelm}
SHARED=${EDGELM_SHARED:-../shared}
OUT=bench/out
[ -x "$BIN" ] || make -s edgelm
[ -x /usr/bin/time ] || { echo "bench/convert.sh: needs /usr/bin/time (Debian package 'time')" >&2; exit 1; }
mkdir -p "$OUT"
if [ ! -f "$OUT/smollm2-135m/model.safetensors" ]; then
    "$BIN" -q synth --config "$SHARED/models/smollm2-135m/config.json" \
        --tokenizer "$SHARED/models/smollm2-135m/tokenizer.json" -o "$OUT/smollm2-135m" --dtype bf16 --seed 1
fi
IN_MB=$(du -m "$OUT/smollm2-135m/model.safetensors" | cut -f1)
echo "input: $OUT/smollm2-135m (${IN_MB} MB bf16), output f16, $(nproc) cores"
echo "run  wall_s  peak_rss_MB"
i=1
results=""
while [ "$i" -le "$RUNS" ]; do
    rm -f "$OUT/smollm2-135m-f16.gguf"
    sync
    /usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$BIN" -q convert "$OUT/smollm2-135m" -o "$OUT/smollm2-135m-f16.gguf" --outtype f16
    read -r wall rss < "$OUT/time.txt"
    printf "%3d  %6s  %11s\n" "$i" "$wall" "$((rss / 1024))"
    results="$results $wall:$((rss / 1024))"
    i=$((i + 1))
done
echo "$results" | tr ' ' '\n' | grep . | sort -n | awk -F: '{w[NR]=$1; r[NR]=$2} END {
    m = int((NR + 1) / 2); max = 0; for (i = 1; i <= NR; i++) if (r[i] > max) max = r[i];
    printf "median wall %.2f s, max peak RSS %d MB (goal: <= 0.3 s, <= 100 MB; llama.cpp: 2.2 s, 522 MB)\n", w[m], max }'
