/*
 * quant/xtx.c - the second-moment kernel of `imatrix --hessian` (quant/hessian.h): sums of x_i x_j in
 * tiles of 8 rows x 32 columns held while t runs, so the compiler keeps them in vector registers; built
 * for the baseline and again for AVX-512 (quant/xtx_avx512.c), chosen at run time. Every sum runs
 * over t in order with a multiply and an add (no fused multiply-add), so every build and every split
 * of the rows among threads gives the same bits.
 */
#include <stddef.h>
#include <stdint.h>

#ifndef EL_XTX_ENTRY
#define EL_XTX_ENTRY el_xtx_accumulate_base
#endif

void EL_XTX_ENTRY(float *sum, int64_t n, const float *x, int ldx, int T, int ith, int nth);

enum { TR = 8, TC = 32 };

/* rows [i, i + TR) x columns [j, j + TC) of the sums, over T rows of x */
static void tile(float *sum, int64_t n, const float *x, int ldx, int T, int64_t i, int64_t j)
{
    float acc[TR][TC] = {{0}};
    for (int t = 0; t < T; t++) {
        const float *xt = x + (size_t)t * (size_t)ldx;
        for (int a = 0; a < TR; a++) {
            const float xi = xt[i + a];
            for (int b = 0; b < TC; b++)
                acc[a][b] += xi * xt[j + b];
        }
    }
    for (int a = 0; a < TR; a++)
        for (int b = 0; b < TC; b++)
            sum[(size_t)(i + a) * (size_t)n + (size_t)(j + b)] += acc[a][b];
}

/* one sum the slow way, in the same order of t (the edges) */
static void one_sum(float *sum, int64_t n, const float *x, int ldx, int T, int64_t i, int64_t j)
{
    float s = 0;
    for (int t = 0; t < T; t++)
        s += x[(size_t)t * (size_t)ldx + (size_t)i] * x[(size_t)t * (size_t)ldx + (size_t)j];
    sum[(size_t)i * (size_t)n + (size_t)j] += s;
}

void EL_XTX_ENTRY(float *sum, int64_t n, const float *x, int ldx, int T, int ith, int nth)
{
    for (int64_t i0 = TR * (int64_t)ith; i0 < n; i0 += TR * (int64_t)nth) {
        const int64_t i1 = i0 + TR <= n ? i0 + TR : n;
        int64_t j = i0;
        if (i1 - i0 == TR)
            for (; j + TC <= n; j += TC)
                tile(sum, n, x, ldx, T, i0, j);
        for (int64_t i = i0; i < i1; i++)
            for (int64_t jj = j > i ? j : i; jj < n; jj++)
                one_sum(sum, n, x, ldx, T, i, jj);
    }
}
