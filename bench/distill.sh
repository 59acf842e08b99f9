#!/bin/sh
# bench/distill.sh - `edgelm distill gen` throughput with --batch 1 against --batch 8, and the size of
# the logits shards per scored token at k = 32.
#
#   sh bench/distill.sh [ROUNDS]     (default 3; THREADS=2, PROMPTS=24, MAX_NEW=64)
#
# Model: the SmolLM2-135M shape in Q8_0 (bench/smollm2.sh: random weights, real shapes and tokenizer).
# Prompts: the first PROMPTS of tests/data/distill/prompts.jsonl. Sampling at the defaults (temperature
# 0.8, top-k 40, top-p 0.95, min-p 0.05), --topk-logits 32. Random weights never emit an end token,
# so every completion is MAX_NEW tokens long and both runs generate the same tokens: they must give
# the same bytes (checked). Figures, medians over the rounds:
#   t/s         generated tokens / the generation loop's seconds (JSON "seconds": prefill, decode,
#               sampling, top-k and writing; loading and hashing the teacher excluded)
#   wall t/s    generated tokens / the whole command's wall time
#   bytes/tok   logits shard bytes / scored tokens (manifest)
set -eu
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
THREADS=${THREADS:-2}
PROMPTS=${PROMPTS:-24}
MAX_NEW=${MAX_NEW:-64}
OUT=bench/out/distill
mkdir -p "$OUT"
make -s edgelm >/dev/null
sh bench/smollm2.sh --q8 >/dev/null
MODEL=bench/out/engine/q8_0.gguf
head -n "$PROMPTS" tests/data/distill/prompts.jsonl > "$OUT/prompts.jsonl"
: > "$OUT/rounds.txt"
for b in 1 8; do
    r=1
    while [ "$r" -le "$ROUNDS" ]; do
        rm -rf "$OUT/b$b"
        t0=$(date +%s.%N)
        ./edgelm distill gen --teacher "$MODEL" --prompts "$OUT/prompts.jsonl" -o "$OUT/b$b" --batch "$b" \
            -t "$THREADS" --max-new "$MAX_NEW" -c 512 --topk-logits 32 --json > "$OUT/b$b.json"
        t1=$(date +%s.%N)
        tps=$(/usr/bin/python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print(j['tokens_per_s'], j['generated_tokens'] / ($t1 - $t0))" "$OUT/b$b.json")
        echo "$b $tps" >> "$OUT/rounds.txt"
        r=$((r + 1))
    done
done
diff -r "$OUT/b1" "$OUT/b8" >/dev/null && echo "batch 1 and batch 8: the same bytes" || { echo "batch 1 and batch 8 differ" >&2; exit 1; }
/usr/bin/python3 - "$OUT" <<'PY'
import json, statistics, sys
out = sys.argv[1]
rows = [l.split() for l in open(out + "/rounds.txt")]
med = {b: (statistics.median(float(r[1]) for r in rows if r[0] == b), statistics.median(float(r[2]) for r in rows if r[0] == b)) for b in ("1", "8")}
m = json.load(open(out + "/b8/manifest.json"))
shard = sum(f["bytes"] for f in m["files"] if "records" in f)
scored = m["counts"]["scored_tokens"]
print("| batch | t/s | wall t/s |")
print("|---|--:|--:|")
for b in ("1", "8"):
    print("| %s | %.1f | %.1f |" % (b, med[b][0], med[b][1]))
print("aggregate speed-up of --batch 8: %.2fx (wall %.2fx)" % (med["8"][0] / med["1"][0], med["8"][1] / med["1"][1]))
print("logits shards: %d bytes for %d scored tokens at k=32: %.1f bytes/token" % (shard, scored, shard / scored))
PY
