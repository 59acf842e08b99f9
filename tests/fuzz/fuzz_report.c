/*
 * tests/fuzz/fuzz_report.c - libFuzzer target for `edgelm report`: el_report_write reading eval and
 * bench results (a JSON object, a list of them, or bench's jsonl) and writing report.md and its SVG
 * charts from them.
 * Build and run: make fuzz FUZZ_TARGETS=report (needs clang).
 *
 * Input: up to three result files cut at FZ_SEP (fuzz_util.h), all given to one report.
 */
#include <stdint.h>
#include <stdlib.h>

#include "eval/report.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_part parts[FZ_MAX_PARTS];
    const int n = fz_split(data, size, parts, 3);
    const char *root = fz_tmpdir("report");
    char paths[3][1024], out[1024];
    const char *inputs[3];
    for (int i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "result%d.json", i);
        fz_write(fz_path(paths[i], sizeof paths[i], root, name), parts[i].p, parts[i].n);
        inputs[i] = paths[i];
    }
    fz_path(out, sizeof out, root, "report");
    el_report_summary s;
    if (fz_rc(el_report_write(inputs, n, out, NULL, &s, fz_err())) == 0 &&
        (s.n_variants < 1 || s.n_records < s.n_variants || s.n_pareto < 0 || s.n_pareto > s.n_variants))
        FZ_BUG("a report of %d variants, %d records, %d on the front", s.n_variants, s.n_records, s.n_pareto);
    fz_rmtree(out);
    for (int i = 0; i < n; i++)
        remove(paths[i]);
    return 0;
}
