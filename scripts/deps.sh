#!/bin/sh
# scripts/deps.sh - install the Debian packages edgelm needs to build and test.
#
# Does nothing (and prints nothing) when everything is present, so `make` can
# call it on every run. Uses apt-get, through sudo when not root. Set
# EDGELM_NO_APT=1 to only report what is missing (exit 1) without installing.
#
#   sh scripts/deps.sh          what `make`, `make test` and `make demo` need
#   sh scripts/deps.sh cross    also an aarch64 cross compiler and qemu (`make check-neon`)
#   sh scripts/deps.sh fuzz     also clang with libFuzzer and its sanitizer runtimes (`make fuzz`)
set -eu

# python3-numpy: test oracles and golden-file generators under tests/ (never at run time)
PKGS="gcc make pkg-config zlib1g-dev libarchive-dev libcriterion-dev libpcre2-dev libutf8proc-dev libjansson-dev python3-numpy"
if [ "${1:-}" = cross ]; then
    # the NEON kernels, built for aarch64 and run under qemu's user-mode emulation
    PKGS="$PKGS gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user"
fi
if [ "${1:-}" = fuzz ]; then
    # libFuzzer and the ASan/UBSan runtimes come with libclang-rt; the library's OpenMP pragmas need libomp
    PKGS="$PKGS clang libclang-rt-14-dev libomp-14-dev"
fi

missing=""
for p in $PKGS; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
        *"install ok installed"*) ;;
        *) missing="$missing $p" ;;
    esac
done

[ -z "$missing" ] && exit 0

echo "deps.sh: missing Debian packages:$missing" >&2
if [ "${EDGELM_NO_APT:-0}" = 1 ]; then
    exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "deps.sh: not root and no sudo; install them with: apt-get install$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists only when an install from the cached ones fails.
if ! $SUDO apt-get install -y --no-install-recommends $missing >&2; then
    $SUDO apt-get update >&2
    $SUDO apt-get install -y --no-install-recommends $missing >&2
fi
