/*
 * tests/fuzz/fuzz_source.c - libFuzzer target for datasets/source.c, the bytes of a dataset wherever
 * they are: a plain file, a gzip file (zlib, members concatenated), or a member of a .tar, .tar.gz or
 * .zip archive named ARCHIVE:MEMBER (libarchive); and the record readers on top of what it gives.
 * Build and run: make fuzz FUZZ_TARGETS=source (needs clang).
 *
 * Input: byte 0 picks the spec and the cap, the rest is the file:
 *   bits 0-1  0: DIR/data.txt (plain or gzip, by its magic bytes), 1: DIR/data.tar:data.jsonl,
 *             2: DIR/data.zip:sub/a:b.csv (a member name holding ':'), 3: DIR/data.jsonl.gz through
 *             el_ds_records_load (the format from the name)
 *   bit 2     max_size 4096 instead of the default 4 GiB cap
 * An input that inflates beyond the cap must be refused, naming the file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/records.h"
#include "datasets/source.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const char *const files[] = {"data.txt", "data.tar", "data.zip", "data.jsonl.gz"};
    static const char *const members[] = {NULL, "data.jsonl", "sub/a:b.csv", NULL};
    static const el_ds_format fmts[] = {EL_DS_TXT, EL_DS_JSONL, EL_DS_CSV, EL_DS_AUTO};
    const int kind = data[0] & 3;
    const uint64_t cap = data[0] & 4 ? 4096 : 0;
    const char *path = fz_input("source", files[kind], data + 1, size - 1);
    char spec[1200];
    snprintf(spec, sizeof spec, "%s%s%s", path, members[kind] ? ":" : "", members[kind] ? members[kind] : "");
    if (kind == 3) {
        el_ds_records r;
        if (fz_rc(el_ds_records_load(spec, EL_DS_AUTO, &r, fz_err())) == 0)
            el_ds_records_free(&r);
        remove(path);
        return 0;
    }
    char *out = NULL;
    uint64_t n = 0;
    if (fz_rc(el_ds_read(spec, cap, &out, &n, fz_err())) == 0) {
        if (!out || out[n] != '\0')
            FZ_BUG("el_ds_read: the contents are not NUL-terminated");
        if (cap && n > cap)
            FZ_BUG("el_ds_read gave %llu bytes under a cap of %llu", (unsigned long long)n, (unsigned long long)cap);
        if (kind == 0 && size - 1 >= 2 && !(data[1] == 0x1f && data[2] == 0x8b) &&
            (n != size - 1 || memcmp(out, data + 1, n) != 0))
            FZ_BUG("a plain file read back different");
        el_ds_records r;
        if (fz_rc(el_ds_records_parse(spec, out, (size_t)n, fmts[kind], &r, fz_err())) == 0)
            el_ds_records_free(&r);
        free(out);
    }
    char *file = NULL;
    const char *member = NULL;
    if (fz_rc(el_ds_spec_file(spec, &file, &member, fz_err())) || strcmp(file, path) != 0 ||
        (members[kind] ? !member || strcmp(member, members[kind]) : member != NULL))
        FZ_BUG("el_ds_spec_file(%s) gave %s and member %s", spec, file ? file : "(none)", member ? member : "(none)");
    free(file);
    remove(path);
    return 0;
}
