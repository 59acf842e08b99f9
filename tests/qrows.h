/*
 * tests/qrows.h - test rows for the quantizer tests (tests/test_quantize.c, tests/test_quant_simd.c): a
 * xorshift generator (the same numbers everywhere) and rows of four kinds.
 */
#ifndef EL_TESTS_QROWS_H
#define EL_TESTS_QROWS_H

#include <math.h>
#include <stdint.h>

typedef struct {
    uint64_t s;
} qrng;

static inline double qr_uni(qrng *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return (double)(r->s >> 11) * (1.0 / 9007199254740992.0);
}

static inline float qr_gauss(qrng *r)
{
    const double u = qr_uni(r), v = qr_uni(r);
    return (float)(sqrt(-2 * log(u + 1e-300)) * cos(6.283185307179586 * v));
}

/* rows of n: kind 0 gaussian, 1 gaussian with 1% outliers x 30, 2 all positive, 3 constant blocks and zeros */
static inline void qr_fill(qrng *r, float *x, int n, int kind)
{
    for (int j = 0; j < n; j++) {
        x[j] = 0.02f * qr_gauss(r);
        if (kind == 1 && qr_uni(r) < 0.01)
            x[j] *= 30;
        if (kind == 2)
            x[j] = fabsf(x[j]) + 0.01f;
        if (kind == 3)
            x[j] = (j / 64) % 2 ? 0.0f : 0.5f;
    }
}

#endif
