/*
 * tests/fuzz/fuzz_gguf.c - libFuzzer target for the GGUF reader.
 * Build and run: make fuzz FUZZ_SECONDS=60 (needs clang).
 * Every accepted file must have all its tensor bytes readable.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/gguf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    gguf_file *f = NULL;
    el_error e;
    el_error_clear(&e);
    if (gguf_parse(&f, copy, size, "fuzz", &e) == 0) {
        volatile uint8_t sink = 0;
        for (uint64_t i = 0; i < f->n_tensors; i++)
            if (f->tensors[i].size)
                sink ^= f->tensors[i].data[f->tensors[i].size - 1];
        for (uint64_t i = 0; i < f->n_kv; i++)
            sink ^= (uint8_t)f->kv[i].key.len;
        (void)sink;
        gguf_close(f);
    } else if (e.msg[0] == '\0') {
        abort(); /* every failure must say why */
    }
    free(copy);
    return 0;
}
