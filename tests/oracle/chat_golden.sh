#!/bin/sh
# tests/oracle/chat_golden.sh - regenerate tests/golden/chat/llama_cpp.jsonl: the prompts llama.cpp's
# llama_chat_apply_template (b4748) makes for each named template (tests/oracle/chat_golden.c).
#   LLAMA=../peer/llama.cpp sh tests/oracle/chat_golden.sh
set -eu
cd "$(dirname "$0")/../.."
LLAMA=${LLAMA:-../peer/llama.cpp}
gcc -std=c11 -O1 -I"$LLAMA/include" -I"$LLAMA/ggml/include" tests/oracle/chat_golden.c -L"$LLAMA/build/bin" -lllama \
    -Wl,-rpath,"$(cd "$LLAMA/build/bin" && pwd)" -o /tmp/chat_golden
/tmp/chat_golden > tests/golden/chat/llama_cpp.jsonl
echo "tests/golden/chat/llama_cpp.jsonl: $(wc -l < tests/golden/chat/llama_cpp.jsonl) prompts"
