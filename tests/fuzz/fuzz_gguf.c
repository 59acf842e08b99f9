/*
 * tests/fuzz/fuzz_gguf.c - libFuzzer target for the GGUF reader.
 * Build and run: make fuzz FUZZ_SECONDS=60 (needs clang).
 * Every accepted file must have all its tensor bytes readable.
 */
#include <stdint.h>
#include <stdlib.h>

#include "formats/gguf.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = fz_dup(data, size); /* the result points into it */
    gguf_file *f = NULL;
    if (fz_rc(gguf_parse(&f, copy, size, "fuzz", fz_err())) == 0) {
        volatile uint8_t sink = 0;
        for (uint64_t i = 0; i < f->n_tensors; i++)
            if (f->tensors[i].size)
                sink ^= f->tensors[i].data[f->tensors[i].size - 1];
        for (uint64_t i = 0; i < f->n_kv; i++)
            sink ^= (uint8_t)f->kv[i].key.len;
        (void)sink;
        gguf_close(f);
    }
    free(copy);
    return 0;
}
