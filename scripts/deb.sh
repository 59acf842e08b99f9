#!/bin/sh
# scripts/deb.sh - the Debian package (`make deb`): build/deb/edgelm_VERSION_ARCH.deb.
#
#   sh scripts/deb.sh EDGELM MANDIR COMPDIR OUTDIR
#
# What `make install DESTDIR=STAGE PREFIX=/usr` installs (scripts/install.sh: the binary, man pages,
# completions, docs), less its manifest (dpkg keeps its own list), with the binary stripped and the man
# pages gzipped (Debian policy), packed by dpkg-deb --root-owner-group (no fakeroot needed, root or not).
# Depends is what dpkg-shlibdeps computes from the shared libraries the binary links (their packages'
# shlibs/symbols files give the minimum versions); without dpkg-dev, the package that owns each library
# `ldd` names (dpkg -S) at its installed version or later.
set -eu
[ $# -eq 4 ] || { echo "usage: sh scripts/deb.sh EDGELM MANDIR COMPDIR OUTDIR" >&2; exit 2; }
bin=$1 mandir=$2 compdir=$3 out=$4
version=$("$bin" --version | sed -n '1s/^edgelm \([^ ]*\).*/\1/p')
arch=$(dpkg --print-architecture)
[ -n "$version" ] || { echo "deb.sh: no version from '$bin --version'" >&2; exit 1; }
work="$out/work"
stage="$work/debian/edgelm"
rm -rf "$work"
mkdir -p "$stage"
DESTDIR="$stage" PREFIX=/usr sh scripts/install.sh install "$bin" "$mandir" "$compdir" > /dev/null
rm -f "$stage/usr/share/edgelm/install-manifest"
rmdir "$stage/usr/share/edgelm"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$stage/usr/bin/edgelm"
gzip -9n "$stage"/usr/share/man/man1/*.1

mkdir -p "$stage/DEBIAN"
if command -v dpkg-shlibdeps > /dev/null 2>&1; then
    # dpkg-shlibdeps reads debian/control, and wants the binary in a package tree (under a DEBIAN/'s folder)
    printf 'Source: edgelm\n\nPackage: edgelm\nArchitecture: any\n' > "$work/debian/control"
    depends=$(cd "$work" && dpkg-shlibdeps -O -edebian/edgelm/usr/bin/edgelm | sed -n 's/^shlibs:Depends=//p')
    rm -f "$work/debian/control"
else
    depends=$(ldd "$stage/usr/bin/edgelm" | awk '$3 ~ /^\// { print $3 }' | while read -r lib; do
        real=$(readlink -f "$lib")
        pkg=$(dpkg -S "$lib" 2>/dev/null || dpkg -S "$real" 2>/dev/null || dpkg -S "/usr$real" 2>/dev/null || true)
        pkg=${pkg%%:*}
        [ -n "$pkg" ] || { echo "deb.sh: no package owns $lib" >&2; exit 1; }
        echo "$pkg (>= $(dpkg-query -W -f='${Version}' "$pkg"))"
    done | sort -u | paste -sd, - | sed 's/,/, /g')
fi
[ -n "$depends" ] || { echo "deb.sh: no Depends computed" >&2; exit 1; }

size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
cat > "$stage/DEBIAN/control" <<EOF
Package: edgelm
Version: $version
Architecture: $arch
Maintainer: edgelm developers <edgelm@localhost>
Installed-Size: $size
Depends: $depends
Section: science
Priority: optional
Description: prepare small language models for edge devices
 edgelm converts Hugging Face checkpoints to GGUF, quantizes them (Q8_0 to Q2_K,
 llama.cpp's mixes, importance matrices), evaluates them (perplexity, KL
 divergence, multiple-choice tasks), benchmarks them on the device and prepares
 teacher-student distillation data; one C binary, no Python.
EOF
(cd "$stage" && find . -type f ! -path './DEBIAN/*' -printf '%P\n' | sort | xargs md5sum) > "$stage/DEBIAN/md5sums"
deb="$out/edgelm_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" > /dev/null
echo "  DEB     $deb (Depends: $depends)"
