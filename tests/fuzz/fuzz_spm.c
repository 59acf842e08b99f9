/*
 * tests/fuzz/fuzz_spm.c - libFuzzer target for SentencePiece's tokenizer.model (protobuf ModelProto):
 * el_spm_model_load, then a tokenizer built from what loads, encoding and decoding a text.
 * Build and run: make fuzz FUZZ_TARGETS=spm (needs clang).
 *
 * Input: byte 0 picks the vocab_size the caller asks for (0: none, else 1 .. 255 x 4: the piece
 * list is padded to it, or cut - whatever el_spm_model_load does with it), the rest is the file.
 */
#include <stdint.h>
#include <stdlib.h>

#include "engine/tokenizer/tokenizer.h"
#include "formats/vocab.h"
#include "tests/fuzz/fuzz_tok.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const int64_t vocab_size = (int64_t)data[0] * 4;
    el_vocab v = {0}; /* el_vocab_alloc frees what v holds: it must start empty */
    if (fz_rc(el_spm_model_load(&v, fz_input("spm", "tokenizer.model", data + 1, size - 1), vocab_size, fz_err()))) {
        el_vocab_free(&v); /* a failed load may leave what it allocated; its caller frees (as vocab_hf.c does) */
        return 0;
    }
    if (v.type != EL_VOCAB_SPM || (vocab_size > 0 && v.n_tokens < (uint32_t)vocab_size))
        FZ_BUG("el_spm_model_load: type %d, %u tokens for vocab_size %lld", v.type, v.n_tokens, (long long)vocab_size);
    for (uint32_t i = 0; i < v.n_tokens; i++)
        if (!v.tokens[i] || v.types[i] < EL_TOK_UNDEFINED || v.types[i] > EL_TOK_BYTE)
            FZ_BUG("token %u: no text or type %d", i, v.types[i]);
    el_tokenizer *t = NULL;
    fz_tok_loaded(el_tok_from_vocab(&t, &v, fz_err()), &t, NULL, 0);
    return 0;
}
