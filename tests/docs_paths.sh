#!/bin/sh
# tests/docs_paths.sh - every source file the documentation cites exists.
#
#   sh tests/docs_paths.sh [FILE...]    default: docs/*.md README.md; run from the top folder
#
# A citation is a word with a slash that ends in a source extension (.c .h .inc .sh .py .mjs), as
# `engine/kernels/gemm.c` or tests/pin/outputs.sh: paths from the top folder, as the docs write them;
# a pattern (`engine/tokenizer/tok_*.c`) must match at least one file.
# Prints "FILE:LINE: PATH" for each one that is not a file or folder here and exits 1; silent with
# exit 0 when all exist. After a file moves (engine/tokenizer/, engine/kernels/), this names the docs
# that still cite the old place. tests/test_docs.c runs it as part of make test.
set -eu
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- docs/*.md README.md
grep -HnoE '[A-Za-z0-9_.-]*[A-Za-z0-9_]/[A-Za-z0-9_/.*-]*[A-Za-z0-9_*]\.(c|h|inc|sh|py|mjs)\b' "$@" |
while IFS=: read -r file line path; do
    set -- $path  # a pattern expands to what it matches, or stays as it is
    [ -e "$1" ] || echo "$file:$line: $path"
done | awk '{ print } END { exit NR > 0 }'
