/*
 * tests/test_iq4.c - the IQ4_NL / IQ4_XS quantizers (quant/iq4.c).
 *
 *  - what edgelm decodes equals tests/oracle/iq4_dequant.py (numpy, from ggml's block layout) bit for
 *    bit, for rows with outliers, zeros and both signs, with and without importances; llama.cpp's own
 *    reading of such files is tests/test_engine.c's (its logits against ours);
 *  - the search is never worse than the plain scale (the largest weight onto level -127) in the
 *    weighted error, per block, and with importances it lowers the weighted error it is given.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/half.h"
#include "formats/ggml_type.h"
#include "quant/blocks.h"
#include "quant/iq4.h"
#include "quant/quant.h"
#include "quant/search.h"
#include "tests/testutil.h"

static uint64_t rng = 88172645463325252ull;
static double unif(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}
static float gauss(void) { return (float)(sqrt(-2 * log(unif() + 1e-300)) * cos(6.283185307179586 * unif())); }

/* a weight-like row: Gaussian, scaled per 32, with outliers, an all-zero group and a tiny one */
static void fill_row(float *x, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        x[i] = 0.02f * gauss() * (1.0f + (float)((i / 32) % 5));
    for (int64_t i = 0; i < n; i += 97)
        x[i] *= 12;
    for (int j = 0; j < 32 && n >= 96; j++) {
        x[32 + j] = 0;
        x[64 + j] = 1e-7f * gauss();
    }
}

Test(iq4, dequantize_equals_the_numpy_oracle)
{
    if (!tu_have_numpy())
        cr_skip_test("/usr/bin/python3 with numpy (python3-numpy) is needed for the oracle");
    char *dir = tu_tmpdir("iq4");
    static const uint32_t types[] = {EL_TYPE_IQ4_NL, EL_TYPE_IQ4_XS};
    enum { N = 4096 };
    static float x[N], w[N], deq[N], ours[N], theirs[N];
    static uint8_t q[N];
    for (size_t t = 0; t < 2; t++)
        for (int weighted = 0; weighted < 2; weighted++) {
            fill_row(x, N);
            for (int i = 0; i < N; i++)
                w[i] = (float)(unif() * unif() * 4);
            cr_assert(el_quantize_row_best(types[t], x, q, N, weighted ? w : NULL, deq));
            uint64_t bytes;
            cr_assert(el_type_row_bytes(types[t], N, &bytes));
            char *bin = tu_fmt("%s/b.bin", dir), *out = tu_fmt("%s/v.f32", dir);
            cr_assert(tu_write(bin, q, (size_t)bytes));
            tu_run r = tu_exec((const char *const[]){"/usr/bin/python3", "tests/oracle/iq4_dequant.py", el_type_name(types[t]),
                                                     bin, NULL},
                               NULL, out);
            cr_assert_eq(r.status, 0, "oracle: %s", r.err);
            tu_run_free(&r);
            size_t len;
            void *v = tu_read(out, &len);
            cr_assert_eq(len, sizeof theirs, "%s: the oracle decoded %zu bytes", el_type_name(types[t]), len);
            memcpy(theirs, v, len);
            free(v);
            cr_assert(el_dequantize_row(types[t], q, ours, N));
            for (int i = 0; i < N; i++) {
                cr_assert(ours[i] == theirs[i] || (ours[i] != ours[i] && theirs[i] != theirs[i]),
                          "%s element %d: %.9g, numpy %.9g", el_type_name(types[t]), i, ours[i], theirs[i]);
                cr_assert(deq[i] == ours[i], "%s element %d: the quantizer's decode %.9g, dequantize %.9g",
                          el_type_name(types[t]), i, deq[i], ours[i]);
            }
            for (int i = 32; i < 64; i++)
                cr_assert_eq(ours[i], 0.0f, "a zero group decodes to zeros");
            free(bin);
            free(out);
        }
    tu_rmtree(dir);
    free(dir);
}

/* the weighted error of a decoded block */
static double werr(const float *x, const float *w, const float *d, int n)
{
    double e = 0;
    for (int i = 0; i < n; i++)
        e += (w ? w[i] : 1.0) * (double)(x[i] - d[i]) * (x[i] - d[i]);
    return e;
}

/* IQ4_NL with the plain scale: the largest weight onto -127, each value to its nearest level */
static void plain_nl(const float *x, float *d)
{
    static const int8_t T[16] = EL_IQ4NL_VALUES;
    float xm = 0;
    for (int i = 0; i < 32; i++)
        if (fabsf(x[i]) > fabsf(xm))
            xm = x[i];
    const float s = el_f16_to_f32(el_f32_to_f16(xm / -127.0f));
    for (int i = 0; i < 32; i++) {
        int best = 0;
        for (int k = 1; k < 16; k++)
            if (fabsf(x[i] - s * T[k]) < fabsf(x[i] - s * T[best]))
                best = k;
        d[i] = s * T[best];
    }
}

Test(iq4, search_is_never_worse_than_the_plain_scale)
{
    enum { N = 256 * 64 };
    static float x[N], w[N], dq[N], dw[N], dp[32];
    fill_row(x, N);
    for (int i = 0; i < N; i++)
        w[i] = (float)(0.05 + unif() * unif() * 8);
    block_iq4_nl b;
    double searched = 0, plain = 0;
    for (int i = 0; i < N; i += 32) {
        el_iq4_nl_block(x + i, NULL, &b, dq + i);
        plain_nl(x + i, dp);
        const double es = werr(x + i, NULL, dq + i, 32), ep = werr(x + i, NULL, dp, 32);
        cr_assert(es <= ep * (1 + 1e-6) + 1e-30, "block %d: searched %.6g > plain %.6g", i / 32, es, ep);
        searched += es;
        plain += ep;
    }
    cr_log_info("IQ4_NL squared error: plain scale %.6g, searched %.6g (%.1f%% lower)", plain, searched,
                100 * (1 - searched / plain));
    cr_assert(searched < 0.97 * plain, "the search gains little: %.6g vs %.6g", searched, plain);
    /* importances: the weighted error with them is below the weighted error of the unweighted search */
    static const uint32_t types[] = {EL_TYPE_IQ4_NL, EL_TYPE_IQ4_XS};
    static uint8_t q[N];
    for (size_t t = 0; t < 2; t++) {
        cr_assert(el_quantize_row_best(types[t], x, q, N, NULL, dq));
        cr_assert(el_quantize_row_best(types[t], x, q, N, w, dw));
        const double eu = werr(x, w, dq, N), ew = werr(x, w, dw, N);
        cr_log_info("%s weighted error: unweighted search %.6g, weighted %.6g", el_type_name(types[t]), eu, ew);
        cr_assert(ew < 0.98 * eu, "%s: the importances gain little: %.6g vs %.6g", el_type_name(types[t]), ew, eu);
    }
}

/* Large, tiny and constant blocks: finite, and a constant block decodes close to the constant. */
Test(iq4, extreme_blocks)
{
    static const float vals[] = {1e-30f, 1e-7f, 3.0f, -3.0f, 6e4f};
    static float x[256], d[256];
    block_iq4_xs bx;
    block_iq4_nl bn;
    for (size_t v = 0; v < sizeof vals / sizeof vals[0]; v++) {
        for (int i = 0; i < 256; i++)
            x[i] = vals[v];
        el_iq4_xs_block(x, NULL, &bx, d);
        for (int i = 0; i < 256; i++)
            cr_assert(isfinite(d[i]) && fabsf(d[i] - x[i]) <= 0.02f * fabsf(x[i]) + 1e-6f, "IQ4_XS %g: %g", x[i], d[i]);
        el_iq4_nl_block(x, NULL, &bn, d);
        for (int i = 0; i < 32; i++)
            cr_assert(isfinite(d[i]) && fabsf(d[i] - x[i]) <= 0.02f * fabsf(x[i]) + 1e-6f, "IQ4_NL %g: %g", x[i], d[i]);
    }
}

/* Importances are relative: scaled by 2^-110 (~1e-33) (an imatrix row of tiny sums, as a rarely used input
 * gives) they choose the same blocks; all zero they are no importances at all. Before the fix the
 * tiny ones underflowed the error sums to 0, every scale looked perfect, and blocks decoded to 0
 * (token_embd of a synth Llama 3 shape: RMSE 6.0e-2 instead of 4.4e-3). Every type: the others'
 * searches (quant/search.c) took all-zero importances as a licence for any scale. */
Test(iq4, importances_are_relative)
{
    enum { N = 2048 };
    static float x[N], w[N], ws[N], z[N];
    static uint8_t a[2 * N], b[2 * N]; /* Q8_0: 34 bytes per 32 */
    fill_row(x, N);
    for (int i = 0; i < N; i++) {
        w[i] = (float)(0.1 + unif() * 3);
        ws[i] = ldexpf(w[i], -110); /* ~1e-33: exact, so the ratios are the same bits */
        z[i] = 0;
    }
    static const uint32_t types[] = {EL_TYPE_IQ4_NL, EL_TYPE_IQ4_XS, EL_TYPE_Q4_0, EL_TYPE_Q4_1, EL_TYPE_Q5_0, EL_TYPE_Q5_1,
                                     EL_TYPE_Q8_0, EL_TYPE_Q2_K, EL_TYPE_Q3_K, EL_TYPE_Q4_K, EL_TYPE_Q5_K, EL_TYPE_Q6_K};
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        uint64_t bytes;
        cr_assert(el_type_row_bytes(types[t], N, &bytes));
        cr_assert(el_quantize_row_best(types[t], x, a, N, w, NULL));
        cr_assert(el_quantize_row_best(types[t], x, b, N, ws, NULL));
        cr_assert(memcmp(a, b, (size_t)bytes) == 0, "%s: importances x 2^-110 change the blocks", el_type_name(types[t]));
        cr_assert(el_quantize_row_best(types[t], x, a, N, NULL, NULL));
        cr_assert(el_quantize_row_best(types[t], x, b, N, z, NULL));
        cr_assert(memcmp(a, b, (size_t)bytes) == 0, "%s: zero importances differ from none", el_type_name(types[t]));
    }
}
