/*
 * tests/fuzz/fuzz_safetensors.c - libFuzzer target for the safetensors reader.
 * Build and run: make fuzz FUZZ_SECONDS=60 (needs clang).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    st_file *f = NULL;
    el_error e;
    el_error_clear(&e);
    if (st_parse(&f, copy, size, "fuzz", &e) == 0) {
        volatile uint8_t sink = 0;
        float out[4];
        for (uint64_t i = 0; i < f->n_tensors; i++) {
            const st_tensor *t = &f->tensors[i];
            if (t->end > t->begin)
                sink ^= t->data[t->end - t->begin - 1];
            if (st_dtype_is_float(t->dtype) && t->n_elements >= 4)
                st_read_f32(t, t->n_elements - 4, 4, out, &e);
        }
        (void)sink;
        st_close(f);
    } else if (e.msg[0] == '\0') {
        abort();
    }
    free(copy);
    return 0;
}
