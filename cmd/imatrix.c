/*
 * cmd/imatrix.c - `edgelm imatrix MODEL.gguf -f CALIB.txt -o IMATRIX.gguf`.
 */
#include <limits.h>
#include <stdlib.h>

#include "cmd/cmd.h"
#include "eval/imatrix.h"

static const char usage[] = "imatrix MODEL.gguf -f CALIB.txt -o IMATRIX.gguf|IMATRIX.dat [-c 512] [--chunks N] [-t N] [--json]";
static const char summary[] =
    "Collect an importance matrix for `edgelm quantize --imatrix`: the model runs over the\n"
    "calibration text in chunks of -c tokens and, for every weight matrix, the squares of its\n"
    "input activations are summed per column. Written as GGUF (the layout newer llama.cpp uses),\n"
    "or as llama-imatrix's legacy .dat when the name ends in .dat (llama-quantize b4748 reads it).";

int cmd_imatrix(int argc, char **argv, el_cli *cli)
{
    const char *text = NULL, *out = NULL;
    int n_ctx = 512, chunks = 0, threads = 0;
    const el_opt opts[] = {
        {'f', "file", EL_OPT_STR, &text, "CALIB.txt", "calibration text"},
        {'o', "output", EL_OPT_STR, &out, "FILE", "output (.gguf, or .dat for llama.cpp's legacy format)"},
        {'c', "ctx-size", EL_OPT_INT, &n_ctx, "N", "tokens per chunk (default 512)"},
        {0, "chunks", EL_OPT_INT, &chunks, "N", "at most N chunks (default: all the text holds)"},
        EL_OPT_THREADS(&threads),
        EL_OPTS_END,
    };
    const char *model;
    int code;
    if (!el_parse_args(cli, usage, summary, opts, 1, argc, argv, &model, &code))
        return code;
    if (!text)
        return el_usage_error(cli, usage, "missing -f CALIB.txt");
    if (!out)
        return el_usage_error(cli, usage, "missing -o IMATRIX.gguf");
    const el_range ranges[] = {{&n_ctx, 8, INT_MAX}, {&chunks, 0, INT_MAX}, EL_RANGE_THREADS(&threads), {NULL, 0, 0}};
    if (!el_check_ranges(cli, usage, opts, ranges, &code))
        return code;
    el_imatrix_opts o = {model, text, n_ctx, chunks, threads, &cli->progress};
    el_imatrix m;
    el_imatrix_result r;
    el_error err;
    el_error_clear(&err);
    int rc = el_imatrix_collect(&o, &m, &r, &err);
    if (!rc)
        rc = el_imatrix_save(&m, out, &err);
    if (rc) {
        el_imatrix_free(&m);
        return el_cli_fail(cli, &err);
    }
    const int entries = m.n;
    el_imatrix_free(&m);
    if (cli->json)
        return el_cli_json(cli, json_pack("{s:s, s:i, s:i, s:I, s:i, s:f}", "output", out, "entries", entries, "chunks", r.chunks,
                                          "tokens", (json_int_t)r.tokens, "n_ctx", n_ctx, "seconds", r.seconds));
    if (cli->verbosity >= 0)
        printf("%s: %d matrices, %d chunks of %d tokens (%llu tokens), %.2f s\n", out, entries, r.chunks, n_ctx,
               (unsigned long long)r.tokens, r.seconds);
    return EL_EXIT_OK;
}
