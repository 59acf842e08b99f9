/*
 * tests/test_kernels.c - every SIMD kernel against the scalar reference.
 *
 * For each table this CPU runs (avx2, avx512; neon on aarch64) and each weight type: rows of
 * awkward lengths (one block, odd block counts, the model widths) of weights
 * quantized from random floats of varied magnitude, against activations
 * quantized by the table's own quantizer.
 *  - activation quantizers: bit-identical to the scalar ones (Q8_0, Q8_1, Q8_K,
 *    F16), including all-zero blocks and ties for the largest magnitude;
 *  - dot products, and the decode kernels (gemv, with their own activation
 *    layouts) over several rows: |simd - ref| <= 1e-5 x sum |w_i a_i| (the integer part of
 *    every block is exact in both; only the order in which f32 block results
 *    are added differs, docs/engine.md). The reference itself must equal the
 *    float64 dot of the dequantized rows within the same bound, so a wrong
 *    block layout in both would still fail.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/half.h"
#include "engine/kernels/kernels.h"
#include "formats/ggml_type.h"
#include "quant/blocks.h"
#include "quant/quant.h"

static uint64_t rng = 88172645463325252ull;

static double urand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

/* Normal-ish values, each 32-block with its own magnitude (1e-3 .. 1e2), some blocks zero. */
static void fill(float *x, int64_t n)
{
    for (int64_t b = 0; b < n; b += 32) {
        const double u = urand();
        const double mag = u < 0.05 ? 0.0 : pow(10.0, -3.0 + 5.0 * urand());
        for (int64_t i = b; i < n && i < b + 32; i++)
            x[i] = (float)(mag * (urand() + urand() + urand() - 1.5));
    }
    if (n >= 64) { /* a tie for the largest magnitude, opposite signs */
        x[40] = 7.25f;
        x[50] = -7.25f;
    }
}

static const el_kernels *tables[5];
static int n_tables;

static void setup(void)
{
    n_tables = 0;
    if (el_kernels_avx2())
        tables[n_tables++] = el_kernels_avx2();
    if (el_kernels_avx512())
        tables[n_tables++] = el_kernels_avx512();
    if (el_kernels_neon())
        tables[n_tables++] = el_kernels_neon();
    if (el_kernels_neon_dotprod())
        tables[n_tables++] = el_kernels_neon_dotprod();
    if (el_kernels_neon_i8mm())
        tables[n_tables++] = el_kernels_neon_i8mm();
}

TestSuite(kernels, .init = setup);

static void check_type(uint32_t type, const int64_t *sizes, int n_sizes)
{
    if (n_tables == 0)
        cr_skip_test("no SIMD kernel table runs on this CPU");
    const el_qtraits *qt = el_qtraits_get(type);
    cr_assert(qt && qt->from_float_ref, "%s: no reference quantizer", el_type_name(type));
    const uint32_t vdt = qt->vec_dot_type;
    const el_kernels *ref = el_kernels_ref();
    for (int si = 0; si < n_sizes; si++) {
        const int64_t K = sizes[si];
        float *wf = malloc((size_t)K * 4), *af = malloc((size_t)K * 4), *wd = malloc((size_t)K * 4), *ad = malloc((size_t)K * 4);
        uint64_t wbytes = 0;
        cr_assert(el_type_row_bytes(type, (uint64_t)K, &wbytes));
        const size_t abytes = el_act_row_bytes(vdt, K);
        uint8_t *w = malloc(wbytes), *a_ref = malloc(abytes), *a_simd = malloc(abytes);
        uint8_t *rows = malloc(3 * (size_t)wbytes), *prep = aligned_alloc(64, (EL_PREP_BYTES(K) + 63) / 64 * 64);
        cr_assert(wf && af && wd && ad && w && a_ref && a_simd && rows && prep);
        for (int trial = 0; trial < 20; trial++) {
            fill(wf, K);
            fill(af, K);
            qt->from_float_ref(wf, w, K);
            for (int r3 = 0; r3 < 3; r3++)
                memcpy(rows + (size_t)r3 * (size_t)wbytes, w, (size_t)wbytes);
            ref->quant_act[vdt](af, a_ref, K);
            /* the exact dot of what the blocks hold */
            cr_assert(el_dequantize_row(type, w, wd, K));
            cr_assert(el_dequantize_row(vdt, a_ref, ad, K));
            double exact = 0, l1 = 0;
            for (int64_t i = 0; i < K; i++) {
                exact += (double)wd[i] * ad[i];
                l1 += fabs((double)wd[i] * ad[i]);
            }
            if (vdt == EL_TYPE_Q8_1) {
                /* Q4_1/Q5_1 add min x s per block, and s is d x sum(q) rounded to f16 (as ggml) */
                const block_q8_1 *ab = (const block_q8_1 *)a_ref;
                const size_t wb = (size_t)wbytes / (size_t)(K / 32);
                for (int64_t b = 0; b < K / 32; b++) {
                    uint16_t m;
                    memcpy(&m, w + (size_t)b * wb + 2, 2); /* block_q4_1 / block_q5_1: d, m, ... */
                    double sum = 0;
                    for (int l = 0; l < 32; l++)
                        sum += ad[32 * b + l];
                    exact += (double)el_f16_to_f32(m) * ((double)el_f16_to_f32(ab[b].s) - sum);
                }
            }
            const double tol = 1e-5 * l1 + 1e-30;
            const float r = ref->dot[type](K, w, a_ref);
            cr_assert(fabs(r - exact) <= tol, "%s K=%lld: ref %.9g, exact %.9g (tol %.3g)", el_type_name(type),
                      (long long)K, r, exact, tol);
            for (int ti = 0; ti < n_tables; ti++) {
                const el_kernels *k = tables[ti];
                k->quant_act[vdt](af, a_simd, K);
                cr_assert(memcmp(a_ref, a_simd, abytes) == 0, "%s: %s activation quantizer differs from the reference (K=%lld)",
                          k->name, el_type_name(vdt), (long long)K);
                const float s = k->dot[type](K, w, a_simd);
                cr_assert(fabs(s - r) <= tol, "%s %s K=%lld: %.9g, reference %.9g (tol %.3g)", k->name,
                          el_type_name(type), (long long)K, s, r, tol);
                /* the decode kernel over rows (this row and copies), through its own activation layout */
                const void *ga = a_simd;
                if (k->prep[type]) {
                    k->prep[type](K, a_simd, prep);
                    ga = prep;
                }
                float y[3] = {0};
                k->gemv[type](K, rows, (size_t)wbytes, 3, ga, y);
                for (int r3 = 0; r3 < 3; r3++)
                    cr_assert(fabs(y[r3] - r) <= tol, "%s %s gemv K=%lld row %d: %.9g, reference %.9g (tol %.3g)", k->name,
                              el_type_name(type), (long long)K, r3, y[r3], r, tol);
                /* the packed matrix kernels: the 3 rows (13 more left empty) against the activation
                 * repeated as 11 tokens (a full tile and a partial one) */
                const el_gemm *g = k->gemm;
                if (g && g->panel_bytes(type, K)) {
                    const size_t ab = g->act_bytes(type, K);
                    uint8_t *panel = aligned_alloc(64, (g->panel_bytes(type, K) + 63) / 64 * 64);
                    uint8_t *acts = aligned_alloc(64, 11 * ab);
                    float out[11 * 20];
                    cr_assert(panel && acts);
                    g->pack_w(type, K, rows, (size_t)wbytes, 3, panel);
                    for (int t = 0; t < 11; t++)
                        g->pack_a(type, K, a_simd, acts + (size_t)t * ab);
                    for (int i = 0; i < 11 * 20; i++)
                        out[i] = -12345.0f;
                    g->run(type, K, panel, 3, acts, ab, 11, out, 20);
                    for (int t = 0; t < 11; t++)
                        for (int r3 = 0; r3 < 20; r3++) {
                            const float v = out[t * 20 + r3];
                            if (r3 >= 3)
                                cr_assert(v == -12345.0f, "%s %s gemm wrote beyond its rows", k->name, el_type_name(type));
                            else
                                cr_assert(fabs(v - r) <= tol, "%s %s gemm K=%lld token %d row %d: %.9g, reference %.9g (tol %.3g)",
                                          k->name, el_type_name(type), (long long)K, t, r3, v, r, tol);
                        }
                    free(panel);
                    free(acts);
                }
            }
        }
        free(wf);
        free(af);
        free(wd);
        free(ad);
        free(w);
        free(a_ref);
        free(a_simd);
        free(rows);
        free(prep);
    }
}

static const int64_t float_sizes[] = {1, 3, 8, 15, 16, 17, 31, 33, 64, 100, 576, 1001};
static const int64_t block_sizes[] = {32, 64, 96, 288, 576, 1056};
static const int64_t k_sizes[] = {256, 512, 768, 1536, 2816};
#define N(a) ((int)(sizeof(a) / sizeof(a[0])))

Test(kernels, f32) { check_type(EL_TYPE_F32, float_sizes, N(float_sizes)); }
Test(kernels, f16) { check_type(EL_TYPE_F16, float_sizes, N(float_sizes)); }
Test(kernels, bf16) { check_type(EL_TYPE_BF16, float_sizes, N(float_sizes)); }
Test(kernels, q8_0) { check_type(EL_TYPE_Q8_0, block_sizes, N(block_sizes)); }
Test(kernels, q4_0) { check_type(EL_TYPE_Q4_0, block_sizes, N(block_sizes)); }
Test(kernels, q4_1) { check_type(EL_TYPE_Q4_1, block_sizes, N(block_sizes)); }
Test(kernels, q5_0) { check_type(EL_TYPE_Q5_0, block_sizes, N(block_sizes)); }
Test(kernels, q5_1) { check_type(EL_TYPE_Q5_1, block_sizes, N(block_sizes)); }
/* Q2_K and Q3_K: x86 has no SIMD dot for them (its table holds the scalar reference; the gemv over rows
 * is still the table's own), NEON has its own; either way the reference dot must equal the float64 dot
 * of the dequantized rows */
Test(kernels, q2_K) { check_type(EL_TYPE_Q2_K, k_sizes, N(k_sizes)); }
Test(kernels, q3_K) { check_type(EL_TYPE_Q3_K, k_sizes, N(k_sizes)); }
Test(kernels, q4_K) { check_type(EL_TYPE_Q4_K, k_sizes, N(k_sizes)); }
Test(kernels, q5_K) { check_type(EL_TYPE_Q5_K, k_sizes, N(k_sizes)); }
Test(kernels, q6_K) { check_type(EL_TYPE_Q6_K, k_sizes, N(k_sizes)); }
/* IQ4_NL x Q8_0, IQ4_XS x Q8_K: the table lookups (PSHUFB, TBL) and the packed matrix kernels */
Test(kernels, iq4_nl) { check_type(EL_TYPE_IQ4_NL, block_sizes, N(block_sizes)); }
Test(kernels, iq4_xs) { check_type(EL_TYPE_IQ4_XS, k_sizes, N(k_sizes)); }

/* The Q8_K quantizer maps the element of largest magnitude to -127 - the first of a tie. */
Test(kernels, q8_K_tie_goes_to_the_first)
{
    float x[256] = {0};
    x[3] = -2.0f;
    x[9] = 2.0f;
    uint8_t b[sizeof(float) + 256 + 32];
    const el_kernels *ks[] = {el_kernels_ref(),         el_kernels_avx2(),         el_kernels_avx512(),
                              el_kernels_neon(),        el_kernels_neon_dotprod(), el_kernels_neon_i8mm()};
    for (int i = 0; i < 6; i++) {
        if (!ks[i])
            continue;
        ks[i]->quant_act[EL_TYPE_Q8_K](x, b, 256);
        float d;
        memcpy(&d, b, 4);
        const int8_t *qs = (const int8_t *)(b + 4);
        cr_assert_eq(qs[3], -127, "%s", ks[i]->name);
        cr_assert_eq(qs[9], 127, "%s", ks[i]->name);
        cr_assert_float_eq(d, 2.0f / 127.0f, 1e-9, "%s: d %g", ks[i]->name, d);
    }
}

Test(kernels, axpy)
{
    if (n_tables == 0)
        cr_skip_test("no SIMD kernel table runs on this CPU");
    for (int64_t n = 1; n < 80; n += 7) {
        float x[80], y0[80], y1[80];
        uint16_t h[80];
        fill(x, n);
        for (int64_t i = 0; i < n; i++) {
            h[i] = el_f32_to_f16(x[i] * 1e-3f);
            y0[i] = (float)urand();
        }
        for (int ti = 0; ti < n_tables; ti++) {
            memcpy(y1, y0, sizeof y0);
            float yr[80];
            memcpy(yr, y0, sizeof y0);
            el_axpy_f32_ref(n, 0.37f, x, yr);
            tables[ti]->axpy_f32(n, 0.37f, x, y1);
            for (int64_t i = 0; i < n; i++)
                cr_assert_float_eq(y1[i], yr[i], 1e-6f * (fabsf(yr[i]) + 1), "%s axpy_f32", tables[ti]->name);
            memcpy(y1, y0, sizeof y0);
            memcpy(yr, y0, sizeof y0);
            el_axpy_f16_ref(n, -1.5f, h, yr);
            tables[ti]->axpy_f16(n, -1.5f, h, y1);
            for (int64_t i = 0; i < n; i++)
                cr_assert_float_eq(y1[i], yr[i], 1e-6f * (fabsf(yr[i]) + 1), "%s axpy_f16", tables[ti]->name);
        }
    }
}

/* Which tables this CPU runs, against what the caller says the CPU has: make check-neon runs qemu
 * with -cpu max (EL_EXPECT_TABLES="neon neon_dotprod neon_i8mm"), -cpu cortex-a76 ("neon
 * neon_dotprod": SDOT, no SMMLA) and -cpu cortex-a53 ("neon": neither). */
Test(kernels, tables_this_cpu_runs)
{
    const char *want = getenv("EL_EXPECT_TABLES");
    if (!want)
        cr_skip_test("EL_EXPECT_TABLES is not set");
    const el_kernels *ks[] = {el_kernels_avx2(), el_kernels_avx512(), el_kernels_neon(), el_kernels_neon_dotprod(),
                              el_kernels_neon_i8mm()};
    char got[128] = "";
    for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++)
        if (ks[i])
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", got[0] ? " " : "", ks[i]->name);
    cr_assert(strcmp(got, want) == 0, "this CPU runs \"%s\", expected \"%s\"", got, want);
    cr_assert(strcmp(el_kernels_best()->name, strrchr(want, ' ') ? strrchr(want, ' ') + 1 : want) == 0,
              "best is %s", el_kernels_best()->name);
}
