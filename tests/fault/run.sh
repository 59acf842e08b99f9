#!/bin/sh
# tests/fault/run.sh - fail the Nth allocation / write / fsync / rename / close / mmap of small runs
# of every command that writes files, for every N, and check what edgelm leaves (issue 16):
#
#   exit 0   only when the fault did not matter (a best-effort call): the outputs are then the
#            bytes of the fault-free run
#   exit 1   one line on stderr ("edgelm CMD: error: ..."), naming the errno's text for I/O
#            faults and "out of memory" for allocations; the target does not exist or is whole (the
#            fault came after the commit, e.g. printing the result), never partial; a distill
#            folder resumes (--resume) to the exact bytes of the fault-free run
#   always   no temporary file is left, no sanitizer report (ASan/UBSan/LSan: exit 66), no hang
#
#   sh tests/fault/run.sh ./edgelm-fault           (make fault builds it: ASan + --wrap, wrap.c)
#   FAULT_STRIDE=7 ...  try every 7th allocation only (I/O faults are always all tried), and
#                       the points in tests/fault/found.txt (the ones that found a bug)
#   FAULT_SCENARIOS="convert quantize" ...  a subset;  FAULT_JOBS=2 parallel runs (default 2)
#
# Prints one summary line per scenario and fault kind; exits 1 when any run broke a rule (each
# one is listed with how to reproduce it).
set -u

BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
STRIDE=${FAULT_STRIDE:-1}
JOBS=${FAULT_JOBS:-2}
SCENARIOS=${FAULT_SCENARIOS:-"convert quantize quantize_imatrix imatrix ppl_logits gen logits merge report"}
KINDS="alloc write fsync rename close mmap"
export ASAN_OPTIONS="detect_leaks=1:exitcode=66:abort_on_error=0:allocator_may_return_null=1"
export LSAN_OPTIONS="exitcode=66:suppressions=$HERE/../lsan.supp"
export UBSAN_OPTIONS="exitcode=66:print_stacktrace=1"

# ---- one scenario: the command and what it writes ------------------------------------------------
# cmd SCEN OUT: print the argument list (one per line) writing to OUT (a file or a folder)
cmd() {
    case $1 in
    convert) printf '%s\n' convert "$W/t" -o "$2" ;;
    quantize) printf '%s\n' quantize "$W/m.gguf" "$2" Q4_K_M ;;
    quantize_imatrix) printf '%s\n' quantize "$W/t" "$2" Q4_0 --imatrix "$W/im.gguf" ;;
    imatrix) printf '%s\n' imatrix "$W/m.gguf" -f "$W/t/sample.txt" -c 64 -o "$2" ;;
    ppl_logits) printf '%s\n' eval ppl "$W/m.gguf" -f "$W/t/sample.txt" -c 64 --save-logits "$2" ;;
    gen) printf '%s\n' distill gen --teacher "$W/m.gguf" --prompts "$W/p.txt" -o "$2" --max-new 6 --topk-logits 4 ;;
    logits) printf '%s\n' distill logits --teacher "$W/m.gguf" --data "$W/t/sample.txt" -o "$2" -c 64 --topk-logits 4 ;;
    merge) printf '%s\n' distill merge "$W/s0" "$W/s1" -o "$2" ;;
    report) printf '%s\n' report "$W/ppl.json" -o "$2" ;;
    esac
}
is_dir_out() { case $1 in gen | logits | merge | report) return 0 ;; *) return 1 ;; esac; }
resumable() { case $1 in gen | logits) return 0 ;; *) return 1 ;; esac; }

run_cmd() { # SCEN OUT [extra args...]: run with the scenario's arguments
    s=$1 o=$2
    shift 2
    cmd "$s" "$o" > "$o.args"
    # shellcheck disable=SC2046
    set -- $(cat "$o.args") "$@"
    rm -f "$o.args"
    timeout -s KILL 120 "$BIN" -q "$@"
}

# The inputs, once (made with the fault binary itself, no fault).
setup() {
    W=$1
    mkdir -p "$W"
    "$BIN" -q synth --preset tiny -o "$W/t" > /dev/null &&
        "$BIN" -q convert "$W/t" -o "$W/m.gguf" --outtype f32 > /dev/null &&
        "$BIN" -q imatrix "$W/m.gguf" -f "$W/t/sample.txt" -c 64 -o "$W/im.gguf" > /dev/null &&
        printf 'Once upon a time\nThe little dog\nA cat sat\n' > "$W/p.txt" &&
        "$BIN" -q distill gen --teacher "$W/m.gguf" --prompts "$W/p.txt" -o "$W/s0" --max-new 6 --topk-logits 4 --shard 0/2 &&
        "$BIN" -q distill gen --teacher "$W/m.gguf" --prompts "$W/p.txt" -o "$W/s1" --max-new 6 --topk-logits 4 --shard 1/2 &&
        "$BIN" -q --json eval ppl "$W/m.gguf" -f "$W/t/sample.txt" -c 64 > "$W/ppl.json"
}

same() { # A B: files or folders with the same bytes (a folder's .lock aside)
    if [ -d "$1" ]; then diff -r -x .lock "$1" "$2" > /dev/null 2>&1; else cmp -s "$1" "$2"; fi
}

# ---- one faulted run: prints nothing when every rule held, else one line ----------------------------
one() { # SCEN KIND N
    s=$1 k=$2 n=$3
    d=$W/run-$s-$k-$n
    rm -rf "$d" && mkdir -p "$d"
    out=$d/out
    is_dir_out "$s" || out=$d/out.bin
    status=0
    EDGELM_FAULT="$k:$n:ENOSPC" run_cmd "$s" "$out" > /dev/null 2> "$d/err" || status=$?
    why=""
    err1=$(head -n 1 "$d/err")
    nl=$(wc -l < "$d/err")
    if [ "$status" = 0 ]; then
        same "$out" "$W/base-$s" || why="exit 0 but the output differs from the fault-free run's"
    elif [ "$status" = 1 ]; then
        case $k in
        alloc) want="out of memory" ;;
        mmap) want="Cannot allocate memory" ;;
        *) want="No space left on device" ;;
        esac
        if [ "$nl" != 1 ]; then
            why="exit 1 with $nl lines on stderr"
        elif ! printf '%s' "$err1" | grep -q "^edgelm .*error: "; then
            why="exit 1 but stderr is not an edgelm error: $err1"
        elif ! printf '%s' "$err1" | grep -qi "$want"; then
            why="the error does not say '$want': $err1"
        elif ! is_dir_out "$s" && [ -e "$out" ] && ! same "$out" "$W/base-$s"; then
            why="exit 1 left a partial file at the target" # a whole one is fine: the fault came after the commit
        elif resumable "$s"; then
            "$BIN" -q distill "$s" --resume $(cmd "$s" "$out" | tail -n +3 | tr '\n' ' ') > /dev/null 2> "$d/err2" ||
                why="--resume after the fault failed: $(head -n 1 "$d/err2")"
            [ -z "$why" ] && ! same "$out" "$W/base-$s" && why="--resume did not give the fault-free bytes"
        fi
    elif [ "$status" = 66 ]; then
        why="sanitizer report: $(grep -m1 -E 'ERROR|runtime error|leak' "$d/err")"
    else
        why="exit $status: $err1"
    fi
    tmp=$(find "$d" -name '*.edgelm-*.tmp' | head -n 1)
    [ -z "$why" ] && [ -n "$tmp" ] && why="a temporary file is left: $tmp"
    if [ -n "$why" ]; then
        echo "FAIL $s $k:$n: $why (EDGELM_FAULT=$k:$n:ENOSPC; $d)"
    else
        rm -rf "$d"
    fi
}

if [ "${2:-}" = --one ]; then # internal: one run, from xargs
    W=$3
    one "$4" "$5" "$6"
    exit 0
fi

W=$(mktemp -d "${TMPDIR:-/tmp}/edgelm-fault-XXXXXX")
setup "$W" || { echo "fault: could not make the inputs" >&2; exit 1; }
bad=0
for s in $SCENARIOS; do
    rm -f "$W/counts"
    EDGELM_FAULT_COUNTS=$W/counts run_cmd "$s" "$W/base-$s" > /dev/null || { echo "FAIL $s: the fault-free run fails"; bad=1; continue; }
    counts=$(tail -n 1 "$W/counts")
    line="$s:"
    for k in $KINDS; do
        total=$(printf '%s\n' "$counts" | sed -n "s/.*$k \([0-9]*\).*/\1/p")
        step=1
        [ "$k" = alloc ] && step=$STRIDE
        { seq 1 "$step" "$total"; sed -n "s/^$s $k \([0-9][0-9]*\) .*/\1/p" "$HERE/found.txt"; } | sort -n -u |
            awk -v t="$total" '$1 <= t' | tee "$W/tried-$s-$k" | xargs -P "$JOBS" -I {} sh "$0" "$BIN" --one "$W" "$s" "$k" {} > "$W/fails-$s-$k"
        nf=$(wc -l < "$W/fails-$s-$k")
        tried=$(wc -l < "$W/tried-$s-$k")
        line="$line $k $tried/$total"
        [ "$nf" -gt 0 ] && { line="$line ($nf FAILED)"; bad=1; cat "$W/fails-$s-$k"; }
    done
    echo "fault: $line"
done
[ "$bad" = 0 ] && rm -rf "$W"
exit $bad
