#!/bin/sh
# tests/readme_help.sh - README's command table and each command's --help name the same options.
#
#   sh tests/readme_help.sh [EDGELM [README]]    default ./edgelm and README.md of the checkout
#
# For each row of README's command table (a first cell "`edgelm CMD [SUB] ...`"), the options its
# synopsis shows (--long, and -x, which --help maps to its long name) are compared with the option
# rows of `edgelm CMD [SUB] --help` (the global --json, -q, -v, -h left out: README lists them once,
# below the table). Prints "README.md:LINE: CMD: --opt in --help, not in README" or "... in README,
# not in --help" per difference, and a command README has no row for; exits 1 when any, else 0.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$TOP/edgelm}
MD=${2:-$TOP/README.md}
T=$(mktemp -d "${TMPDIR:-/tmp}/edgelm-rh-XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
: > "$T/diff"
: > "$T/seen"
grep -n '^| `edgelm [a-z]' "$MD" | while IFS=: read -r line row; do
    cell=$(printf '%s\n' "$row" | sed 's/^| `edgelm //; s/` |.*//')
    # the command words: leading lower-case names (eval ppl, distill gen)
    cmd=$(printf '%s\n' "$cell" | awk '{ for (i = 1; i <= NF && $i ~ /^[a-z]+$/; i++) printf "%s%s", (i > 1 ? " " : ""), $i }')
    echo "$cmd" >> "$T/seen"
    # shellcheck disable=SC2086
    if ! "$BIN" $cmd --help > "$T/help" 2>&1; then
        echo "$(basename "$MD"):$line: $cmd: 'edgelm $cmd --help' failed" >> "$T/diff"
        continue
    fi
    # --help's rows: "  -x, --long ARG  text" or "      --long ARG  text" -> "x long" / "- long"
    sed -n 's/^  -\([A-Za-z0-9]\), --\([a-z0-9-]*\).*/\1 \2/p; s/^      --\([a-z0-9-]*\).*/- \1/p' "$T/help" |
        grep -Ev ' (json|quiet|verbose|help)$' > "$T/rows" || true
    cut -d' ' -f2 "$T/rows" | sort -u > "$T/help_longs"
    # README's: --long words, and -x words mapped through the rows
    rest=${cell#"$cmd"}
    printf '%s\n' "$rest" | grep -oE -- '--[a-z][a-z0-9-]*' | sed 's/^--//' > "$T/readme_longs" || true
    for s in $(printf '%s\n' "$rest" | sed 's/\\|/ /g' | grep -oE -- '(^|[ [(|])-[A-Za-z0-9]([] )|]|$)' | tr -d ' []()|' | sed 's/^-//'); do
        l=$(awk -v s="$s" '$1 == s { print $2 }' "$T/rows")
        if [ -n "$l" ]; then echo "$l" >> "$T/readme_longs"; else echo "-$s" >> "$T/readme_longs"; fi
    done
    grep -Ev '^(json|quiet|verbose|help)$' "$T/readme_longs" | sort -u > "$T/readme_set" || true
    comm -23 "$T/help_longs" "$T/readme_set" | sed "s|^|$(basename "$MD"):$line: $cmd: --|; s|$| in --help, not in README|" >> "$T/diff"
    comm -13 "$T/help_longs" "$T/readme_set" | sed "s|^--*||; s|^|$(basename "$MD"):$line: $cmd: --|; s|$| in README, not in --help|" >> "$T/diff"
done
# every command (and subcommand) has a row
for c in $("$BIN" --list-commands); do
    [ "$c" = help ] && continue
    subs=$("$BIN" "$c" --help | sed -n 's/^usage: edgelm [a-z]* \([a-z|]*\) .*/\1/p' | tr '|' ' ')
    case $subs in *[a-z]*) ;; *) subs="" ;; esac
    if [ -z "$subs" ]; then
        grep -qx "$c" "$T/seen" || echo "$(basename "$MD"): $c: no row in the command table" >> "$T/diff"
    else
        for s in $subs; do
            grep -qx "$c $s" "$T/seen" || echo "$(basename "$MD"): $c $s: no row in the command table" >> "$T/diff"
        done
    fi
done
cat "$T/diff"
[ ! -s "$T/diff" ]
