/*
 * tests/fuzz/fuzz_kld.c - libFuzzer target for llama.cpp's KL-divergence base file (.kld, read by
 * `eval kld --base-logits`): el_kld_file_open, then every token and every row's log-probabilities
 * of what it accepts, as the evaluator reads them.
 * Build and run: make fuzz FUZZ_TARGETS=kld (needs clang).
 *
 * Input: the file. The reader maps it, so a read past its end shows as a SEGV (ASan does not see
 * into mappings) unless it lands in other memory.
 */
#include <stdint.h>
#include <stdlib.h>

#include "eval/logits_file.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    el_kld_file f;
    if (fz_rc(el_kld_file_open(&f, fz_input("kld", "base.kld", data, size), fz_err())))
        return 0;
    if (f.n_ctx < 4 || f.n_vocab < 2 || f.n_chunk < 1)
        FZ_BUG("accepted n_ctx %d, n_vocab %d, n_chunk %d", f.n_ctx, f.n_vocab, f.n_chunk);
    /* everything the header promises lies inside the file (in 128 bits: the header's sizes may not fit 64) */
    const uint64_t per = (uint64_t)(f.n_ctx - 1 - f.n_ctx / 2);
    const unsigned __int128 need = (unsigned __int128)20 + (unsigned __int128)f.n_ctx * (uint64_t)f.n_chunk * 4 +
                                   (unsigned __int128)f.n_chunk * per * (uint64_t)el_kld_row_len(f.n_vocab) * 2;
    if (need > f.map.size)
        FZ_BUG("n_ctx %d, n_vocab %d, n_chunk %d need more than the %llu bytes mapped", f.n_ctx, f.n_vocab, f.n_chunk,
               (unsigned long long)f.map.size);
    volatile float sink = 0;
    volatile int32_t tsink = 0;
    for (uint64_t i = 0; i < (uint64_t)f.n_ctx * (uint64_t)f.n_chunk; i++)
        tsink ^= f.tokens[i];
    for (int c = 0; c < f.n_chunk; c++)
        for (int i = 0; i < (int)per; i++) {
            const uint16_t *row = el_kld_file_row(&f, c, i);
            for (int v = 0; v < f.n_vocab; v++)
                sink += el_kld_row_logp(row, v);
        }
    (void)sink;
    (void)tsink;
    el_kld_file_close(&f);
    return 0;
}
