/*
 * cmd/run.c - `edgelm run MODEL.gguf -p PROMPT`: generate text.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/json.h"
#include "core/util.h"
#include "engine/context.h"
#include "engine/generate.h"
#include "engine/lm.h"

static const char usage[] =
    "run MODEL.gguf -p PROMPT [-n N] [--temp T] [--top-k K] [--top-p P] [--min-p P] [--repeat-penalty R]\n"
    "           [--seed S] [-c N_CTX] [-t N] [--special] [--kv-f32] [--min-confidence C] [--json]";
static const char summary[] =
    "Generate a continuation of PROMPT (BOS added as the model says) and print only the\n"
    "continuation on stdout. --temp 0 is greedy. The same --seed gives the same text on any\n"
    "machine and thread count. --json adds token ids, the probability of each chosen\n"
    "token, and timings (prefill and decode tokens/s, time to first token).\n"
    "The answer's confidence, over the generated tokens (the end-of-generation token not among them):\n"
    "the mean and the minimum of the chosen tokens' probabilities and their geometric mean\n"
    "(exp of the mean log-probability); with sampling, the probabilities of the distribution drawn\n"
    "from. --min-confidence C prints the answer and exits 4 when the geometric mean is below C (or\n"
    "nothing was generated), so that a script can do: edgelm run ... --min-confidence 0.7 || ask_cloud.\n"
    "JSON: text (U+FFFD where the bytes are not UTF-8: the exact bytes are the tokens), prompt_tokens,\n"
    "tokens, probs, stop, confidence {mean, min, geomean} (null when nothing was generated), confident\n"
    "(with --min-confidence), timings {n_prompt, n_gen, prefill_tps, decode_tps, ttft_ms}.";

/* The answer's confidence over n token probabilities; false when there are none. */
static bool confidence_of(const float *p, size_t n, double *mean, double *min, double *geo)
{
    double sum = 0, logs = 0;
    *min = 1;
    for (size_t i = 0; i < n; i++) {
        sum += p[i];
        logs += log(p[i] > 0 ? p[i] : 1e-300);
        *min = p[i] < *min ? p[i] : *min;
    }
    *mean = n ? sum / (double)n : 0;
    *geo = n ? exp(logs / (double)n) : 0;
    if (!n)
        *min = 0;
    return n > 0;
}

static int print_piece(void *arg, int token, const char *text, size_t len, float prob)
{
    (void)arg;
    (void)token;
    (void)prob;
    fwrite(text, 1, len, stdout);
    fflush(stdout);
    return 0;
}

int cmd_run(int argc, char **argv, el_cli *cli)
{
    const char *prompt = NULL, *kernels = NULL;
    int n_predict = 128, n_ctx = 0, threads = 0;
    double temp = 0.8, top_p = 0.95, min_p = 0.05, rep = 1.0, min_conf = NAN; /* NaN: not given (the parser takes no "nan") */
    int top_k = 40;
    uint64_t seed = 42;
    bool special = false, kv_f32 = false;
    const el_opt opts[] = {
        {'p', "prompt", EL_OPT_STR, &prompt, "TEXT", "the prompt"},
        {'n', "n-predict", EL_OPT_INT, &n_predict, "N", "tokens to generate at most (default 128)"},
        {0, "temp", EL_OPT_DOUBLE, &temp, "T", "temperature; 0 = greedy (default 0.8)"},
        {0, "top-k", EL_OPT_INT, &top_k, "K", "keep the K most likely tokens; 0 = off (default 40)"},
        {0, "top-p", EL_OPT_DOUBLE, &top_p, "P", "nucleus: smallest set with probability >= P (default 0.95)"},
        {0, "min-p", EL_OPT_DOUBLE, &min_p, "P", "drop tokens below P x the top probability (default 0.05)"},
        {0, "repeat-penalty", EL_OPT_DOUBLE, &rep, "R", "penalise the last 64 tokens (default 1.0 = off)"},
        {0, "seed", EL_OPT_U64, &seed, "S", "random seed (default 42)"},
        {'c', "ctx-size", EL_OPT_INT, &n_ctx, "N", "context positions (default: prompt + N, at most the model's)"},
        EL_OPT_THREADS(&threads),
        {0, "special", EL_OPT_FLAG, &special, NULL, "parse special-token texts in the prompt"},
        {0, "kv-f32", EL_OPT_FLAG, &kv_f32, NULL, "keep the KV cache in f32 (default f16)"},
        {0, "kernels", EL_OPT_STR, &kernels, "NAME", "ref, avx2, avx512, neon, neon_dotprod or neon_i8mm (default: the best this CPU runs)"},
        {0, "min-confidence", EL_OPT_DOUBLE, &min_conf, "C", "exit 4 when the answer's confidence (geometric mean) is below C"},
        EL_OPTS_END,
    };
    const char *path;
    int code;
    if (!el_parse_args(cli, usage, summary, opts, 1, argc, argv, &path, &code))
        return code;
    if (!prompt)
        return el_usage_error(cli, usage, "missing -p PROMPT");
    const el_range ranges[] = {{&n_predict, 0, INT_MAX}, {&temp, 0, 1e6}, {&top_k, 0, INT_MAX}, {&top_p, 0, 1},
                               {&min_p, 0, 1}, {&rep, 0, 1e6}, {&n_ctx, 0, INT_MAX}, EL_RANGE_THREADS(&threads),
                               {NULL, 0, 0}};
    if (!el_check_ranges(cli, usage, opts, ranges, &code))
        return code;
    if (!isnan(min_conf) && !(min_conf >= 0 && min_conf <= 1))
        return el_usage_error(cli, usage, "--min-confidence: %.10g is out of range (0..1)", min_conf);
    const el_kernels *k = NULL;
    if (kernels && !(k = el_kernels_by_name(kernels)))
        return el_usage_error(cli, usage, "--kernels '%s' is unknown or not supported by this CPU", kernels);
    el_error err;
    el_error_clear(&err);
    el_lm lm;
    el_context *ctx = NULL;
    el_gen_result r = {0};
    int rc = el_lm_open(&lm, path, &err);
    if (!rc) {
        el_context_params cp = el_context_default_params();
        cp.n_threads = threads;
        cp.kv_f32 = kv_f32;
        cp.kernels = k;
        /* a context just big enough: the prompt can't be longer than its bytes + BOS */
        int want = (int)EL_MIN((size_t)1 << 20, strlen(prompt) + 2) + n_predict + 1;
        const int train = lm.model->hp.n_ctx_train;
        cp.n_ctx = n_ctx > 0 ? n_ctx : EL_MIN(want, train > 0 ? train : want);
        rc = el_context_new(&ctx, lm.model, &cp, &err);
    }
    if (!rc) {
        el_gen_params gp = {prompt, strlen(prompt), n_predict, special, el_sampler_default_params()};
        gp.sampling.temp = (float)temp;
        gp.sampling.top_k = top_k;
        gp.sampling.top_p = (float)top_p;
        gp.sampling.min_p = (float)min_p;
        gp.sampling.repeat_penalty = (float)rep;
        gp.sampling.seed = seed;
        rc = el_generate(ctx, lm.tok, &gp, cli->json ? NULL : print_piece, NULL, &r, &err);
    }
    if (rc) {
        el_context_free(ctx);
        el_lm_close(&lm);
        el_gen_result_free(&r);
        return el_cli_fail(cli, &err);
    }
    int exit = EL_EXIT_OK;
    double c_mean, c_min, c_geo;
    const bool have_conf = confidence_of(r.probs, r.gen.n, &c_mean, &c_min, &c_geo);
    const bool unsure = !isnan(min_conf) && (!have_conf || c_geo < min_conf);
    double pp = r.t_prefill > 0 ? (double)r.prompt.n / r.t_prefill : 0;
    double tg = r.t_decode > 0 && r.gen.n > 1 ? (double)(r.gen.n - 1) / r.t_decode : 0;
    if (cli->json) {
        json_t *ids = json_array(), *probs = json_array(), *pids = json_array();
        for (size_t i = 0; i < r.gen.n; i++) {
            json_array_append_new(ids, json_integer(r.gen.ids[i]));
            json_array_append_new(probs, json_real(r.probs[i]));
        }
        for (size_t i = 0; i < r.prompt.n; i++)
            json_array_append_new(pids, json_integer(r.prompt.ids[i]));
        /* the text as valid UTF-8 (U+FFFD where the bytes are not); the exact bytes are in the ids */
        json_t *conf = have_conf ? json_pack("{s:f, s:f, s:f}", "mean", c_mean, "min", c_min, "geomean", c_geo)
                                 : json_pack("{s:n, s:n, s:n}", "mean", "min", "geomean");
        json_t *j = json_pack("{s:o, s:o, s:o, s:o, s:s, s:o, s:{s:I, s:I, s:f, s:f, s:f}}", "text", el_json_str(r.text, r.text_len),
                              "prompt_tokens", pids, "tokens", ids, "probs", probs, "stop", r.stop, "confidence", conf, "timings",
                              "n_prompt", (json_int_t)r.prompt.n, "n_gen", (json_int_t)r.gen.n, "prefill_tps", pp,
                              "decode_tps", tg, "ttft_ms", r.ttft * 1000.0);
        if (j && !isnan(min_conf) && json_object_set_new(j, "confident", json_boolean(!unsure))) {
            json_decref(j);
            j = NULL;
        }
        exit = el_cli_json(cli, j);
    } else {
        putchar('\n');
        if (cli->verbosity > 0)
            fprintf(stderr, "%s: %zu prompt tokens (%.1f t/s), %zu generated (%.1f t/s), first token after %.1f ms, stop: %s\n",
                    cli->prog, r.prompt.n, pp, r.gen.n, tg, r.ttft * 1000, r.stop);
    }
    if (exit == EL_EXIT_OK && unsure) {
        fflush(stdout); /* the answer first, then why it is not trusted */
        if (cli->verbosity >= 0) {
            if (have_conf)
                fprintf(stderr, "%s: confidence %.4f is below --min-confidence %.4f\n", cli->prog, c_geo, min_conf);
            else
                fprintf(stderr, "%s: nothing was generated, so no confidence: below --min-confidence %.4f\n", cli->prog,
                        min_conf);
        }
        exit = EL_EXIT_UNSURE;
    }
    el_gen_result_free(&r);
    el_context_free(ctx);
    el_lm_close(&lm);
    return exit;
}
