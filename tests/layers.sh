#!/bin/sh
# tests/layers.sh - the module boundaries of the library, checked on its #include lines.
#
#   sh tests/layers.sh [ROOT]     exit 0, or 1 naming every include that breaks a rule
#
# 1. A folder may include only the folders below it (docs/architecture.md's data flow): core/ nothing,
#    formats/ and datasets/ core/, quant/ formats/, the engine quant/ (the kernels use the block
#    formats), eval/ and distill/ the engine and datasets/; cmd/ anything. formats/ never includes quant/:
#    a quantizer reaches the tensor stream as a function (formats/tstream.h), not as an include.
# 2. Inside a folder, the modules (a .c and its .h, by name) include each other without a circle
#    (checked with tsort), so each can be read, tested and replaced from the bottom up. A header with no
#    .c of its own (a subsystem's private header) counts as part of the modules that include it.
# Subfolders (engine/tokenizer/...) belong to their top folder for rule 1 and are modules of it for rule 2.
set -eu
ROOT=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$ROOT"
allowed() {
    case $1 in
    core) echo "" ;;
    formats | datasets) echo "core" ;;
    quant) echo "core formats" ;;
    engine) echo "core formats quant" ;;
    eval) echo "core formats quant engine datasets" ;;
    distill) echo "core formats quant engine datasets" ;;
    esac
}
bad=0
edges=$(mktemp)
trap 'rm -f "$edges"' EXIT
for top in core formats datasets quant engine eval distill; do
    [ -d "$top" ] || continue
    ok=" $top $(allowed "$top") "
    for f in $(find "$top" -name '*.c' -o -name '*.h' | sort); do
        for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
            case $inc in */*) ;; *) continue ;; esac
            dep=${inc%%/*}
            case $ok in
            *" $dep "*) ;;
            *) echo "layers: $f includes $inc: $top/ may include only ${ok# $top }"; bad=1 ;;
            esac
            # a module edge inside the folder: to a header (a .inc or .c is part of its includer), from a
            # module with code (a header-only one, such as a subsystem's private tok_internal.h, is
            # part of the modules that include it)
            if [ "$dep" = "$top" ] && [ "${inc%.h}" != "$inc" ] && [ "${f%.*}" != "${inc%.h}" ] && [ -f "${f%.*}.c" ]; then
                echo "${f%.*} ${inc%.h}" >> "$edges"
            fi
        done
    done
done
if ! tsort "$edges" > /dev/null 2> "$edges.err"; then
    sed 's/^tsort: /layers: modules that include each other: /' "$edges.err"
    bad=1
fi
rm -f "$edges.err"
exit $bad
