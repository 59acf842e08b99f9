#!/bin/sh
# tests/install.sh - `make install` into a scratch DESTDIR puts every file where it belongs, the installed
# man page renders without a warning and the installed bash completion completes; `make uninstall` then
# leaves the tree as it was: a folder that was there before (with someone else's file) stays, with that
# file, and nothing else. Run from the top folder after the binary is built (tests/test_install.c);
# ./edgelm is not rebuilt here (make -o edgelm). Prints nothing and exits 0 when all holds, else names
# each failure and exits 1.
set -eu
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
prefix=/opt/edgelm-test
root="$dest$prefix"
fail=0
bad() {
    echo "install.sh: $*"
    fail=1
}

# someone else's folder and file, under a folder install also uses
mkdir -p "$root/share/man/man1"
echo other > "$root/share/man/man1/other.1"

make --no-print-directory -s -o edgelm install DESTDIR="$dest" PREFIX="$prefix" > "$dest/install.log" 2>&1 ||
    { cat "$dest/install.log"; echo "install.sh: make install failed"; exit 1; }

# what must be there: the list is written out here, not taken from the manifest
want="bin/edgelm share/bash-completion/completions/edgelm share/zsh/vendor-completions/_edgelm
share/fish/vendor_completions.d/edgelm.fish share/doc/edgelm/README.md share/edgelm/install-manifest
share/man/man1/edgelm.1"
for c in $(./edgelm --list-commands | grep -vx help); do
    want="$want share/man/man1/edgelm-$c.1"
done
for s in ppl kld mc route; do want="$want share/man/man1/edgelm-eval-$s.1"; done
for s in gen logits score merge; do want="$want share/man/man1/edgelm-distill-$s.1"; done
for d in docs/*.md; do want="$want share/doc/edgelm/$d"; done
n_want=0
for f in $want; do
    n_want=$((n_want + 1))
    [ -f "$root/$f" ] || bad "missing $prefix/$f"
done
[ -x "$root/bin/edgelm" ] || bad "$prefix/bin/edgelm is not executable"
cmp -s ./edgelm "$root/bin/edgelm" || bad "$prefix/bin/edgelm differs from ./edgelm"
cmp -s README.md "$root/share/doc/edgelm/README.md" || bad "the installed README.md differs"
# nothing else (but the other file)
n_have=$(find "$root" -type f ! -path "$root/share/man/man1/other.1" | wc -l)
[ "$n_have" -eq "$n_want" ] || bad "$n_have files installed, want $n_want"
[ "$(grep -c '^f ' "$root/share/edgelm/install-manifest")" -eq "$n_want" ] || bad "the manifest lists other than $n_want files"
[ "$(find "$root/share/man/man1" -name 'edgelm*.1' | wc -l)" -eq 20 ] || bad "not 20 man pages"

# the installed page renders without a warning, and names the command pages
out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$root/share/man/man1/edgelm.1" 2> "$dest/man.err") ||
    bad "man -l edgelm.1 failed"
[ ! -s "$dest/man.err" ] || bad "man -l edgelm.1 warned: $(cat "$dest/man.err")"
case "$out" in *"edgelm-quantize(1)"*) ;; *) bad "edgelm.1 does not name edgelm-quantize(1)" ;; esac
out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$root/share/man/man1/edgelm-quantize.1" 2> "$dest/man.err") ||
    bad "man -l edgelm-quantize.1 failed"
[ ! -s "$dest/man.err" ] || bad "man -l edgelm-quantize.1 warned: $(cat "$dest/man.err")"
case "$out" in *"--imatrix FILE"*) ;; *) bad "edgelm-quantize.1 has no --imatrix FILE" ;; esac
"$root/bin/edgelm" --version | grep -q '^edgelm ' || bad "the installed edgelm --version"
# every page: groff's warnings all on, none given; its NAME line is what whatis/apropos read
for p in "$root"/share/man/man1/edgelm*.1; do
    w=$(groff -man -Tutf8 -ww -z "$p" 2>&1) || bad "groff failed on $(basename "$p")"
    [ -z "$w" ] || bad "groff -ww on $(basename "$p"): $w"
    name=$(basename "$p" .1)
    grep -A1 '^\.SH NAME' "$p" | tail -1 | grep -q "^$(echo "$name" | sed 's/-/\\\\-/g') \\\\- [A-Za-z]" ||
        bad "$(basename "$p") has no 'NAME \\- description' line"
done

# the installed bash completion
got=$(bash -c '. "$1"; COMP_WORDS=(edgelm qu); COMP_CWORD=1; _edgelm; echo "${COMPREPLY[*]}"
      COMP_WORDS=(edgelm quantize --im); COMP_CWORD=2; _edgelm; echo "${COMPREPLY[*]}"' sh \
      "$root/share/bash-completion/completions/edgelm")
[ "$got" = "quantize
--imatrix" ] || bad "installed bash completion: '$got'"

# installing again over it, then one uninstall, leaves nothing of ours
make --no-print-directory -s -o edgelm install DESTDIR="$dest" PREFIX="$prefix" > "$dest/install.log" 2>&1 ||
    { cat "$dest/install.log"; bad "make install (again) failed"; }
make --no-print-directory -s uninstall DESTDIR="$dest" PREFIX="$prefix" > "$dest/uninstall.log" 2>&1 ||
    { cat "$dest/uninstall.log"; bad "make uninstall failed"; }
rm -f "$dest/install.log" "$dest/uninstall.log" "$dest/man.err"
left=$(cd "$dest" && find . -mindepth 1 | sort | tr '\n' ' ')
want_left="./opt ./opt/edgelm-test ./opt/edgelm-test/share ./opt/edgelm-test/share/man ./opt/edgelm-test/share/man/man1 ./opt/edgelm-test/share/man/man1/other.1 "
[ "$left" = "$want_left" ] || bad "after uninstall: $left (want $want_left)"
[ "$(cat "$root/share/man/man1/other.1")" = other ] || bad "uninstall changed another file"
# a second uninstall has nothing to remove: a failure that says so
if make --no-print-directory -s uninstall DESTDIR="$dest" PREFIX="$prefix" > "$dest/u2.log" 2>&1; then
    bad "a second make uninstall succeeded"
fi
grep -q "no $root/share/edgelm/install-manifest" "$dest/u2.log" || bad "second uninstall: $(cat "$dest/u2.log")"
exit $fail
