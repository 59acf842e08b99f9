/*
 * cmd/quantize.c - `edgelm quantize IN.gguf|MODEL_DIR OUT.gguf TYPE`.
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/file.h"
#include "core/util.h"
#include "formats/ggml_type.h"
#include "quant/imatrix.h"
#include "quant/quantize.h"
#include "quant/search.h"

static const char usage[] =
    "quantize IN.gguf|MODEL_DIR OUT.gguf TYPE [--imatrix FILE] [--gptq HESSIAN] [--gptq-damp F] [--pure]\n"
    "       [--output-type T] [--embd-type T] [--override 'REGEX=T' ...] [--strict] [--allow-requantize] [-t N] [--json]";
static const char summary[] =
    "Quantize a model to a llama.cpp type or mix. TYPE: Q8_0, Q6_K, Q5_K_M, Q5_K_S, Q5_1, Q5_0,\n"
    "Q4_K_M, Q4_K_S, Q4_1, Q4_0, IQ4_NL, IQ4_XS, Q3_K_L, Q3_K_M, Q3_K_S, Q2_K, Q2_K_S, F16, BF16, F32\n"
    "(any case).\n"
    "Mixes give some tensors more bits as llama-quantize does; --pure uses TYPE throughout.\n"
    "Each block's scales minimise the squared error (weighted by --imatrix, from `edgelm imatrix`\n"
    "or llama-imatrix). Rows that don't fit a type's blocks get the closest type that does (listed;\n"
    "--strict refuses). --gptq (a file from `edgelm imatrix --hessian`) feeds each block's rounding\n"
    "error forward to the columns not yet quantized (GPTQ), into the same standard types; its\n"
    "diagonal is the imatrix unless --imatrix is given. A Hugging Face folder is converted and\n"
    "quantized in one pass. Prints each tensor's type, RMSE, max error and bits per weight, and with\n"
    "--gptq the output error ||WX - QX||^2 / ||WX||^2 on the calibration inputs without and with it.";

/* After an unknown TYPE: every type and mix with the bits per weight of the type most of its matrices get. */
static void list_types(FILE *f)
{
    int n;
    const el_qmix *m = el_qmix_all(&n);
    fprintf(f, "types (bits per weight of the main type; mixes give some tensors more):\n");
    for (int i = 0; i < n; i++)
        fprintf(f, "  %-7s %5.2f  %s\n", m[i].name, el_type_bpw(m[i].base), m[i].about);
}

static int usage_with(const el_cli *cli, void (*hint)(FILE *), const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int usage_with(const el_cli *cli, void (*hint)(FILE *), const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const int rc = el_usage_verror(cli, NULL, hint, fmt, ap);
    va_end(ap);
    return rc;
}

/* The usage error of an unknown type name (of TYPE, --output-type, ...): the closest name, then the list. */
static int unknown_type(const el_cli *cli, const char *what, const char *tname)
{
    int n;
    const el_qmix *m = el_qmix_all(&n);
    const char *names[64];
    n = EL_MIN(n, 64);
    int k = 0; /* TYPE takes the mixes' names; --output-type and --embd-type the types they are made of */
    for (int i = 0; i < n; i++) {
        const char *name = what[0] == '-' ? el_type_name(m[i].base) : m[i].name;
        int j = 0;
        while (j < k && strcmp(names[j], name))
            j++;
        if (j == k)
            names[k++] = name;
    }
    const char *near = el_closest_name(tname, names, k);
    return usage_with(cli, list_types, "%s '%s' is not a type edgelm writes%s%s%s", what, tname, near ? " (did you mean " : "",
                      near ? near : "", near ? "?)" : "");
}

static int parse_type(const char *s, uint32_t *out)
{
    int t = el_type_from_name(s);
    if (t < 0 || !el_quant_can_write((uint32_t)t))
        return -1;
    *out = (uint32_t)t;
    return 0;
}

static json_t *tensor_json(const el_qtensor_report *t)
{
    json_t *ne = json_array();
    for (uint32_t d = 0; d < t->n_dims; d++)
        json_array_append_new(ne, json_integer(t->ne[d]));
    json_t *j = json_pack("{s:s, s:o, s:s, s:s, s:s, s:b, s:b, s:I, s:I, s:f, s:f, s:f}", "name", t->name, "shape", ne, "source_type",
                          el_type_name(t->src_type), "type", el_type_name(t->type), "wanted_type", el_type_name(t->wanted),
                          "quantized", t->quantized, "imatrix", t->imatrix, "n_elements", (json_int_t)t->n_elements, "bytes",
                          (json_int_t)t->bytes, "bpw", t->n_elements ? 8.0 * (double)t->bytes / (double)t->n_elements : 0.0,
                          "rmse", t->rmse, "max_abs_err", t->max_abs);
    if (j && t->out_energy > 0) /* relative output errors on the calibration inputs */
        json_object_update_new(j, json_pack("{s:b, s:f, s:f}", "gptq", t->gptq, "output_error_plain",
                                            t->out_err_plain / t->out_energy, "output_error", t->out_err / t->out_energy));
    return j;
}

/* everything after the options are parsed (the caller frees the --override list) */
static int quantize_parsed(el_cli *cli, const char *in, const char *out, const char *tname, const char *imatrix,
                           const char *hessian, double damp, const char *output_type, const char *embd_type, bool pure, bool strict, bool allow_rq,
                           el_strlist overrides, int threads)
{
    el_quantize_opts o = {.in_path = in, .out_path = out, .pure = pure, .output_type = -1, .embd_type = -1, .strict = strict,
                          .allow_requantize = allow_rq, .threads = threads, .progress = &cli->progress};
    o.mix = el_qmix_find(tname);
    if (!o.mix)
        return unknown_type(cli, "TYPE", tname);
    uint32_t t;
    if (output_type) {
        if (parse_type(output_type, &t))
            return unknown_type(cli, "--output-type", output_type);
        o.output_type = (int)t;
    }
    if (embd_type) {
        if (parse_type(embd_type, &t))
            return unknown_type(cli, "--embd-type", embd_type);
        o.embd_type = (int)t;
    }
    if (overrides.n > EL_QUANT_MAX_OVERRIDES)
        return el_usage_error(cli, usage, "at most %d --override", EL_QUANT_MAX_OVERRIDES);
    char *ov_copy[EL_QUANT_MAX_OVERRIDES] = {0};
    for (int i = 0; i < overrides.n; i++) {
        const char *eq = strrchr(overrides.v[i], '=');
        if (!eq || eq == overrides.v[i] || parse_type(eq + 1, &t)) {
            for (int k = 0; k < i; k++)
                free(ov_copy[k]);
            return el_usage_error(cli, usage, "--override '%s': expected REGEX=TYPE with a type edgelm writes", overrides.v[i]);
        }
        ov_copy[i] = strndup(overrides.v[i], (size_t)(eq - overrides.v[i]));
        o.override_re[i] = ov_copy[i];
        o.override_type[i] = t;
    }
    o.n_overrides = overrides.n;

    el_error err;
    el_error_clear(&err);
    el_imatrix im = {0};
    el_hessian hs = {0};
    int rc = EL_OK;
    double t0 = el_now();
    if (imatrix) {
        if ((rc = el_imatrix_load(&im, imatrix, &err)))
            goto done;
        o.imatrix = &im;
    }
    if (hessian) {
        if ((rc = el_hessian_load(&hs, hessian, &err)) || (!imatrix && (rc = el_hessian_to_imatrix(&hs, &im, &err))))
            goto done;
        o.imatrix = &im;
        o.hessian = &hs;
        o.gptq_damp = damp;
    }
    el_quantize_result r;
    /* a Hugging Face folder: converted and quantized in one pass */
    rc = el_path_is_dir(in) ? el_quantize_hf(&o, in, &r, &err) : el_quantize(&o, &r, &err);
    if (rc)
        goto done;
    const double secs = el_now() - t0;
    const double bpw = r.n_elements ? 8.0 * (double)r.bytes_out / (double)r.n_elements : 0;
    const double rmse = r.n_err_elements ? sqrt(r.sse / (double)r.n_err_elements) : 0;
    if (cli->json) {
        json_t *ts = json_array();
        for (uint64_t i = 0; i < r.n_tensors; i++)
            json_array_append_new(ts, tensor_json(&r.tensors[i]));
        json_t *j = json_pack("{s:s, s:s, s:s, s:b, s:b, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:f, s:o}", "input", in, "output", out,
                              "type", o.mix->name, "pure", pure, "imatrix", imatrix != NULL, "tensors", (json_int_t)r.n_tensors,
                              "quantized", (json_int_t)r.n_quantized, "fallbacks", (json_int_t)r.n_fallback, "bytes_in",
                              (json_int_t)r.bytes_in, "bytes_out", (json_int_t)r.bytes_out, "bpw", bpw, "rmse", rmse, "seconds",
                              secs, "tensor_report", ts);
        el_quantize_result_free(&r);
        rc = el_cli_json(cli, j);
        goto out;
    }
    if (cli->verbosity >= 0) {
        if (cli->verbosity > 0 || r.n_tensors <= 400) {
            printf("%-32s %-16s %-6s %-6s %7s %10s %10s%s\n", "tensor", "shape", "from", "type", "bpw", "rmse", "max err",
                   hessian ? "  output err plain -> gptq" : "");
            for (uint64_t i = 0; i < r.n_tensors; i++) {
                const el_qtensor_report *tr = &r.tensors[i];
                char shape[32];
                if (tr->n_dims >= 2)
                    snprintf(shape, sizeof shape, "%lld x %lld", (long long)tr->ne[0], (long long)tr->ne[1]);
                else
                    snprintf(shape, sizeof shape, "%lld", (long long)tr->ne[0]);
                printf("%-32s %-16s %-6s %-6s %7.3f", tr->name, shape, el_type_name(tr->src_type), el_type_name(tr->type),
                       tr->n_elements ? 8.0 * (double)tr->bytes / (double)tr->n_elements : 0.0);
                if (tr->quantized && tr->out_energy > 0)
                    printf(" %10.3e %10.3e  %10.3e -> %.3e%s", tr->rmse, tr->max_abs, tr->out_err_plain / tr->out_energy,
                           tr->out_err / tr->out_energy, tr->gptq ? "" : " (no gptq)");
                else if (tr->quantized)
                    printf(" %10.3e %10.3e%s", tr->rmse, tr->max_abs, tr->imatrix ? "  imatrix" : "");
                else
                    printf(" %10s %10s", "copied", "");
                if (tr->wanted != tr->type)
                    printf("  (fallback from %s: rows of %lld)", el_type_name(tr->wanted), (long long)tr->ne[0]);
                printf("\n");
            }
        }
        char b1[32], b2[32];
        printf("%s: %s%s, %llu tensors (%llu quantized, %llu fallbacks), %s -> %s, %.3f bits/weight, rmse %.3e, %.2f s\n", out,
               o.mix->name, pure ? " (pure)" : "", (unsigned long long)r.n_tensors, (unsigned long long)r.n_quantized,
               (unsigned long long)r.n_fallback, el_fmt_bytes(r.bytes_in, b1, sizeof b1), el_fmt_bytes(r.bytes_out, b2, sizeof b2),
               bpw, rmse, secs);
        if (r.n_fallback) {
            /* grouped: "150 q4_K -> q5_0"; the table above marks each tensor */
            printf("fallbacks (rows not a multiple of the block):");
            for (uint64_t i = 0; i < r.n_tensors; i++) {
                const el_qtensor_report *a = &r.tensors[i];
                bool first = a->wanted != a->type;
                for (uint64_t k = 0; k < i && first; k++)
                    first = !(r.tensors[k].wanted == a->wanted && r.tensors[k].type == a->type);
                if (!first)
                    continue;
                uint64_t n = 0;
                for (uint64_t k = i; k < r.n_tensors; k++)
                    n += r.tensors[k].wanted == a->wanted && r.tensors[k].type == a->type;
                printf(" %llu x %s -> %s", (unsigned long long)n, el_type_name(a->wanted), el_type_name(a->type));
            }
            printf("\n");
        }
    }
    el_quantize_result_free(&r);
done:
    if (rc)
        rc = el_cli_fail(cli, &err);
out:
    el_imatrix_free(&im);
    el_hessian_free(&hs);
    for (int i = 0; i < overrides.n; i++)
        free(ov_copy[i]);
    return rc;
}

int cmd_quantize(int argc, char **argv, el_cli *cli)
{
    const char *imatrix = NULL, *hessian = NULL, *output_type = NULL, *embd_type = NULL;
    double damp = 0.01;
    bool pure = false, strict = false, allow_rq = false;
    el_strlist overrides = {0};
    int threads = 0;
    const el_opt opts[] = {
        {0, "imatrix", EL_OPT_STR, &imatrix, "FILE", "importance matrix (edgelm imatrix .gguf, or llama-imatrix .dat)"},
        {0, "pure", EL_OPT_FLAG, &pure, NULL, "TYPE for every matrix (no mix)"},
        {0, "gptq", EL_OPT_STR, &hessian, "HESSIAN", "error-compensating quantization with `edgelm imatrix --hessian`'s file"},
        {0, "gptq-damp", EL_OPT_DOUBLE, &damp, "F", "GPTQ's damping, a fraction of the mean diagonal (default 0.01)"},
        {0, "output-type", EL_OPT_STR, &output_type, "T", "type of output.weight"},
        {0, "embd-type", EL_OPT_STR, &embd_type, "T", "type of token_embd.weight"},
        {0, "override", EL_OPT_LIST, &overrides, "REGEX=T", "type T for tensors whose name matches REGEX (first match wins)"},
        {0, "strict", EL_OPT_FLAG, &strict, NULL, "refuse tensors whose rows don't fit the type (no fallback)"},
        {0, "allow-requantize", EL_OPT_FLAG, &allow_rq, NULL, "allow an already quantized input"},
        EL_OPT_THREADS(&threads),
        EL_OPTS_END,
    };
    const char *args[3];
    int code;
    if (!el_parse_args(cli, usage, summary, opts, 3, argc, argv, args, &code)) {
        free(overrides.v);
        return code;
    }
    const el_range ranges[] = {EL_RANGE_THREADS(&threads), {NULL, 0, 0}};
    if (!el_check_ranges(cli, usage, opts, ranges, &code)) {
        free(overrides.v);
        return code;
    }
    if (!(damp > 0 && damp <= 1)) {
        free(overrides.v);
        return el_usage_error(cli, usage, "--gptq-damp %g: expected a number in (0, 1]", damp);
    }
    int rc = quantize_parsed(cli, args[0], args[1], args[2], imatrix, hessian, damp, output_type, embd_type, pure, strict, allow_rq, overrides,
                             threads);
    free(overrides.v);
    return rc;
}
