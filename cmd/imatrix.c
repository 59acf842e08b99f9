/*
 * cmd/imatrix.c - `edgelm imatrix MODEL.gguf -f CALIB.txt -o IMATRIX.gguf`.
 */
#include <limits.h>
#include <stdlib.h>

#include "cmd/cmd.h"
#include "eval/imatrix.h"

static const char usage[] =
    "imatrix MODEL.gguf -f CALIB.txt -o IMATRIX.gguf|IMATRIX.dat [--hessian HESSIAN.gguf] [-c 512] [--chunks N] [-t N] [--json]";
static const char summary[] =
    "Collect an importance matrix for `edgelm quantize --imatrix`: the model runs over the\n"
    "calibration text in chunks of -c tokens and, for every weight matrix, the squares of its\n"
    "input activations are summed per column. Written as GGUF (the layout newer llama.cpp uses),\n"
    "or as llama-imatrix's legacy .dat when the name ends in .dat (llama-quantize b4748 reads it).\n"
    "--hessian also writes each distinct input's full second moment X^T X (for `quantize --gptq`):\n"
    "4 n^2 bytes per input (q/k/v and gate/up share theirs), e.g. 398 MB for SmolLM2-135M.";

int cmd_imatrix(int argc, char **argv, el_cli *cli)
{
    const char *text = NULL, *out = NULL, *hout = NULL;
    int n_ctx = 512, chunks = 0, threads = 0;
    const el_opt opts[] = {
        {'f', "file", EL_OPT_STR, &text, "CALIB.txt", "calibration text"},
        {'o', "output", EL_OPT_STR, &out, "FILE", "output (.gguf, or .dat for llama.cpp's legacy format)"},
        {0, "hessian", EL_OPT_STR, &hout, "FILE", "also write the inputs' second moments (GGUF) for quantize --gptq"},
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
    if (!out && !hout)
        return el_usage_error(cli, usage, "missing -o IMATRIX.gguf (or --hessian HESSIAN.gguf)");
    const el_range ranges[] = {{&n_ctx, 8, INT_MAX}, {&chunks, 0, INT_MAX}, EL_RANGE_THREADS(&threads), {NULL, 0, 0}};
    if (!el_check_ranges(cli, usage, opts, ranges, &code))
        return code;
    el_imatrix_opts o = {model, text, n_ctx, chunks, threads, &cli->progress};
    el_imatrix m;
    el_hessian h = {0};
    el_imatrix_result r;
    el_error err;
    el_error_clear(&err);
    int rc = el_imatrix_collect(&o, &m, hout ? &h : NULL, &r, &err);
    if (!rc && out)
        rc = el_imatrix_save(&m, out, &err);
    if (!rc && hout)
        rc = el_hessian_save(&h, hout, &err);
    const int entries = m.n, inputs = h.n_in;
    el_imatrix_free(&m);
    el_hessian_free(&h);
    if (rc)
        return el_cli_fail(cli, &err);
    if (cli->json) {
        json_t *j = json_pack("{s:s?, s:i, s:i, s:I, s:i, s:f}", "output", out, "entries", entries, "chunks", r.chunks, "tokens",
                              (json_int_t)r.tokens, "n_ctx", n_ctx, "seconds", r.seconds);
        if (j && hout)
            json_object_update_new(j, json_pack("{s:s, s:i}", "hessian", hout, "hessian_inputs", inputs));
        return el_cli_json(cli, j);
    }
    if (cli->verbosity >= 0) {
        printf("%s: %d matrices, %d chunks of %d tokens (%llu tokens), %.2f s\n", out ? out : hout, entries, r.chunks, n_ctx,
               (unsigned long long)r.tokens, r.seconds);
        if (hout)
            printf("%s: second moments of %d distinct inputs\n", hout, inputs);
    }
    return EL_EXIT_OK;
}
