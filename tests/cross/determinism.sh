#!/bin/sh
# tests/cross/determinism.sh - what one edgelm binary writes, as hashes and figures, so that two
# builds (x86-64 and aarch64 under qemu, or two aarch64 CPUs) can be compared (issue 17):
#
#   sh tests/cross/determinism.sh OUT WORKDIR [WRAPPER...] EDGELM
#       runs the pipeline with "WRAPPER... EDGELM" and writes OUT, one line per artifact:
#       "sha NAME HEX" (must be equal), "ppl NAME VALUE" (F32 models: must agree to 1e-4
#       relative), "pplq NAME VALUE" (quantized: 2.5e-3, see below), "info NAME HEX" (not compared)
#       With DET_IMATRIX_FROM=WORKDIR2 the quantizations use WORKDIR2's imatrix files (another
#       build's) instead of the ones this build computes. With DET_FORWARD_ONLY=1 only what runs
#       the forward pass (ppl, run, distill gen: what the kernel table decides), for a second CPU;
#       --compare then checks the lines B has.
#   sh tests/cross/determinism.sh --compare A B
#       exits 1 naming every line that differs
#
# The pipeline, on ../shared's stories260K (a real model; its rows of 64 and 172 make the K-quants
# fall back) and on synth's tiny model (rows of 256 and more, so every type is used as it is):
# convert (f32, f16, bf16, q8_0), imatrix, quantize to every type with and without the imatrix,
# eval ppl, run greedy, distill gen greedy.
#
# What is not bit-identical across kernel tables, and why: a forward pass sums in each table's order
# (AVX2/AVX-512/NEON/ref), so logits agree to rounding only. That reaches the imatrix (a sum of
# activations: compared as info; the quantizers are held to byte equality on one imatrix file), the
# teacher's top-k log-probs and mean confidence in a distill folder (info; the greedy tokens and text
# must be equal), and a quantized model's perplexity, where a rounding flip of an int8 activation
# moves a logit by a quantization step: measured on stories260K Q8_0 (-c 128), the packed kernels
# 4.148414 (x86 AVX2 and AVX-512, aarch64 SDOT and SMMLA alike), x86 ref 4.144886, aarch64 NEON
# without packed integer kernels (cortex-a53) 4.141637: a spread of 1.6e-3, so quantized PPL is held
# to 2.5e-3 and F32 PPL to 1e-4.
#
# Prefill is stricter: the packed matrix kernels (engine/kernels/gemm*.c) scale and sum each row's groups in
# the same order on x86-64 (AVX2, AVX-512) and aarch64 (NEON floats; SDOT and SMMLA for the integer
# types), so a prompt's logits are bit-identical: eval ppl's saved logits file is a "sha" line. The
# baseline NEON table packs float types only, so DET_NO_INT_GEMM=1 (a CPU without SDOT, cortex-a53)
# makes the quantized model's logits an "info" line.
set -eu

if [ "${1:-}" = --compare ]; then
    awk -v partial="${DET_FORWARD_ONLY:-0}" '
        NR == FNR { want[$2] = $3; kind[$2] = $1; next }
        { k = $2; seen[k] = 1
          if (!(k in want)) { print "only in " FILENAME ": " $1 " " k; bad = 1; next }
          if ($1 == "info" || kind[k] == "info") next
          if ($1 != kind[k]) { print k ": " kind[k] " vs " $1; bad = 1; next }
          if ($1 == "ppl" || $1 == "pplq") {
              d = want[k] - $3; if (d < 0) d = -d
              if (d > ($1 == "ppl" ? 1e-4 : 2.5e-3) * want[k]) { print k ": " want[k] " vs " $3; bad = 1 }
          } else if (want[k] != $3) { print k ": " want[k] " vs " $3; bad = 1 }
        }
        END { if (partial != 1) for (k in want) if (!(k in seen)) { print "missing: " k; bad = 1 }
              exit bad }' "$2" "$3"
    exit $?
fi

OUT=$1 W=$2
shift 2
SHARED=${EDGELM_SHARED:-../shared}
SHARED=$(cd "$SHARED" 2>/dev/null && pwd) || { echo "determinism: ../shared is absent" >&2; exit 77; }
rm -rf "$W" && mkdir -p "$W"
: > "$OUT"
E() { "$@"; } # runs WRAPPER... EDGELM ARGS
sha() { echo "${3:-sha} $1 $(sha256sum < "$2" | cut -c1-64)" >> "$OUT"; }
TYPES="Q8_0 Q6_K Q5_K_M Q5_K_S Q5_1 Q5_0 Q4_K_M Q4_K_S Q4_1 Q4_0 Q3_K_L Q3_K_M Q3_K_S Q2_K Q2_K_S F16 BF16"
TEXT=$SHARED/texts/tinystories-sample.txt

E "$@" -q synth --preset tiny -o "$W/tiny" --seed 7
for m in stories260K tiny; do
    src=$SHARED/models/stories260K
    [ "$m" = tiny ] && src=$W/tiny
    for t in f32 f16 bf16 q8_0; do
        E "$@" -q convert "$src" -o "$W/$m-$t.gguf" --outtype "$t"
        sha "$m-convert-$t" "$W/$m-$t.gguf"
    done
    if [ "${DET_FORWARD_ONLY:-0}" = 1 ]; then
        sed -i '/-convert-/d' "$OUT" # made by the same code whatever the CPU: not this run's question
    else
        E "$@" -q imatrix "$W/$m-f32.gguf" -f "$TEXT" -c 64 --chunks 4 -o "$W/$m-imatrix.gguf"
        sha "$m-imatrix" "$W/$m-imatrix.gguf" info
        [ -n "${DET_IMATRIX_FROM:-}" ] && cp "$DET_IMATRIX_FROM/$m-imatrix.gguf" "$W/$m-imatrix.gguf"
        for t in $TYPES; do
            E "$@" -q quantize "$W/$m-f32.gguf" "$W/$m-$t.gguf" "$t"
            sha "$m-quantize-$t" "$W/$m-$t.gguf"
            E "$@" -q quantize "$W/$m-f32.gguf" "$W/$m-$t-im.gguf" "$t" --imatrix "$W/$m-imatrix.gguf"
            sha "$m-quantize-$t-imatrix" "$W/$m-$t-im.gguf"
            rm -f "$W/$m-$t.gguf" "$W/$m-$t-im.gguf"
        done
    fi
    for t in f32 q8_0; do
        ppl=$(E "$@" --json eval ppl "$W/$m-$t.gguf" -f "$TEXT" -c 128 --save-logits "$W/$m-$t.logits" |
              sed -n 's/.*"ppl": *\([0-9.eE+-]*\).*/\1/p' | head -n 1)
        kind=pplq
        [ "$t" = f32 ] && kind=ppl
        echo "$kind $m-$t ${ppl:-none}" >> "$OUT"
        lk=sha
        [ "$t" != f32 ] && [ "${DET_NO_INT_GEMM:-0}" = 1 ] && lk=info
        sha "$m-$t-prefill-logits" "$W/$m-$t.logits" "$lk"
    done
    E "$@" run "$W/$m-f32.gguf" -p "Once upon a time" -n 40 --temp 0 > "$W/$m-run.txt"
    sha "$m-run-greedy" "$W/$m-run.txt"
done
printf 'Once upon a time\nThe little dog\nA cat sat on\nLily and Ben\n' > "$W/prompts.txt"
E "$@" -q distill gen --teacher "$W/stories260K-f32.gguf" --prompts "$W/prompts.txt" -o "$W/gen" --max-new 24 --temp 0 --topk-logits 4
sed 's/"mean_confidence":[^,}]*,//' "$W/gen/completions.jsonl" > "$W/gen-tokens.jsonl"
sha distill-completions "$W/gen-tokens.jsonl"
sha distill-completions-bytes "$W/gen/completions.jsonl" info
sha distill-shard "$W/gen/logits-00000.safetensors" info
