/*
 * tests/test_gptq.c - second moments (quant/hessian.c), GPTQ (quant/gptq.c) and block grids (quant/grid.c).
 *
 *  - X^T X as accumulated equals numpy's (tests/oracle/gptq_ref.py xtx) and is the same for 1, 2 and 3
 *    threads, bit for bit;
 *  - the factor U equals numpy's cholesky(inv(H + lambda I)).T (gptq_ref.py factor);
 *  - a row quantized GPTQ's way on Q8_0's grid equals gptq_ref.py q8 (the paper's algorithm in numpy,
 *    given our U) bit for bit;
 *  - every type with a grid: an encoded block's grid holds its decoded values, and writing back its own
 *    levels gives the same bytes;
 *  - on correlated inputs, GPTQ's output error is below the plain search's for every type
 *    el_quantize_row_best writes;
 *  - `imatrix --hessian` and `quantize --gptq` on synth's tiny model: the same bytes for 1 and 2 threads,
 *    q/k/v sharing one input, a report with the output errors; bad hessian files fail in one line
 *    naming the file, writing nothing.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/ggml_type.h"
#include "formats/gguf.h"
#include "quant/gptq.h"
#include "quant/grid.h"
#include "quant/hessian.h"
#include "quant/quant.h"
#include "quant/search.h"
#include "tests/qrows.h"
#include "tests/testutil.h"

static qrng rng = {0x2545F4914F6CDD1Dull};

/* T rows of n correlated inputs: x_t = A g_t with A lower-triangular of decaying entries, plus a few
 * loud columns, as the inputs after a norm look */
static void correlated(float *x, int T, int n)
{
    float *g = malloc((size_t)n * sizeof *g);
    cr_assert_not_null(g);
    for (int t = 0; t < T; t++) {
        for (int j = 0; j < n; j++)
            g[j] = qr_gauss(&rng);
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int k = 0; k <= j && k < j + 8; k++)
                s += g[k] * (k == j ? 1.0 : 0.6 / (1 + j - k));
            for (int k = j > 8 ? j - 8 : 0; k < j; k++)
                s += 0.5 * g[k];
            x[(size_t)t * (size_t)n + (size_t)j] = (float)(s * (j % 17 == 0 ? 4 : 1));
        }
    }
    free(g);
}

/* the mean X^T X of T rows (full square), by el_xtx_accumulate */
static float *moment(const float *x, int T, int n, int nth)
{
    float *h = calloc((size_t)n * (size_t)n, sizeof *h);
    cr_assert_not_null(h);
    for (int ith = 0; ith < nth; ith++)
        el_xtx_accumulate(h, n, x, n, T, ith, nth);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            if (j < i)
                h[(size_t)i * n + j] = h[(size_t)j * n + i];
    return h;
}

/* the baseline build of the kernel (quant/xtx.c), for comparing with the one this CPU runs */
void el_xtx_accumulate_base(float *sum, int64_t n, const float *x, int ldx, int T, int ith, int nth);

static float *oracle(const char *const *argv, const char *out, size_t n_floats)
{
    tu_run r = tu_exec(argv, NULL, NULL);
    cr_assert_eq(r.status, 0, "oracle: %s", r.err);
    tu_run_free(&r);
    size_t len;
    float *v = (float *)(void *)tu_read(out, &len);
    cr_assert(v && len == 4 * n_floats, "the oracle wrote %zu bytes, expected %zu", len, 4 * n_floats);
    return v;
}

Test(gptq, xtx_equals_numpy_and_any_thread_split)
{
    enum { T = 37, N = 75 }; /* neither a multiple of the 8 x 32 tiles */
    static float x[T * N];
    correlated(x, T, N);
    float *h1 = moment(x, T, N, 1), *h2 = moment(x, T, N, 2), *h3 = moment(x, T, N, 3);
    cr_assert(memcmp(h1, h2, sizeof(float) * N * N) == 0 && memcmp(h1, h3, sizeof(float) * N * N) == 0,
              "the sums differ between thread splits");
    float *hb = calloc(N * N, sizeof *hb);
    cr_assert_not_null(hb);
    el_xtx_accumulate_base(hb, N, x, N, T, 0, 1);
    for (int i = 0; i < N; i++)
        for (int j = i; j < N; j++)
            cr_assert(hb[i * N + j] == h1[i * N + j], "[%d][%d]: baseline build %.9g, this CPU's %.9g", i, j, hb[i * N + j], h1[i * N + j]);
    free(hb);
    if (!tu_have_numpy())
        cr_skip_test("/usr/bin/python3 with numpy (python3-numpy) is needed for the oracle");
    char *dir = tu_tmpdir("xtx"), *xf = tu_fmt("%s/x.f32", dir), *of = tu_fmt("%s/o.f32", dir);
    cr_assert(tu_write(xf, x, sizeof x));
    float *ref = oracle((const char *const[]){"/usr/bin/python3", "tests/oracle/gptq_ref.py", "xtx", "75", xf, of, NULL}, of, N * N);
    for (int i = 0; i < N * N; i++)
        cr_assert(fabsf(h1[i] - ref[i]) <= 2e-5f * (fabsf(ref[i]) + 1), "[%d][%d]: %.8g, numpy %.8g", i / N, i % N, h1[i], ref[i]);
    free(ref);
    free(h1), free(h2), free(h3);
    tu_rmtree(dir);
    free(dir), free(xf), free(of);
}

/* H of n correlated inputs (mean over T rows), its factor */
static float *some_h(int T, int n)
{
    float *x = malloc((size_t)T * (size_t)n * sizeof *x);
    cr_assert_not_null(x);
    correlated(x, T, n);
    float *h = moment(x, T, n, 1);
    for (int i = 0; i < n * n; i++)
        h[i] /= (float)T;
    free(x);
    return h;
}

Test(gptq, factor_equals_numpy)
{
    enum { N = 96 };
    float *h = some_h(300, N);
    el_gptq f1, f2;
    el_error e;
    cr_assert_eq(el_gptq_factor(&f1, h, N, 0.01, 1, &e), 0, "%s", e.msg);
    cr_assert_eq(el_gptq_factor(&f2, h, N, 0.01, 2, &e), 0, "%s", e.msg);
    cr_assert(memcmp(f1.u, f2.u, sizeof(float) * N * N) == 0, "the factor differs between 1 and 2 threads");
    if (!tu_have_numpy())
        cr_skip_test("/usr/bin/python3 with numpy (python3-numpy) is needed for the oracle");
    char *dir = tu_tmpdir("fac"), *hf = tu_fmt("%s/h.f32", dir), *of = tu_fmt("%s/u.f32", dir);
    cr_assert(tu_write(hf, h, sizeof(float) * N * N));
    float *ref = oracle((const char *const[]){"/usr/bin/python3", "tests/oracle/gptq_ref.py", "factor", "96", "0.01", hf, of, NULL}, of,
                        N * N);
    double umax = 0;
    for (int i = 0; i < N * N; i++)
        umax = fmax(umax, fabs(ref[i]));
    for (int i = 0; i < N * N; i++)
        cr_assert(fabsf(f1.u[i] - ref[i]) <= 1e-5 * umax, "U[%d][%d]: %.8g, numpy %.8g", i / N, i % N, f1.u[i], ref[i]);
    el_gptq_free(&f1);
    el_gptq_free(&f2);
    free(ref);
    free(h);
    tu_rmtree(dir);
    free(dir), free(hf), free(of);
}

/* Q8_0's reference quantizer as a block function */
static void q8_ref(const void *ud, const float *x, void *y, int bs, const float *w, float *deq)
{
    (void)ud, (void)w;
    el_qtraits_get(EL_TYPE_Q8_0)->from_float_ref(x, y, bs);
    el_dequantize_row(EL_TYPE_Q8_0, y, deq, bs);
}

Test(gptq, q8_row_equals_the_numpy_algorithm)
{
    if (!tu_have_numpy())
        cr_skip_test("/usr/bin/python3 with numpy (python3-numpy) is needed for the oracle");
    enum { N = 128, R = 6 };
    float *h = some_h(400, N);
    el_gptq f;
    el_error e;
    cr_assert_eq(el_gptq_factor(&f, h, N, 0.01, 2, &e), 0, "%s", e.msg);
    static float x[R * N], ours[R * N], work[N];
    static uint8_t blk[N / 32 * 34];
    for (int i = 0; i < R * N; i++)
        x[i] = qr_gauss(&rng) * (i % 29 == 0 ? 5.0f : 1.0f);
    const el_gptq_quant q = {q8_ref, NULL, EL_TYPE_Q8_0, 32, 34};
    for (int r = 0; r < R; r++) {
        double sse, mx;
        el_gptq_row(&f, &q, NULL, x + r * N, blk, work, &sse, &mx);
        el_dequantize_row(EL_TYPE_Q8_0, blk, ours + r * N, N);
    }
    char *dir = tu_tmpdir("q8"), *uf = tu_fmt("%s/u.f32", dir), *xf = tu_fmt("%s/x.f32", dir), *of = tu_fmt("%s/o.f32", dir);
    cr_assert(tu_write(uf, f.u, sizeof(float) * N * N));
    cr_assert(tu_write(xf, x, sizeof x));
    float *ref = oracle((const char *const[]){"/usr/bin/python3", "tests/oracle/gptq_ref.py", "q8", "128", uf, xf, of, NULL}, of,
                        R * N);
    for (int i = 0; i < R * N; i++)
        cr_assert(ours[i] == ref[i], "row %d column %d: %.9g, numpy %.9g", i / N, i % N, ours[i], ref[i]);
    free(ref);
    el_gptq_free(&f);
    free(h);
    tu_rmtree(dir);
    free(dir), free(uf), free(xf), free(of);
}

static const uint32_t grid_types[] = {EL_TYPE_Q4_0, EL_TYPE_Q4_1, EL_TYPE_Q5_0, EL_TYPE_Q5_1, EL_TYPE_Q8_0, EL_TYPE_Q2_K,
                                      EL_TYPE_Q3_K, EL_TYPE_Q4_K, EL_TYPE_Q5_K, EL_TYPE_Q6_K, EL_TYPE_IQ4_NL, EL_TYPE_IQ4_XS};

Test(gptq, grids_hold_the_decoded_values)
{
    static float x[QK_K], deq[QK_K];
    static uint8_t y[512], y2[512];
    int q[QK_K];
    for (size_t t = 0; t < sizeof grid_types / sizeof grid_types[0]; t++) {
        const uint32_t ty = grid_types[t];
        const int bs = (int)el_type_get(ty)->block_size;
        const size_t bb = el_type_get(ty)->type_size;
        cr_assert(el_qgrid_has(ty));
        for (int kind = 0; kind < 4; kind++) {
            qr_fill(&rng, x, bs, kind);
            cr_assert(el_quantize_row_best(ty, x, y, bs, NULL, deq));
            el_qgrid g;
            el_qgrid_of(ty, y, &g);
            for (int i = 0; i < bs; i++) {
                float d;
                q[i] = el_qgrid_nearest(&g, i, deq[i], &d);
                cr_assert(fabsf(d - deq[i]) <= 1e-6f * (fabsf(deq[i]) + 1e-6f), "%s kind %d element %d: grid %.9g, decoded %.9g",
                          el_type_name(ty), kind, i, d, deq[i]);
            }
            memcpy(y2, y, bb);
            el_qgrid_set(ty, y2, q);
            float back[QK_K];
            el_dequantize_row(ty, y2, back, bs);
            for (int i = 0; i < bs; i++)
                cr_assert(back[i] == deq[i], "%s kind %d element %d: levels written back decode to %.9g, not %.9g", el_type_name(ty),
                          kind, i, back[i], deq[i]);
        }
    }
}

/* the searching quantizer as a block function (ud: the type) */
static void search_block(const void *ud, const float *x, void *y, int bs, const float *w, float *deq)
{
    cr_assert(el_quantize_row_best(*(const uint32_t *)ud, x, y, bs, w, deq));
}

Test(gptq, lowers_the_output_error_for_every_type)
{
    enum { N = 512, R = 8 };
    float *h = some_h(2000, N);
    el_gptq f;
    el_error e;
    cr_assert_eq(el_gptq_factor(&f, h, N, 0.01, 2, &e), 0, "%s", e.msg);
    static float x[N], deq[N], work[N], imp[N], diag[N];
    static uint8_t y[N / 32 * 64];
    for (int i = 0; i < N; i++)
        diag[i] = h[(size_t)i * N + i];
    static const uint32_t types[] = {EL_TYPE_Q4_0, EL_TYPE_Q4_1, EL_TYPE_Q5_0, EL_TYPE_Q5_1, EL_TYPE_Q8_0, EL_TYPE_Q2_K, EL_TYPE_Q3_K,
                                     EL_TYPE_Q4_K, EL_TYPE_Q5_K, EL_TYPE_Q6_K, EL_TYPE_IQ4_NL, EL_TYPE_IQ4_XS};
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        const uint32_t ty = types[t];
        {
            const el_gptq_quant q = {search_block, &ty, ty, (int)el_type_get(ty)->block_size, el_type_get(ty)->type_size};
            double plain = 0, gptq = 0, f3[3];
            for (int r = 0; r < R; r++) {
                qr_fill(&rng, x, N, r % 2);
                cr_assert(el_quantize_row_best(ty, x, y, N, diag, deq));
                for (int i = 0; i < N; i++)
                    deq[i] = x[i] - deq[i];
                el_gptq_forms(h, N, deq, NULL, NULL, f3);
                plain += f3[0];
                el_gptq_col_importance(&f, imp);
                double sse, mx;
                el_gptq_row(&f, &q, imp, x, y, work, &sse, &mx);
                el_gptq_forms(h, N, work, NULL, NULL, f3);
                gptq += f3[0];
            }
            cr_expect(gptq < 0.7 * plain, "%s: output error %.4g with GPTQ, %.4g without", el_type_name(ty), gptq, plain);
            cr_log_info("%s: output error %.4g -> %.4g (x %.3f)", el_type_name(ty), plain, gptq, gptq / plain);
        }
    }
    el_gptq_free(&f);
    free(h);
}

/* a hessian file by hand: one input `name` of n x n values v (NULL: identity), used by matrices m[0..nm) */
static void write_hessian(const char *path, const char *name, int64_t n, const float *v, const char *const *m, int nm,
                          const char *type)
{
    gguf_writer *w;
    el_error e;
    cr_assert_eq(gguf_writer_open(&w, path, &e), 0, "%s", e.msg);
    cr_assert_eq(gguf_add_str(w, "general.type", type, &e), 0);
    const char *ins[8];
    for (int i = 0; i < nm; i++)
        ins[i] = name;
    cr_assert_eq(gguf_add_str_arr(w, "hessian.matrices", m, (uint64_t)nm, &e), 0);
    cr_assert_eq(gguf_add_str_arr(w, "hessian.inputs", ins, (uint64_t)nm, &e), 0);
    char t[128];
    const int64_t ne[2] = {n, n}, one[2] = {1, 1};
    snprintf(t, sizeof t, "%s.xtx", name);
    cr_assert_eq(gguf_add_tensor(w, t, EL_TYPE_F32, 2, ne, &e), 0);
    snprintf(t, sizeof t, "%s.counts", name);
    cr_assert_eq(gguf_add_tensor(w, t, EL_TYPE_F32, 2, one, &e), 0);
    cr_assert_eq(gguf_writer_begin_data(w, &e), 0);
    for (int64_t i = 0; i < n * n; i++) {
        const float x = v ? v[i] : (i % (n + 1) == 0 ? 1.0f : 0.0f);
        cr_assert_eq(gguf_writer_write(w, &x, 4, &e), 0);
    }
    const float c = 100;
    cr_assert_eq(gguf_writer_write(w, &c, 4, &e), 0);
    cr_assert_eq(gguf_writer_finish(w, &e), 0, "%s", e.msg);
}

Test(gptq, cli_same_bytes_for_any_threads_and_bad_files_fail_cleanly, .timeout = 240)
{
    char *dir = tu_tmpdir("gptqcli");
    char *hf = tu_fmt("%s/hf", dir), *m = tu_fmt("%s/m.gguf", dir), *txt = tu_fmt("%s/calib.txt", dir);
    char *h1 = tu_fmt("%s/h1.gguf", dir), *h2 = tu_fmt("%s/h2.gguf", dir), *im = tu_fmt("%s/im.gguf", dir);
    char *q1 = tu_fmt("%s/q1.gguf", dir), *q2 = tu_fmt("%s/q2.gguf", dir), *bad = tu_fmt("%s/bad.gguf", dir);
    char *out = tu_fmt("%s/out.gguf", dir);
    tu_ok("synth", "--preset", "tiny", "-o", hf, "-q", NULL);
    tu_ok("convert", hf, "-o", m, "--outtype", "f32", "-q", NULL);
    size_t n;
    uint8_t *doc = tu_read("docs/quantize.md", &n);
    cr_assert(doc && tu_write(txt, doc, n));
    free(doc);
    tu_ok("imatrix", "-q", m, "-f", txt, "--hessian", h1, "-o", im, "-c", "64", "--chunks", "6", "-t", "1", NULL);
    tu_ok("imatrix", "-q", m, "-f", txt, "--hessian", h2, "-c", "64", "--chunks", "6", "-t", "2", NULL);
    cr_assert(tu_files_equal(h1, h2), "imatrix --hessian wrote other bytes with 2 threads");
    el_hessian h;
    el_error e;
    cr_assert_eq(el_hessian_load(&h, h1, &e), 0, "%s", e.msg);
    const el_hessian_input *iq = el_hessian_find(&h, "blk.0.attn_q.weight"), *iv = el_hessian_find(&h, "blk.0.attn_v.weight"),
                           *io = el_hessian_find(&h, "blk.0.attn_output.weight"), *ig = el_hessian_find(&h, "blk.0.ffn_gate.weight"),
                           *iu = el_hessian_find(&h, "blk.0.ffn_up.weight");
    cr_assert(iq && iq == iv && io && io != iq && ig && ig == iu && ig != iq, "q/k/v and gate/up share their inputs, o does not");
    cr_assert_eq(iq->count, 6 * 64);
    /* its diagonal is the imatrix */
    el_imatrix a, b;
    cr_assert_eq(el_imatrix_load(&a, im, &e), 0, "%s", e.msg);
    cr_assert_eq(el_hessian_to_imatrix(&h, &b, &e), 0, "%s", e.msg);
    const el_imatrix_entry *ea = el_imatrix_find(&a, "blk.0.ffn_down.weight"), *eb = el_imatrix_find(&b, "blk.0.ffn_down.weight");
    cr_assert(ea && eb && ea->n == eb->n);
    for (int64_t j = 0; j < ea->n; j++)
        cr_assert_float_eq(ea->mean[j], eb->mean[j], 1e-5f * (ea->mean[j] + 1e-6f), "column %lld", (long long)j);
    el_imatrix_free(&a);
    el_imatrix_free(&b);
    el_hessian_free(&h);

    json_t *j1 = tu_edgelm_json(0, "quantize", m, q1, "q4_k_m", "--gptq", h1, "-t", "1", "--json", NULL);
    tu_ok("quantize", "-q", m, q2, "q4_k_m", "--gptq", h1, "-t", "2", NULL);
    cr_assert(tu_files_equal(q1, q2), "quantize --gptq wrote other bytes with 2 threads");
    /* the report: every matrix but token_embd compensated, each with a lower output error */
    json_t *ts = json_object_get(j1, "tensor_report");
    int n_gptq = 0;
    for (size_t i = 0; i < json_array_size(ts); i++) {
        json_t *t = json_array_get(ts, i);
        if (!json_is_true(json_object_get(t, "gptq")))
            continue;
        n_gptq++;
        const double before = tu_jnum(t, "output_error_plain"), after = tu_jnum(t, "output_error");
        cr_expect(after < before, "%s: output error %g with GPTQ, %g without", json_string_value(json_object_get(t, "name")), after,
                  before);
    }
    cr_assert_geq(n_gptq, 7, "%d matrices compensated", n_gptq);
    json_decref(j1);

    /* bad files: one line naming the file, exit 1, nothing written */
    const char *qkv[] = {"blk.0.attn_q.weight", "blk.0.attn_k.weight"};
    struct {
        const char *type;
        int64_t n;
        bool nan, negative;
        const char *what;
    } cases[] = {
        {"imatrix", 8, false, false, "not a hessian file"},
        {"hessian", 8, false, false, "has 8 values"},
        {"hessian", 8, true, false, "finite"},
        {"hessian", 8, false, true, "diagonal"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        float v[64];
        for (int i = 0; i < 64; i++)
            v[i] = i % 9 == 0 ? 1.0f : 0.0f;
        if (cases[c].nan)
            v[10] = NAN;
        if (cases[c].negative)
            v[18] = -1;
        write_hessian(bad, "blk.0.attn_q.weight", cases[c].n, v, qkv, 2, cases[c].type);
        tu_run r = tu_edgelm("quantize", m, out, "q4_0", "--gptq", bad, NULL);
        tu_assert_cli_error(&r, bad, cases[c].what);
        cr_assert(strstr(r.err, cases[c].what), "case %zu: %s", c, r.err);
        cr_assert(!tu_read(out, &n), "case %zu left %s", c, out);
        tu_run_free(&r);
    }
    /* cut short */
    size_t len;
    uint8_t *bytes = tu_read(h1, &len);
    cr_assert(bytes && tu_write(bad, bytes, len / 2));
    free(bytes);
    tu_run r = tu_edgelm("quantize", m, out, "q4_0", "--gptq", bad, NULL);
    tu_assert_cli_error(&r, bad, "truncated");
    cr_assert(!tu_read(out, &n), "a truncated file left %s", out);
    tu_run_free(&r);
    r = tu_edgelm("quantize", m, out, "q4_0", "--gptq", h1, "--gptq-damp", "0", NULL);
    cr_assert_eq(r.status, 2, "--gptq-damp 0: exit %d (%s)", r.status, r.err);
    tu_run_free(&r);
    tu_rmtree(dir);
    free(dir), free(hf), free(m), free(txt), free(h1), free(h2), free(im), free(q1), free(q2), free(bad), free(out);
}
