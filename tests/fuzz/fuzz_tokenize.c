/*
 * tests/fuzz/fuzz_tokenize.c - libFuzzer target for encode and decode.
 * Build and run: make fuzz FUZZ_SECONDS=60 (needs clang and ../shared).
 *
 * Every input is encoded with a byte-level BPE (GPT-2) and a SentencePiece
 * (Llama) vocabulary, with and without special-token parsing, then decoded:
 * no crash, no out-of-bounds access, and the byte-level BPE round trip must
 * give the input back exactly.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/tokenizer/tokenizer.h"
#include "tests/fuzz/fuzz_util.h"

static el_tokenizer *bpe, *spm;

/* The tokenizer in $env, else rel under the shared data; one that does not load stops the harness. */
static el_tokenizer *load(const char *env, const char *rel)
{
    const char *p = getenv(env);
    const char *path = p && *p ? p : fz_shared("tokenize", rel);
    el_tokenizer *t = NULL;
    if (el_tok_load(&t, path, fz_err()) != 0)
        FZ_DIE("cannot load %s: %s", path, fz_e.msg);
    return t;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    bpe = load("EDGELM_FUZZ_BPE", "golden/vocab/ggml-vocab-gpt-2.gguf");
    spm = load("EDGELM_FUZZ_SPM", "golden/vocab/ggml-vocab-llama-spm.gguf");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = (char *)fz_dup(data, size); /* exactly size bytes, not NUL-terminated: encode takes a length */
    el_tokens ids = {0};
    for (int flags = 0; flags <= EL_TOK_PARSE_SPECIAL; flags += EL_TOK_PARSE_SPECIAL) {
        ids.n = 0;
        if (el_tok_encode(bpe, NULL, text, size, flags, &ids, fz_err()) == 0) {
            size_t need = el_tok_decode(bpe, ids.ids, ids.n, true, NULL, 0);
            char *out = malloc(need + 1);
            if (!out)
                FZ_DIE("out of memory");
            size_t got = el_tok_decode(bpe, ids.ids, ids.n, true, out, need + 1);
            if (got != size || memcmp(out, text, size) != 0)
                FZ_BUG("the byte-level BPE round trip changed the input (%zu bytes back of %zu)", got, size);
            free(out);
        }
        ids.n = 0;
        if (el_tok_encode(spm, NULL, text, size, flags, &ids, fz_err()) == 0) {
            char out[64];
            (void)el_tok_decode(spm, ids.ids, ids.n, flags != 0, out, sizeof out);
        }
    }
    el_tokens_free(&ids);
    free(text);
    return 0;
}
