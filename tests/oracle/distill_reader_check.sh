#!/bin/sh
# tests/oracle/distill_reader_check.sh - what the Python reader (tools/edgelm_distill.py, numpy only)
# sees in each logits shard of a distill run folder, as JSON on stdout, for a C test to compare with
# el_dshard_open: per shard the records, rows, tokens, the float64 sums of topk_logprobs and of the
# finite tail_logprob (exact: f16 values are multiples of 2^-24), and the sums of topk_ids, input_ids
# and index.
#   sh tests/oracle/distill_reader_check.sh OUTDIR [EDGELM]
# OUTDIR: a folder written by `edgelm distill gen|logits` (manifest "complete"; SHA-256s are checked).
# EDGELM: the binary; when given, each shard must first open with its safetensors reader (inspect).
# PYTHON: an interpreter with numpy (default /usr/bin/python3, Debian's python3-numpy).
set -eu
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 OUTDIR [EDGELM]" >&2; exit 2; }
OUT=$1
EDGELM=${2:-}
PYTHON=${PYTHON:-/usr/bin/python3}
TOOL="$(cd "$(dirname "$0")/../.." && pwd)/tools/edgelm_distill.py"
[ -f "$OUT/manifest.json" ] || { echo "$0: $OUT/manifest.json: missing" >&2; exit 1; }
if [ -n "$EDGELM" ]; then
    for f in "$OUT"/logits-*.safetensors; do
        [ -f "$f" ] || continue
        "$EDGELM" inspect "$f" >/dev/null || { echo "$0: $EDGELM inspect $f failed" >&2; exit 1; }
    done
fi
exec "$PYTHON" "$TOOL" --sums "$OUT"
