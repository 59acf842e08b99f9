/*
 * tests/test_engine.c - the forward pass against llama.cpp.
 *
 *  - stories260K (a real trained model) converted to F32 and F16: greedy
 *    continuation of "Once upon a time" equals llama.cpp's
 *    (shared/golden/stories260K/README.md);
 *  - each family (llama, llama with Llama 3 RoPE scaling, qwen2, qwen3, phi3
 *    with long-context RoPE and GQA, phi4mini (phi3 with 96 of 128 head dims rotated, 48 RoPE factor
 *    pairs and a tied output), gemma2 with soft-caps and a 5-token sliding
 *    window, gemma3 with QK-norm, five 5-token windowed layers to one global, local and
 *    global RoPE bases and linear scaling on the global layer) x each weight type (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1,
 *    Q4_K, Q5_K, Q6_K): last-position logits equal node-llama-cpp's on the same
 *    GGUF - F32/F16/BF16 within 1e-3 x max |logit|; quantized types with the same
 *    top token and KL divergence <= 1e-3;
 *  - a batch of several sequences gives exactly the logits of each alone.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/context.h"
#include "engine/model.h"
#include "formats/ggml_type.h"
#include "quant/quantize.h"
#include "tests/testutil.h"


/* Our logits after `ids` (a fresh context, F32 KV cache like the llama.cpp side). */
static float *our_logits(const char *gguf, const int32_t *ids, int n, int *n_vocab, const char *kernels)
{
    el_error e;
    el_error_clear(&e);
    el_model *m;
    cr_assert_eq(el_model_load(&m, gguf, &e), 0, "%s: %s", gguf, e.msg);
    el_context_params p = el_context_default_params();
    p.n_ctx = 64;
    p.kv_f32 = true;
    p.kernels = kernels ? el_kernels_by_name(kernels) : NULL;
    el_context *c;
    cr_assert_eq(el_context_new(&c, m, &p, &e), 0, "%s", e.msg);
    int32_t pos[64];
    for (int i = 0; i < n; i++)
        pos[i] = i;
    el_batch b = {n, ids, pos, NULL, NULL};
    cr_assert_eq(el_decode(c, &b, &e), 0, "%s", e.msg);
    *n_vocab = m->hp.n_vocab;
    float *out = malloc((size_t)*n_vocab * sizeof *out);
    memcpy(out, el_logits(c, 0), (size_t)*n_vocab * sizeof *out);
    el_context_free(c);
    el_model_free(m);
    return out;
}

/* llama.cpp's last-position logits for each of n_models files, from one node process (it starts once). */
static double **node_logits(char *const *ggufs, int n_models, const int32_t *ids, int n, int *n_vocab)
{
    json_t *arr = json_array(), *models = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(arr, json_integer(ids[i]));
    for (int i = 0; i < n_models; i++)
        json_array_append_new(models, json_string(ggufs[i]));
    json_t *req = json_pack("{s:o, s:o}", "models", models, "logits", arr);
    char *in = json_dumps(req, JSON_COMPACT);
    const char *argv[] = {"node", "tests/interop/llama_run.mjs", NULL};
    tu_run r = tu_exec(argv, in, NULL);
    cr_assert_eq(r.status, 0, "node-llama-cpp failed on %s...: %s", ggufs[0], r.err);
    json_t *j = json_loads(r.out, 0, NULL);
    const json_t *all = json_object_get(j, "models");
    cr_assert_eq((int)json_array_size(all), n_models, "node-llama-cpp answered for %zu of %d files", json_array_size(all), n_models);
    double **out = malloc((size_t)n_models * sizeof *out);
    cr_assert(out);
    for (int m = 0; m < n_models; m++) {
        const json_t *l = json_object_get(json_array_get(all, (size_t)m), "logits");
        n_vocab[m] = (int)json_array_size(l);
        out[m] = malloc((size_t)n_vocab[m] * sizeof **out);
        cr_assert(out[m]);
        for (int i = 0; i < n_vocab[m]; i++)
            out[m][i] = json_number_value(json_array_get(l, (size_t)i));
    }
    json_decref(j);
    json_decref(req);
    free(in);
    tu_run_free(&r);
    return out;
}

/* KL(p_ref || p_ours) of the softmaxes. */
static double kl(const double *ref, const float *ours, int n)
{
    double mr = -INFINITY, mo = -INFINITY, sr = 0, so = 0;
    for (int i = 0; i < n; i++) {
        mr = fmax(mr, ref[i]);
        mo = fmax(mo, ours[i]);
    }
    for (int i = 0; i < n; i++) {
        sr += exp(ref[i] - mr);
        so += exp(ours[i] - mo);
    }
    double k = 0;
    for (int i = 0; i < n; i++) {
        double lp = ref[i] - mr - log(sr), lq = ours[i] - mo - log(so);
        k += exp(lp) * (lp - lq);
    }
    return k;
}

static const int32_t prompt[] = {1, 37, 204, 9, 455, 77, 301, 12, 490, 66, 3, 250};
#define NPROMPT ((int)(sizeof prompt / sizeof prompt[0]))

static void family(const char *name)
{
    if (!tu_node_ready())
        cr_skip_test("node/npm not installed");
    char *dir = tu_tmpdir("engine");
    char *tok = tu_fmt("%s/tok", dir), *hf = tu_fmt("%s/hf", dir), *f32 = tu_fmt("%s/f32.gguf", dir);
    char *cfg = tu_fmt("tests/data/engine/%s.json", name);
    tu_ok("synth", "--preset", "tiny", "-o", tok, NULL); /* a small byte-level tokenizer for every family */
    tu_ok("synth", "--config", cfg, "--tokenizer", tok, "-o", hf, "--dtype", "f32", "--seed", "11", NULL);
    tu_ok("convert", hf, "-o", f32, "--outtype", "f32", NULL);
    static const uint32_t types[] = {EL_TYPE_F32, EL_TYPE_F16, EL_TYPE_BF16, EL_TYPE_Q8_0, EL_TYPE_Q4_0, EL_TYPE_Q4_1,
                                     EL_TYPE_Q5_0, EL_TYPE_Q5_1, EL_TYPE_Q2_K, EL_TYPE_Q3_K, EL_TYPE_Q4_K, EL_TYPE_Q5_K,
                                     EL_TYPE_Q6_K, EL_TYPE_IQ4_NL, EL_TYPE_IQ4_XS};
    enum { NT = sizeof types / sizeof types[0] };
    char *files[NT];
    for (size_t ti = 0; ti < NT; ti++) {
        char *g = files[ti] = tu_fmt("%s/q-%s.gguf", dir, el_type_name(types[ti])); /* not f32.gguf itself: the F32 row would replace its own input */
        el_error e;
        el_error_clear(&e);
        el_quantize_result qr;
        el_quantize_pure_opts qo = {f32, g, types[ti], true, 0};
        cr_assert_eq(el_quantize_pure(&qo, &qr, &e), 0, "%s: %s", g, e.msg);
        el_quantize_result_free(&qr);
    }
    int nvs[NT];
    double **refs = node_logits(files, NT, prompt, NPROMPT, nvs);
    for (size_t ti = 0; ti < NT; ti++) {
        char *g = files[ti];
        const int nv2 = nvs[ti];
        double *ref = refs[ti];
        /* every kernel table this build has and this CPU runs (ref, avx2, avx512; neon, neon_dotprod, neon_i8mm) */
        const char *const *tables = el_kernels_compiled();
        for (int ki = 0; tables[ki]; ki++) {
            if (!el_kernels_by_name(tables[ki]))
                continue;
            int nv1;
            float *ours = our_logits(g, prompt, NPROMPT, &nv1, tables[ki]);
            cr_assert_eq(nv1, nv2);
            double maxabs = 0, maxdiff = 0;
            int am = 0, bm = 0;
            for (int i = 0; i < nv1; i++) {
                maxabs = fmax(maxabs, fabs(ref[i]));
                maxdiff = fmax(maxdiff, fabs(ref[i] - ours[i]));
                if (ref[i] > ref[am])
                    am = i;
                if (ours[i] > ours[bm])
                    bm = i;
            }
            double k = kl(ref, ours, nv1);
            const char *tn = el_type_name(types[ti]);
            cr_log_info("%s %s %s: max|logit| %.3f, max diff %.3g, KL %.3g, top %d/%d", name, tn, tables[ki], maxabs, maxdiff, k, am, bm);
            cr_assert(maxabs > 0.5, "%s %s: logits too flat (%g)", name, tn, maxabs);
            if (types[ti] == EL_TYPE_F32) {
                cr_assert(maxdiff <= 1e-3 * maxabs, "%s %s %s: max diff %g > 1e-3 x %g", name, tn, tables[ki], maxdiff, maxabs);
            } else if (types[ti] == EL_TYPE_F16) {
                /*
                 * llama.cpp's CPU build picks a kernel variant from the CPU; its Sapphire Rapids one
                 * (AVX512-FP16, AMX) moves these F16 logits by up to 1.0e-3 x max|logit| from its
                 * AVX2/AVX-512 ones (measured on the llama3 model), so 1e-3 cannot hold against every
                 * build: 2e-3, the same top token and a KL bound 10x tighter than BF16's.
                 */
                cr_assert(maxdiff <= 2e-3 * maxabs, "%s %s %s: max diff %g > 2e-3 x %g", name, tn, tables[ki], maxdiff, maxabs);
                cr_assert_eq(am, bm, "%s %s %s: top token %d, llama.cpp %d", name, tn, tables[ki], bm, am);
                cr_assert(k <= 1e-5, "%s %s %s: KL divergence %g > 1e-5", name, tn, tables[ki], k);
            } else if (types[ti] == EL_TYPE_BF16) {
                /*
                 * bf16 activations keep 8 bits: a last-bit difference in any f32 sum upstream flips a
                 * rounding and moves the logits by ~2^-9 relative. llama.cpp itself disagrees by up to
                 * 2.9e-3 x max|logit| between its batched (tinyBLAS) and single-token (vec_dot) paths on
                 * these models (docs/engine.md), so 1e-3 cannot be met against both; we require 5e-3, the
                 * same top token and a KL divergence 10x tighter than the quantized types'.
                 */
                cr_assert(maxdiff <= 5e-3 * maxabs, "%s %s %s: max diff %g > 5e-3 x %g", name, tn, tables[ki], maxdiff, maxabs);
                cr_assert_eq(am, bm, "%s %s %s: top token %d, llama.cpp %d", name, tn, tables[ki], bm, am);
                cr_assert(k <= 1e-4, "%s %s %s: KL divergence %g > 1e-4", name, tn, tables[ki], k);
            } else {
                cr_assert_eq(am, bm, "%s %s %s: top token %d, llama.cpp %d", name, tn, tables[ki], bm, am);
                cr_assert(k <= 1e-3, "%s %s %s: KL divergence %g > 1e-3", name, tn, tables[ki], k);
            }
            free(ours);
        }
        free(ref);
        free(g);
    }
    free(refs);
    free(tok);
    free(hf);
    free(f32);
    free(cfg);
    tu_rmtree(dir);
    free(dir);
}

Test(engine, llama, .timeout = 900) { family("llama"); }
Test(engine, llama3_rope_scaling, .timeout = 900) { family("llama3"); }
Test(engine, qwen2, .timeout = 900) { family("qwen2"); }
Test(engine, qwen3, .timeout = 900) { family("qwen3"); }
Test(engine, phi3, .timeout = 900) { family("phi3"); }
/* Phi-4-mini's head: 128 wide, 96 dims rotated (partial_rotary_factor 0.75), 48 long/short factor pairs,
 * 3 query heads per kv head (24/8), the output tied to the embedding (no output.weight in the file) */
Test(engine, phi4mini, .timeout = 900) { family("phi4mini"); }
Test(engine, gemma2, .timeout = 900) { family("gemma2"); }
Test(engine, gemma3, .timeout = 900) { family("gemma3"); }

/* ---- stories260K ------------------------------------------------------------------------------ */

static void stories(const char *outtype)
{
    char *src = tu_shared_path("models/stories260K");
    char *readme = tu_shared_path("golden/stories260K/README.md");
    if (!src || !readme)
        cr_skip_test("../shared is absent");
    char *dir = tu_tmpdir("engine");
    char *g = tu_fmt("%s/s.gguf", dir);
    tu_ok("convert", src, "-o", g, "--outtype", outtype, NULL);
    size_t n;
    char *text = (char *)tu_read(readme, &n);
    char *q1 = strchr(strstr(text, "Greedy continuation"), '\n');
    q1 = strchr(q1, '"') + 1;
    char *q2 = strchr(q1, '"');
    *q2 = '\0';
    const char *const *tables = el_kernels_compiled();
    for (int ki = 0; tables[ki]; ki++) {
        if (!el_kernels_by_name(tables[ki]))
            continue;
        tu_run r = tu_edgelm("run", g, "-p", "Once upon a time", "-n", "40", "--temp", "0", "--kernels", tables[ki], NULL);
        cr_assert_eq(r.status, 0, "%s", r.err);
        char *got = tu_fmt("Once upon a time%.*s", (int)(r.out_len ? r.out_len - 1 : 0), r.out); /* drop the final newline */
        cr_assert_str_eq(got, q1, "%s, %s kernels: greedy text differs", outtype, tables[ki]);
        free(got);
        tu_run_free(&r);
    }
    free(text);
    free(g);
    free(src);
    free(readme);
    tu_rmtree(dir);
    free(dir);
}

Test(engine, stories260K_greedy_f32) { stories("f32"); }
Test(engine, stories260K_greedy_f16) { stories("f16"); }

/*
 * Several sequences in one batch: each row's logits equal the same sequence decoded alone -
 * bit for bit with the scalar kernels (same arithmetic for any batch), and within rounding with
 * the fastest table, where batches of 8 or more rows take the packed matrix kernels instead of
 * the row-by-row ones (a sequence leaking into another would move logits by far more).
 */
static void batch_vs_singles(const el_kernels *kern, double tol)
{
    char *src = tu_shared_path("models/stories260K");
    if (!src)
        cr_skip_test("../shared is absent");
    char *dir = tu_tmpdir("engine");
    char *g = tu_fmt("%s/s.gguf", dir);
    tu_ok("convert", src, "-o", g, "--outtype", "f32", NULL);
    el_error e;
    el_error_clear(&e);
    el_model *m;
    cr_assert_eq(el_model_load(&m, g, &e), 0);
    static const int32_t a[] = {1, 403, 407, 261, 378}, b2[] = {1, 376, 298, 315};
    int nv = m->hp.n_vocab;
    /* alone */
    float la[512], lb[512];
    for (int which = 0; which < 2; which++) {
        el_context *c;
        el_context_params p = el_context_default_params();
        p.n_ctx = 32;
        p.kernels = kern;
        cr_assert_eq(el_context_new(&c, m, &p, &e), 0);
        const int32_t *ids = which ? b2 : a;
        int n = which ? 4 : 5;
        int32_t pos[8] = {0, 1, 2, 3, 4};
        el_batch bt = {n, ids, pos, NULL, NULL};
        cr_assert_eq(el_decode(c, &bt, &e), 0, "%s", e.msg);
        memcpy(which ? lb : la, el_logits(c, 0), (size_t)nv * 4);
        el_context_free(c);
    }
    /* together, interleaved, logits for both last tokens */
    el_context *c;
    el_context_params p = el_context_default_params();
    p.n_ctx = 32;
    p.n_seq = 2;
    p.kernels = kern;
    cr_assert_eq(el_context_new(&c, m, &p, &e), 0);
    int32_t toks[9] = {a[0], b2[0], a[1], b2[1], a[2], b2[2], a[3], b2[3], a[4]};
    int32_t pos[9] = {0, 0, 1, 1, 2, 2, 3, 3, 4}, seq[9] = {0, 1, 0, 1, 0, 1, 0, 1, 0};
    int8_t want[9] = {0, 0, 0, 0, 0, 0, 0, 1, 1};
    el_batch bt = {9, toks, pos, seq, want};
    cr_assert_eq(el_decode(c, &bt, &e), 0, "%s", e.msg);
    cr_assert_eq(el_n_logits(c), 2);
    double mx = 0;
    for (int i = 0; i < nv; i++)
        mx = fmax(mx, fmax(fabs(la[i]), fabs(lb[i])));
    tol *= mx;
    for (int i = 0; i < nv; i++) {
        cr_assert(fabs(el_logits(c, 0)[i] - lb[i]) <= tol, "%s: sequence 1 differs in a batch: %g vs %g", kern->name,
                  el_logits(c, 0)[i], lb[i]);
        cr_assert(fabs(el_logits(c, 1)[i] - la[i]) <= tol, "%s: sequence 0 differs in a batch: %g vs %g", kern->name,
                  el_logits(c, 1)[i], la[i]);
    }
    /* a position that skips ahead is refused */
    int32_t bad_pos = 9, t0 = 5, s0 = 0;
    el_batch bad = {1, &t0, &bad_pos, &s0, NULL};
    el_error_clear(&e);
    cr_assert_neq(el_decode(c, &bad, &e), 0);
    el_context_free(c);
    el_model_free(m);
    free(g);
    free(src);
    tu_rmtree(dir);
    free(dir);
}

Test(engine, batch_of_sequences_equals_singles) { batch_vs_singles(el_kernels_ref(), 0.0); }
Test(engine, batch_of_sequences_fast_kernels) { batch_vs_singles(el_kernels_best(), 1e-4); }
