#!/bin/sh
# scripts/deps.sh - install the Debian packages edgelm needs to build and test.
#
# Does nothing (and prints nothing) when everything is present, so `make` can
# call it on every run. Uses apt-get, through sudo when not root. Set
# EDGELM_NO_APT=1 to only report what is missing (exit 1) without installing.
#
#   sh scripts/deps.sh          what `make`, `make test` and `make demo` need
#   sh scripts/deps.sh cross    also an aarch64 cross compiler and qemu (`make check-neon`), and the
#                               libraries' arm64 -dev packages through multiarch (`make static ARCH=aarch64`,
#                               `make test-aarch64`: adds the arm64 architecture to dpkg)
#   sh scripts/deps.sh static   the static archives (.a) of what libarchive pulls in (`make static`)
#   sh scripts/deps.sh fuzz     also clang with libFuzzer and its sanitizer runtimes (`make fuzz`)
#   sh scripts/deps.sh deb      also dpkg-dev, whose dpkg-shlibdeps computes the package's Depends (`make deb`)
set -eu

# python3-numpy: test oracles and golden-file generators under tests/ (never at run time)
# openssh-server/-client: the test of scripts/device-bench.sh runs a throwaway sshd on 127.0.0.1 (never as a service)
# jq: README's examples pipe --json into it, and tests/readme_examples.sh runs them as written
# man-db, groff-base: `make man` pages are checked with man -l / groff -ww, installed ones too (tests/install.sh)
PKGS="gcc make pkg-config zlib1g-dev libarchive-dev libcriterion-dev libpcre2-dev libutf8proc-dev libjansson-dev python3-numpy openssh-client openssh-server man-db groff-base jq"
if [ "${1:-}" = cross ]; then
    # the NEON kernels, built for aarch64 and run under qemu's user-mode emulation
    PKGS="$PKGS gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user"
fi
# What `pkg-config --static --libs libarchive` names: its -dev packages hold the .a archives (libarchive's
# tar and zip readers and filters reference nettle, lzma, zstd, lz4 and bz2; acl and xml2 only have to exist)
STATIC="libacl1-dev libbz2-dev liblz4-dev liblzma-dev libxml2-dev libzstd-dev nettle-dev"
if [ "${1:-}" = static ]; then
    PKGS="$PKGS $STATIC"
fi
if [ "${1:-}" = cross ]; then
    PKGS="$PKGS binutils-aarch64-linux-gnu libgcc-12-dev-arm64-cross"
    for p in zlib1g-dev libarchive-dev libpcre2-dev libutf8proc-dev libjansson-dev $STATIC; do
        PKGS="$PKGS $p:arm64"
    done
fi
if [ "${1:-}" = deb ]; then
    PKGS="$PKGS dpkg-dev"
fi
if [ "${1:-}" = fuzz ]; then
    # libFuzzer and the ASan/UBSan runtimes come with libclang-rt; the library's OpenMP pragmas need libomp
    PKGS="$PKGS clang libclang-rt-14-dev libomp-14-dev"
fi

# A name without ":ARCH" means this machine's architecture (or an "all" package): with multiarch,
# dpkg-query also answers for an arm64 package of the same name.
HOST=$(dpkg --print-architecture)
missing=""
for p in $PKGS; do
    case "$p" in
    *:*) want="${p#*:}" ;;
    *) want="$HOST|all" ;;
    esac
    if ! dpkg-query -W -f='${Architecture} ${Status}\n' "$p" 2>/dev/null | grep -Eq "^($want) install ok installed"; then
        missing="$missing $p"
    fi
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
# Another apt-get, or unattended-upgrades on a fresh machine, may hold the dpkg lock: wait for it (up to
# 10 minutes, apt prints who holds it) instead of failing at once.
LOCK_WAIT=600
APT="$SUDO apt-get -o DPkg::Lock::Timeout=$LOCK_WAIT"
echo "deps.sh: installing with apt-get (waiting up to $((LOCK_WAIT / 60)) minutes for the dpkg lock if another apt-get or unattended-upgrades holds it)" >&2
case "$missing" in
*:arm64*)
    if ! dpkg --print-foreign-architectures | grep -qx arm64; then
        echo "deps.sh: adding the arm64 architecture to dpkg (multiarch), for the aarch64 build's libraries" >&2
        $SUDO dpkg --add-architecture arm64
        $APT update >&2
    fi
    ;;
esac
# No package may start a service here (openssh-server would start sshd on port 22): a policy-rc.d
# that says no, for the time of the install, unless the machine has its own.
policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d > /dev/null && $SUDO chmod +x /usr/sbin/policy-rc.d && policy=1
fi
# Refresh the package lists only when an install from the cached ones fails.
rc=0
if ! $APT install -y --no-install-recommends $missing >&2; then
    $APT update >&2
    $APT install -y --no-install-recommends $missing >&2 || rc=$?
fi
[ -n "$policy" ] && $SUDO rm -f /usr/sbin/policy-rc.d
exit $rc
