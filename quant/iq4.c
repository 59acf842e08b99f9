/*
 * quant/iq4.c - IQ4_NL / IQ4_XS block quantizers (see iq4.h).
 */
#include "quant/iq4.h"

#include <math.h>
#include <string.h>

#include "core/half.h"
#include "quant/importance.h"
#include "quant/quant_ref.h"

static const int8_t T[16] = EL_IQ4NL_VALUES;
/* the midpoints between neighbouring levels: a value above M[k] is nearer T[k+1] than T[k] */
static const float M[15] = {-115.5f, -93.5f, -74, -57, -42, -28.5f, -16, -4.5f, 7, 19, 31.5f, 45.5f, 61, 79, 101};

/* the index of the level nearest v (ties to the lower one; NaN to 0): the midpoints below it, counted
 * without branches (the compiler runs the 32 values of a group through vector compares) */
static inline uint8_t nearest(float v)
{
    int c = 0;
    for (int k = 0; k < 15; k++)
        c += v > M[k];
    return (uint8_t)c;
}

static inline float f16r(float v) { return el_f16_to_f32(el_f32_to_f16(v)); }

static void levels(const float *x, int n, float id, uint8_t *L)
{
    for (int j = 0; j < n; j++)
        L[j] = nearest(x[j] * id);
}

static float werr(const float *x, const float *w, int n, float d, const uint8_t *L)
{
    float e = 0;
    for (int j = 0; j < n; j++) {
        const float r = x[j] - d * (float)T[L[j]];
        e += (w ? w[j] : 1.0f) * r * r;
    }
    return e;
}

/* The weighted least-squares scale for fixed levels (rounded to f16 when round16), and its error
 * sum w (x - d v)^2 = sxx - 2 d sqx + d^2 sq2 from the same sums: one pass per candidate. */
static float refit(const float *x, const float *w, int n, const uint8_t *L, float sxx, int round16, float *err)
{
    float sqx = 0, sq2 = 0;
    for (int j = 0; j < n; j++) {
        const float wj = w ? w[j] : 1.0f, v = (float)T[L[j]];
        sqx += wj * x[j] * v;
        sq2 += wj * v * v;
    }
    float d = sq2 > 0 ? sqx / sq2 : 0;
    if (round16)
        d = f16r(d);
    const float e = sxx - 2 * d * sqx + d * d * sq2;
    *err = e > 0 ? e : 0;
    return d;
}

/* The best scale of one group of n (32) values and its levels L; round16: judge the scale as f16
 * (IQ4_NL stores it so; IQ4_XS quantizes it further, later). *err: the group's weighted error. */
static float group_fit(const float *x, const float *w, int n, int round16, uint8_t *L, float *err)
{
    float amax = 0, xm = 0;
    for (int j = 0; j < n; j++)
        if (fabsf(x[j]) > amax) {
            amax = fabsf(x[j]);
            xm = x[j];
        }
    if (!(amax > 0)) {
        memset(L, 8, (size_t)n); /* level 1: with a zero scale, any level decodes to 0 */
        *err = werr(x, w, n, 0, L);
        return 0;
    }
    uint8_t C[32];
    float best_d = 0, best_e = INFINITY, sxx = 0, e;
    for (int j = 0; j < n; j++)
        sxx += (w ? w[j] : 1.0f) * x[j] * x[j];
    for (int side = 0; side < 2; side++)
        for (int s = -7; s <= 7; s++) {
            const float id = ((float)(side ? T[15] : T[0]) + (float)s) / xm;
            levels(x, n, id, C);
            const float d = refit(x, w, n, C, sxx, round16, &e);
            if (e < best_e) {
                best_e = e;
                best_d = d;
                memcpy(L, C, (size_t)n);
            }
        }
    for (int it = 0; it < 2 && best_d != 0; it++) { /* the levels re-chosen under the scale, and refit */
        levels(x, n, 1.0f / best_d, C);
        const float d = refit(x, w, n, C, sxx, round16, &e);
        if (!(e < best_e))
            break;
        best_e = e;
        best_d = d;
        memcpy(L, C, (size_t)n);
    }
    if (!(best_e < INFINITY)) { /* a weight so large that every error overflowed: the plain scale */
        best_d = round16 ? f16r(xm / (float)T[0]) : xm / (float)T[0];
        levels(x, n, best_d != 0 ? 1.0f / best_d : 0, L);
        best_e = werr(x, w, n, best_d, L);
    }
    *err = best_e;
    return best_d;
}

static void pack32(uint8_t *qs, const uint8_t *L)
{
    for (int j = 0; j < 16; j++)
        qs[j] = (uint8_t)(L[j] | L[j + 16] << 4);
}

void el_iq4_nl_block(const float *x, const float *w, block_iq4_nl *y, float *deq)
{
    uint8_t L[32];
    float e, wn[32];
    w = el_importances_relative(w, 32, wn);
    const float d = group_fit(x, w, 32, 1, L, &e);
    y->d = el_f32_to_f16(d);
    pack32(y->qs, L);
    if (deq)
        dequantize_row_iq4_nl(y, deq, 32);
}

/* the levels of a group at scale dl, and their error */
static float at_scale(const float *x, const float *w, float dl, uint8_t *L)
{
    if (dl == 0)
        memset(L, 8, 32);
    else
        levels(x, 32, 1.0f / dl, L);
    return werr(x, w, 32, dl, L);
}

void el_iq4_xs_block(const float *x, const float *w, block_iq4_xs *y, float *deq)
{
    float s[8], e, wn[QK_K];
    uint8_t L[QK_K], C[32];
    w = el_importances_relative(w, QK_K, wn);
    for (int g = 0; g < 8; g++)
        s[g] = group_fit(x + 32 * g, w ? w + 32 * g : NULL, 32, 0, L + 32 * g, &e);
    float ms = 0;
    for (int g = 0; g < 8; g++)
        if (fabsf(s[g]) > fabsf(ms))
            ms = s[g];
    memset(y, 0, sizeof *y);
    int ls[8];
    for (int g = 0; g < 8; g++)
        ls[g] = 32; /* multiplier 0 */
    float best_tot = INFINITY, best_d = 0;
    static const float div[4] = {-32, -31, -30, 31}; /* the largest group scale onto -32 (or +31) units and near */
    for (int c = 0; c < 4 && ms != 0; c++) {
        const float d = f16r(ms / div[c]);
        if (!(d != 0) || !isfinite(d))
            continue;
        float tot = 0;
        int cls[8];
        uint8_t CL[QK_K];
        for (int g = 0; g < 8; g++) {
            const float *xg = x + 32 * g, *wg = w ? w + 32 * g : NULL;
            float l0 = floorf(s[g] / d + 0.5f);
            l0 = l0 < -32 ? -32 : l0 > 31 ? 31 : l0;
            float ge = INFINITY;
            cls[g] = 32;
            memset(CL + 32 * g, 8, 32);
            for (int k = -1; k <= 1; k++) {
                const int l = (int)l0 + k;
                if (l < -32 || l > 31)
                    continue;
                const float el = at_scale(xg, wg, d * (float)l, C);
                if (el < ge) {
                    ge = el;
                    cls[g] = l + 32;
                    memcpy(CL + 32 * g, C, 32);
                }
            }
            tot += ge;
        }
        if (tot < best_tot) {
            best_tot = tot;
            best_d = d;
            memcpy(ls, cls, sizeof ls);
            memcpy(L, CL, sizeof L);
        }
    }
    if (best_d == 0)
        memset(L, 8, sizeof L);
    y->d = el_f32_to_f16(best_d);
    for (int g = 0; g < 8; g++) {
        y->scales_l[g / 2] |= (uint8_t)((ls[g] & 0xF) << (4 * (g % 2)));
        y->scales_h |= (uint16_t)(((ls[g] >> 4) & 3) << (2 * g));
        pack32(y->qs + 16 * g, L + 32 * g);
    }
    if (deq)
        dequantize_row_iq4_xs(y, deq, QK_K);
}

void el_quantize_row_iq4_nl(const float *x, void *y, int64_t n)
{
    for (int64_t i = 0; i < n / 32; i++)
        el_iq4_nl_block(x + 32 * i, NULL, (block_iq4_nl *)y + i, NULL);
}

void el_quantize_row_iq4_xs(const float *x, void *y, int64_t n)
{
    for (int64_t i = 0; i < n / QK_K; i++)
        el_iq4_xs_block(x + QK_K * i, NULL, (block_iq4_xs *)y + i, NULL);
}
