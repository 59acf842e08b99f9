/*
 * tests/fuzz/fuzz_records.c - libFuzzer target for the dataset record parsers (jsonl, json, csv, tsv,
 * txt): the first byte picks the format, the rest is the file.
 * Build and run: make fuzz FUZZ_SECONDS=60 (needs clang).
 */
#include <stdint.h>
#include <stdlib.h>

#include "datasets/records.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const el_ds_format fmts[] = {EL_DS_JSONL, EL_DS_JSON, EL_DS_CSV, EL_DS_TSV, EL_DS_TXT};
    el_ds_records r;
    if (fz_rc(el_ds_records_parse("fuzz", (const char *)data + 1, size - 1, fmts[data[0] % 5], &r, fz_err())))
        return 0;
    for (size_t i = 0; i < r.n; i++)
        if (!r.rec[i] || (i && r.line[i] < r.line[i - 1]))
            FZ_BUG("record %zu: no text, or its line %lld before the previous one", i, (long long)r.line[i]);
    el_ds_records_free(&r);
    return 0;
}
