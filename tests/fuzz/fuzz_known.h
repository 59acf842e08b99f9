/*
 * tests/fuzz/fuzz_known.h - recognising inputs that hit a defect already found and reported, for
 * the targets that EDGELM_FUZZ_SKIP_KNOWN=1 (fuzz_util.h) makes step around it. Each check names its
 * finding (/work/fuzz-findings/NAME.txt at the time of writing; issue 16 for the known ones).
 */
#ifndef EL_TESTS_FUZZ_KNOWN_H
#define EL_TESTS_FUZZ_KNOWN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "formats/safetensors.h"

/*
 * A distill shard whose "zlib.NAME" entries describe more than 2^32 bytes once inflated: the reader
 * allocates what they say (shard-2, 48 TB) or wraps the 1-D size (shard-1, heap overflow); issue 16
 * item 4.
 */
static inline bool fz_shard_zlib_too_big(const char *path)
{
    st_file *f = NULL;
    el_error e;
    el_error_clear(&e);
    if (st_open(&f, path, &e) != 0)
        return false;
    bool big = false;
    const char *key;
    json_t *v;
    json_object_foreach(f->metadata, key, v) {
        if (strncmp(key, "zlib.", 5) != 0 || !json_is_string(v))
            continue;
        char dname[16];
        long long a = -1, b = 1;
        if (sscanf(json_string_value(v), "%15s %lld,%lld", dname, &a, &b) >= 2 &&
            (a < 0 || b < 0 || (double)a * (double)(b ? b : 1) * 8 > 4294967296.0))
            big = true;
    }
    st_close(f);
    return big;
}

#endif
