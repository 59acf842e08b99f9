/*
 * tests/fuzz/fuzz_imatrix.c - libFuzzer target for importance matrices (`quantize --imatrix`):
 * el_imatrix_load on llama.cpp's legacy .dat and on the GGUF layout (chosen by content), then what
 * loads is saved in both formats and read back: the same entries, names and sizes.
 * Build and run: make fuzz FUZZ_TARGETS=imatrix (needs clang).
 *
 * Input: the file (.dat bytes, or a GGUF starting with "GGUF").
 *
 * Found (fixed; tests/test_hostile.c): saving a count that does not fit .dat's int32 call count cast
 * it out of range; a .dat name holding a NUL byte was accepted cut at it; a GGUF entry with no
 * values was accepted.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "quant/imatrix.h"
#include "tests/fuzz/fuzz_util.h"

/* Save m to the scratch file name (its extension picks the format) and read it back: the same entries
 * (a refusal to save must say why). */
static void round_trip(const el_imatrix *m, const char *name)
{
    char path[1024];
    fz_path(path, sizeof path, fz_tmpdir("imatrix"), name);
    if (fz_rc(el_imatrix_save(m, path, fz_err())))
        return;
    el_imatrix b;
    if (fz_rc(el_imatrix_load(&b, path, fz_err())))
        FZ_BUG("%s, written from an accepted imatrix, does not load: %s", path, fz_e.msg);
    if (b.n != m->n)
        FZ_BUG("%s: %d entries written, %d read back", path, m->n, b.n);
    for (int i = 0; i < m->n; i++) {
        const el_imatrix_entry *x = el_imatrix_find(&b, m->e[i].name);
        if (!x || x->n != m->e[i].n || !x->mean)
            FZ_BUG("%s: entry '%s' (%lld values) not read back alike", path, m->e[i].name, (long long)m->e[i].n);
    }
    el_imatrix_free(&b);
    remove(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    el_imatrix m;
    if (fz_rc(el_imatrix_load(&m, fz_input("imatrix", "in.imatrix", data, size), fz_err())))
        return 0;
    if (m.n < 1)
        FZ_BUG("an imatrix with no entries was accepted");
    volatile float sink = 0;
    for (int i = 0; i < m.n; i++) {
        const el_imatrix_entry *x = &m.e[i];
        if (!x->name || x->n < 0 || (x->n > 0 && !x->mean) || el_imatrix_find(&m, x->name) != x)
            FZ_BUG("entry %d: name, size or mean missing, or not found by its name", i);
        if (x->n > 0) /* a GGUF entry may have none; quantize compares n with the matrix's columns */
            sink += x->mean[0] + x->mean[x->n - 1];
    }
    (void)sink;
    round_trip(&m, "out.dat");
    round_trip(&m, "out.gguf");
    el_imatrix_free(&m);
    return 0;
}
