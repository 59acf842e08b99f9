/*
 * tests/fuzz/fuzz_safetensors.c - libFuzzer target for the safetensors reader.
 * Build and run: make fuzz FUZZ_SECONDS=60 (needs clang).
 */
#include <stdint.h>
#include <stdlib.h>

#include "formats/safetensors.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = fz_dup(data, size); /* the result points into it */
    st_file *f = NULL;
    if (fz_rc(st_parse(&f, copy, size, "fuzz", fz_err())) == 0) {
        volatile uint8_t sink = 0;
        float out[4];
        for (uint64_t i = 0; i < f->n_tensors; i++) {
            const st_tensor *t = &f->tensors[i];
            if (t->end > t->begin)
                sink ^= t->data[t->end - t->begin - 1];
            if (st_dtype_is_float(t->dtype) && t->n_elements >= 4)
                st_read_f32(t, t->n_elements - 4, 4, out, fz_err());
        }
        (void)sink;
        st_close(f);
    }
    free(copy);
    return 0;
}
