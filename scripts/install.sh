#!/bin/sh
# scripts/install.sh - `make install` and `make uninstall`, with a manifest of what was installed.
#
#   sh scripts/install.sh install EDGELM MANDIR COMPDIR     (DESTDIR and PREFIX from the environment)
#   sh scripts/install.sh uninstall
#
# install puts under $DESTDIR$PREFIX (PREFIX default /usr/local):
#   bin/edgelm
#   share/man/man1/*.1                            MANDIR's pages (make man)
#   share/bash-completion/completions/edgelm      COMPDIR/edgelm.bash (make completion)
#   share/zsh/vendor-completions/_edgelm          COMPDIR/_edgelm
#   share/fish/vendor_completions.d/edgelm.fish   COMPDIR/edgelm.fish
#   share/doc/edgelm/README.md, share/doc/edgelm/docs/*.md
#   share/edgelm/install-manifest                 one line per file ("f PATH") and per folder this
#                                                 install created ("d PATH"), paths without DESTDIR
# uninstall removes the manifest's files, then the folders it records, deepest first, when they are
# empty (a folder something else also uses stays); a folder an earlier install created stays
# recorded when installing again over it.
set -eu
PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
root="$DESTDIR$PREFIX"
manifest_rel="share/edgelm/install-manifest"
manifest="$root/$manifest_rel"

usage() {
    echo "usage: sh scripts/install.sh install EDGELM MANDIR COMPDIR | uninstall" >&2
    exit 2
}

[ $# -ge 1 ] || usage
case "$1" in
install)
    [ $# -eq 4 ] || usage
    bin=$2 mandir=$3 compdir=$4
    for f in "$bin" "$mandir/edgelm.1" "$compdir/edgelm.bash" "$compdir/_edgelm" "$compdir/edgelm.fish" README.md; do
        [ -f "$f" ] || { echo "install.sh: missing $f (run from the top folder, after make man completion)" >&2; exit 1; }
    done
    list=$(mktemp)
    trap 'rm -f "$list"' EXIT
    # folders an earlier install created stay ours
    [ -f "$manifest" ] && grep '^d ' "$manifest" >> "$list" || true
    mkdirs() { # REL: create $root/REL and each missing parent, recording the ones created
        d="$PREFIX/$1"
        missing=""
        while [ ! -d "$DESTDIR$d" ]; do
            missing="$d $missing"
            d=$(dirname "$d")
        done
        for m in $missing; do
            mkdir "$DESTDIR$m"
            echo "d $m" >> "$list"
        done
    }
    put() { # MODE SRC REL: install SRC as $root/REL
        mkdirs "$(dirname "$3")"
        install -m "$1" "$2" "$root/$3"
        echo "f $PREFIX/$3" >> "$list"
    }
    put 755 "$bin" bin/edgelm
    for p in "$mandir"/*.1; do
        put 644 "$p" "share/man/man1/$(basename "$p")"
    done
    put 644 "$compdir/edgelm.bash" share/bash-completion/completions/edgelm
    put 644 "$compdir/_edgelm" share/zsh/vendor-completions/_edgelm
    put 644 "$compdir/edgelm.fish" share/fish/vendor_completions.d/edgelm.fish
    put 644 README.md share/doc/edgelm/README.md
    for d in docs/*.md; do
        put 644 "$d" "share/doc/edgelm/$d"
    done
    mkdirs "$(dirname "$manifest_rel")"
    echo "f $PREFIX/$manifest_rel" >> "$list"
    sort -u "$list" > "$list.sorted"
    mv "$list.sorted" "$list"
    install -m 644 "$list" "$manifest"
    echo "  INSTALL $(grep -c '^f ' "$manifest") files under $root (manifest: $manifest)"
    ;;
uninstall)
    [ $# -eq 1 ] || usage
    if [ ! -f "$manifest" ]; then
        echo "uninstall: no $manifest: nothing installed there by make install (PREFIX=$PREFIX)" >&2
        exit 1
    fi
    n=0
    # the manifest is read whole before its own line removes it
    files=$(sed -n 's/^f //p' "$manifest")
    dirs=$(sed -n 's/^d //p' "$manifest" | awk '{ print length($0) "\t" $0 }' | sort -rn | cut -f2-)
    for f in $files; do
        if [ -e "$DESTDIR$f" ] || [ -L "$DESTDIR$f" ]; then
            rm -f "$DESTDIR$f"
            n=$((n + 1))
        fi
    done
    for d in $dirs; do
        rmdir "$DESTDIR$d" 2>/dev/null || true
    done
    echo "  UNINSTALL $n files from $root"
    ;;
*)
    usage
    ;;
esac
