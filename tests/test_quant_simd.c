/*
 * tests/test_quant_simd.c - the searching quantizers (quant/search.c) give the same bytes, the same decoded
 * rows and the same error statistics in every build: the one picked at run time (AVX2 on such a CPU), the
 * baseline (SSE2 on x86-64, NEON on aarch64: `make check-neon` runs this file under qemu) and plain C
 * (tests/quant_scalar.c). Every type, rows of four kinds, with and without importances.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "formats/ggml_type.h"
#include "quant/search.h"
#include "tests/qrows.h"

bool el_quantize_row_best_scalar(uint32_t type, const float *x, void *y, int64_t n, const float *w, float *deq_out);
void el_quant_row_error_scalar(const float *x, const float *deq, int64_t n, double *sse, double *max_abs);

TestSuite(quant_simd);

typedef bool (*row_fn)(uint32_t type, const float *x, void *y, int64_t n, const float *w, float *deq_out);

Test(quant_simd, every_build_gives_the_same_bytes)
{
    static const uint32_t types[] = {EL_TYPE_Q8_0, EL_TYPE_Q4_0, EL_TYPE_Q4_1, EL_TYPE_Q5_0, EL_TYPE_Q5_1,
                                     EL_TYPE_Q2_K, EL_TYPE_Q3_K, EL_TYPE_Q4_K, EL_TYPE_Q5_K, EL_TYPE_Q6_K, EL_TYPE_IQ4_NL, EL_TYPE_IQ4_XS};
    static const row_fn builds[] = {el_quantize_row_best, el_quantize_row_best_base, el_quantize_row_best_scalar};
    static const char *names[] = {"run-time choice", "baseline", "plain C"};
    enum { N = 2048 };
    static float x[N], w[N], deq[3][N];
    static uint8_t y[3][N * 2];
    qrng rng = {0x2545F4914F6CDD1Dull};
    for (size_t ti = 0; ti < sizeof types / sizeof types[0]; ti++)
        for (int rep = 0; rep < 8; rep++) {
            qr_fill(&rng, x, N, rep % 4);
            for (int j = 0; j < N; j++)
                w[j] = (float)qr_uni(&rng) * 3;
            const float *ww = rep % 2 ? w : NULL;
            uint64_t rb;
            el_type_row_bytes(types[ti], N, &rb);
            for (int b = 0; b < 3; b++)
                cr_assert(builds[b](types[ti], x, y[b], N, ww, deq[b]), "%s", el_type_name(types[ti]));
            for (int b = 1; b < 3; b++) {
                cr_assert_eq(memcmp(y[0], y[b], rb), 0, "%s: the %s and %s builds write different blocks",
                             el_type_name(types[ti]), names[0], names[b]);
                cr_assert_eq(memcmp(deq[0], deq[b], sizeof deq[0]), 0, "%s: the %s and %s builds decode differently",
                             el_type_name(types[ti]), names[0], names[b]);
            }
            double s0, m0, s1, m1;
            el_quant_row_error(x, deq[0], N - 3, &s0, &m0); /* with a tail past the last 32 */
            el_quant_row_error_scalar(x, deq[0], N - 3, &s1, &m1);
            cr_assert(s0 == s1 && m0 == m1, "error statistics differ: %.17g %.17g vs %.17g %.17g", s0, m0, s1, m1);
            cr_assert(rep % 4 == 3 || s0 > 0, "no error at all");
        }
}
