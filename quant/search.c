/*
 * quant/search.c - error-minimising block quantizers (see search.h).
 *
 * Two fits cover every type:
 *   symmetric  x ~ d * q, q in [lo, hi]   (Q4_0, Q5_0, Q8_0; the groups of Q3_K and Q6_K)
 *   affine     x ~ d * q + m, q in [0, nmax] (Q4_1, Q5_1; the groups of Q2_K, Q4_K, Q5_K with m <= 0)
 * Each starts from the plain scale (the block's extreme onto the end of the range), tries a few
 * scales around it, and after each one refits d (and m) by weighted least squares to the levels it
 * produced: for fixed levels that is the best scale, for a fixed scale rounding to the nearest
 * level is the best level, so each refit can only lower the error. The candidates are rounded the
 * way they are stored (f16) before they are judged.
 *
 * K-quants have a second level: the groups' scales (and mins) are themselves quantized against a
 * super-block scale; after that each group tries its scale level +-1 with its values requantized,
 * since the rounding of the scale is where most of a K-quant's error comes from.
 *
 * Rounding is to nearest even by the 1.5 * 2^23 trick (values are clamped to the level range first,
 * so they are far below 2^22), which does not depend on the FPU mode and is two SSE2 instructions.
 * The candidate loops keep 8 independent partial sums, so their SSE2 versions (two vectors of four
 * lanes) do exactly the scalar arithmetic.
 */
#include "quant/search.h"

#include <math.h>
#include <string.h>
#if defined(__SSE2__) && !defined(EL_QUANT_SCALAR)
#include <emmintrin.h>
#endif

#include "core/fp_rows.h"
#include "core/half.h"
#include "core/util.h"
#include "formats/ggml_type.h"
#include "quant/quant.h"
#include "quant/quant_ref.h"

static inline float rne(float v) { return (v + 12582912.0f) - 12582912.0f; }
static inline float clampf(float v, float lo, float hi)
{
    v = lo > v ? lo : v; /* maxps, minps */
    return hi < v ? hi : v;
}
static inline float f16r(float v) { return el_f16_to_f32(el_f32_to_f16(v)); }
static inline float keep(float v) { return v; }

/* scale multipliers tried around the plain one (with a refit after each) */
static const float MULT[] = {0.92f, 1.06f};
#define N_MULT (int)(sizeof MULT / sizeof MULT[0])

/* ---- symmetric fit ------------------------------------------------------------------------------------ */

typedef struct {
    float err, sxq, sqq;
} sym_t;

/*
 * n: a multiple of 8. Eight partial sums, lane l taking elements l, l + 8, ...; the SSE2 version does
 * the same operations in the same order per lane (no fused multiply-add), so both give the same bits.
 */
static sym_t sym_eval(const float *x, const float *w, int n, float d, float lo, float hi)
{
    float e8[8] = {0}, a8[8] = {0}, b8[8] = {0};
    const float id = d != 0 ? 1.0f / d : 0.0f;
#if defined(__SSE2__) && !defined(EL_QUANT_SCALAR)
    const __m128 vid = _mm_set1_ps(id), vd = _mm_set1_ps(d), vlo = _mm_set1_ps(lo), vhi = _mm_set1_ps(hi);
    const __m128 magic = _mm_set1_ps(12582912.0f);
    __m128 e[2] = {_mm_setzero_ps(), _mm_setzero_ps()}, a[2] = {e[0], e[0]}, b[2] = {e[0], e[0]};
    for (int j = 0; j < n; j += 8)
        for (int h = 0; h < 2; h++) {
            const __m128 v = _mm_loadu_ps(x + j + 4 * h), ww = _mm_loadu_ps(w + j + 4 * h);
            const __m128 c = _mm_min_ps(vhi, _mm_max_ps(vlo, _mm_mul_ps(v, vid)));
            const __m128 q = _mm_sub_ps(_mm_add_ps(c, magic), magic);
            const __m128 er = _mm_sub_ps(v, _mm_mul_ps(vd, q));
            e[h] = _mm_add_ps(e[h], _mm_mul_ps(_mm_mul_ps(ww, er), er));
            a[h] = _mm_add_ps(a[h], _mm_mul_ps(_mm_mul_ps(ww, v), q));
            b[h] = _mm_add_ps(b[h], _mm_mul_ps(_mm_mul_ps(ww, q), q));
        }
    for (int h = 0; h < 2; h++) {
        _mm_storeu_ps(e8 + 4 * h, e[h]);
        _mm_storeu_ps(a8 + 4 * h, a[h]);
        _mm_storeu_ps(b8 + 4 * h, b[h]);
    }
#else
    for (int j = 0; j < n; j += 8)
        for (int l = 0; l < 8; l++) {
            const float v = x[j + l], q = rne(clampf(v * id, lo, hi)), e = v - d * q, ww = w[j + l];
            e8[l] += ww * e * e;
            a8[l] += ww * v * q;
            b8[l] += ww * q * q;
        }
#endif
    sym_t r = {0, 0, 0};
    for (int l = 0; l < 8; l++) {
        r.err += e8[l];
        r.sxq += a8[l];
        r.sqq += b8[l];
    }
    return r;
}

/* The best d for levels [lo, hi] (lo < 0: the extreme goes to lo, the end with more levels). */
static float sym_fit(const float *x, const float *w, int n, float lo, float hi, int n_mult, float (*R)(float))
{
    const float max = el_signed_extreme(x, n);
    if (max == 0)
        return 0;
    const float d0 = max / lo;
    float best_d = R(d0);
    sym_t best = sym_eval(x, w, n, best_d, lo, hi);
    for (int k = -1; k < n_mult; k++) {
        float d = k < 0 ? best_d : R(d0 * MULT[k]);
        sym_t r = k < 0 ? best : sym_eval(x, w, n, d, lo, hi);
        if (r.err < best.err) {
            best = r;
            best_d = d;
        }
        if (r.sqq > 0) {
            d = R(r.sxq / r.sqq);
            r = sym_eval(x, w, n, d, lo, hi);
            if (r.err < best.err) {
                best = r;
                best_d = d;
            }
        }
    }
    return best_d;
}

/* ---- affine fit --------------------------------------------------------------------------------------- */

typedef struct {
    float err, sw, sx, sq, sqq, sxq;
} aff_t;

static aff_t aff_eval(const float *x, const float *w, int n, float d, float m, float nmax)
{
    float e8[8] = {0}, w8[8] = {0}, x8[8] = {0}, q8[8] = {0}, qq8[8] = {0}, xq8[8] = {0};
    const float id = d != 0 ? 1.0f / d : 0.0f;
#if defined(__SSE2__) && !defined(EL_QUANT_SCALAR)
    const __m128 vid = _mm_set1_ps(id), vd = _mm_set1_ps(d), vm = _mm_set1_ps(m), vmax = _mm_set1_ps(nmax);
    const __m128 z = _mm_setzero_ps(), magic = _mm_set1_ps(12582912.0f);
    __m128 e[2] = {z, z}, sw[2] = {z, z}, sx[2] = {z, z}, sq[2] = {z, z}, sqq[2] = {z, z}, sxq[2] = {z, z};
    for (int j = 0; j < n; j += 8)
        for (int h = 0; h < 2; h++) {
            const __m128 v = _mm_loadu_ps(x + j + 4 * h), ww = _mm_loadu_ps(w + j + 4 * h);
            const __m128 c = _mm_min_ps(vmax, _mm_max_ps(z, _mm_mul_ps(_mm_sub_ps(v, vm), vid)));
            const __m128 q = _mm_sub_ps(_mm_add_ps(c, magic), magic);
            const __m128 er = _mm_sub_ps(v, _mm_add_ps(vm, _mm_mul_ps(vd, q)));
            e[h] = _mm_add_ps(e[h], _mm_mul_ps(_mm_mul_ps(ww, er), er));
            sw[h] = _mm_add_ps(sw[h], ww);
            sx[h] = _mm_add_ps(sx[h], _mm_mul_ps(ww, v));
            sq[h] = _mm_add_ps(sq[h], _mm_mul_ps(ww, q));
            sqq[h] = _mm_add_ps(sqq[h], _mm_mul_ps(_mm_mul_ps(ww, q), q));
            sxq[h] = _mm_add_ps(sxq[h], _mm_mul_ps(_mm_mul_ps(ww, v), q));
        }
    for (int h = 0; h < 2; h++) {
        _mm_storeu_ps(e8 + 4 * h, e[h]);
        _mm_storeu_ps(w8 + 4 * h, sw[h]);
        _mm_storeu_ps(x8 + 4 * h, sx[h]);
        _mm_storeu_ps(q8 + 4 * h, sq[h]);
        _mm_storeu_ps(qq8 + 4 * h, sqq[h]);
        _mm_storeu_ps(xq8 + 4 * h, sxq[h]);
    }
#else
    for (int j = 0; j < n; j += 8)
        for (int l = 0; l < 8; l++) {
            const float v = x[j + l], ww = w[j + l], q = rne(clampf((v - m) * id, 0, nmax)), e = v - (m + d * q);
            e8[l] += ww * e * e;
            w8[l] += ww;
            x8[l] += ww * v;
            q8[l] += ww * q;
            qq8[l] += ww * q * q;
            xq8[l] += ww * v * q;
        }
#endif
    aff_t r = {0, 0, 0, 0, 0, 0};
    for (int l = 0; l < 8; l++) {
        r.err += e8[l];
        r.sw += w8[l];
        r.sx += x8[l];
        r.sq += q8[l];
        r.sqq += qq8[l];
        r.sxq += xq8[l];
    }
    return r;
}

/* Least squares d, m for the levels behind r (m <= 0 when kmin); false when degenerate. */
static bool aff_refit(const aff_t *r, bool kmin, float *d, float *m)
{
    const double det = (double)r->sw * r->sqq - (double)r->sq * r->sq;
    if (!(det > 0))
        return false;
    double dd = ((double)r->sw * r->sxq - (double)r->sq * r->sx) / det;
    double mm = ((double)r->sqq * r->sx - (double)r->sq * r->sxq) / det;
    if (kmin && mm > 0) {
        mm = 0;
        dd = r->sxq / (double)r->sqq;
    }
    if (!(dd > 0))
        return false;
    *d = (float)dd;
    *m = (float)mm;
    return true;
}

/* Best d > 0 and m for levels [0, nmax]; kmin: m <= 0 (the K-quants store -m as a non-negative min). */
static void aff_fit(const float *x, const float *w, int n, float nmax, bool kmin, float (*R)(float), float *d_out,
                    float *m_out)
{
    float mn, mx;
    el_min_max(x, n, &mn, &mx);
    if (kmin && mn > 0)
        mn = 0;
    float best_d = R((mx - mn) / nmax), best_m = R(mn);
    if (best_d == 0) {
        *d_out = 0;
        *m_out = best_m;
        return;
    }
    aff_t best = aff_eval(x, w, n, best_d, best_m, nmax);
    const float d0 = (mx - mn) / nmax;
    for (int k = -1; k < N_MULT; k++) {
        float d = k < 0 ? best_d : R(d0 * MULT[k]), m = k < 0 ? best_m : R(mn);
        aff_t r = k < 0 ? best : aff_eval(x, w, n, d, m, nmax);
        if (r.err < best.err) {
            best = r;
            best_d = d;
            best_m = m;
        }
        float d2, m2;
        if (aff_refit(&r, kmin, &d2, &m2)) {
            d2 = R(d2);
            m2 = R(m2);
            if (kmin && m2 > 0)
                m2 = 0;
            if (d2 > 0) {
                r = aff_eval(x, w, n, d2, m2, nmax);
                if (r.err < best.err) {
                    best = r;
                    best_d = d2;
                    best_m = m2;
                }
            }
        }
    }
    *d_out = best_d;
    *m_out = best_m;
}

/* ---- 32-element blocks ---------------------------------------------------------------------------------- */

/* levels of x for d (symmetric, stored with offset -lo) */
static void sym_levels(const float *x, int n, float d, float lo, float hi, uint8_t *L)
{
    const float id = d != 0 ? 1.0f / d : 0.0f;
    for (int j = 0; j < n; j++)
        L[j] = (uint8_t)(int)(rne(clampf(x[j] * id, lo, hi)) - lo);
}

static void aff_levels(const float *x, int n, float d, float m, float nmax, uint8_t *L)
{
    const float id = d != 0 ? 1.0f / d : 0.0f;
    for (int j = 0; j < n; j++)
        L[j] = (uint8_t)(int)rne(clampf((x[j] - m) * id, 0, nmax));
}

static void q4_0_block(const float *x, const float *w, void *out)
{
    block_q4_0 *y = out;
    uint8_t L[32];
    const float d = sym_fit(x, w, 32, -8, 7, N_MULT, f16r);
    y->d = el_f32_to_f16(d);
    sym_levels(x, 32, d, -8, 7, L);
    el_pack_nibbles(y->qs, L);
}

static void q5_0_block(const float *x, const float *w, void *out)
{
    block_q5_0 *y = out;
    uint8_t L[32];
    const float d = sym_fit(x, w, 32, -16, 15, N_MULT, f16r);
    y->d = el_f32_to_f16(d);
    sym_levels(x, 32, d, -16, 15, L);
    el_pack_nibbles(y->qs, L);
    el_pack_fifth_bits(y->qh, L);
}

static void q8_0_block(const float *x, const float *w, void *out)
{
    block_q8_0 *y = out;
    uint8_t L[32];
    const float d = sym_fit(x, w, 32, -127, 127, 0, f16r) /* 255 levels: only the refit pays */;
    y->d = el_f32_to_f16(d);
    sym_levels(x, 32, d, -127, 127, L);
    for (int j = 0; j < 32; j++)
        y->qs[j] = (int8_t)(L[j] - 127);
}

static void q4_1_block(const float *x, const float *w, void *out)
{
    block_q4_1 *y = out;
    uint8_t L[32];
    float d, m;
    aff_fit(x, w, 32, 15, false, f16r, &d, &m);
    y->d = el_f32_to_f16(d);
    y->m = el_f32_to_f16(m);
    aff_levels(x, 32, d, m, 15, L);
    el_pack_nibbles(y->qs, L);
}

static void q5_1_block(const float *x, const float *w, void *out)
{
    block_q5_1 *y = out;
    uint8_t L[32];
    float d, m;
    aff_fit(x, w, 32, 31, false, f16r, &d, &m);
    y->d = el_f32_to_f16(d);
    y->m = el_f32_to_f16(m);
    aff_levels(x, 32, d, m, 31, L);
    el_pack_nibbles(y->qs, L);
    el_pack_fifth_bits(y->qh, L);
}

/* ---- super-blocks of 256 -------------------------------------------------------------------------------- */

/* Weighted error of group x (n) at scale ds and min dm (x ~ ds * q - dm, q in [0, nmax]), with its levels. */
static float group_aff(const float *x, const float *w, int n, float ds, float dm, float nmax, uint8_t *L)
{
    aff_levels(x, n, ds, -dm, nmax, L);
    float err = 0;
    for (int j = 0; j < n; j++) {
        const float e = x[j] - (ds * L[j] - dm);
        err += w[j] * e * e;
    }
    return err;
}

/*
 * K-quant with affine groups (Q2_K: 16 groups of 16, 4-bit scale levels; Q4_K/Q5_K: 8 of 32, 6-bit).
 * Out: f16 d and dmin, scale and min levels, value levels. search: fit each group; else plain range.
 */
static void k_affine(const float *x, const float *w, int gs, float nmax, int smax, bool search, uint16_t *d16,
                     uint16_t *dmin16, uint8_t *ls, uint8_t *lm, uint8_t *L)
{
    const int ng = QK_K / gs;
    float sc[16], mn[16], max_sc = 0, max_mn = 0;
    for (int g = 0; g < ng; g++) {
        float d, m;
        if (search) {
            aff_fit(x + g * gs, w + g * gs, gs, nmax, true, keep, &d, &m);
        } else {
            float lo, hi;
            el_min_max(x + g * gs, gs, &lo, &hi);
            lo = fminf(lo, 0);
            d = (hi - lo) / nmax;
            m = lo;
        }
        sc[g] = d;
        mn[g] = -m;
        max_sc = fmaxf(max_sc, sc[g]);
        max_mn = fmaxf(max_mn, mn[g]);
    }
    *d16 = el_f32_to_f16(max_sc / (float)smax);
    *dmin16 = el_f32_to_f16(max_mn / (float)smax);
    const float d = el_f16_to_f32(*d16), dmin = el_f16_to_f32(*dmin16);
    for (int g = 0; g < ng; g++) {
        const float *xg = x + g * gs, *wg = w + g * gs;
        int s = d > 0 ? (int)rne(clampf(sc[g] / d, 0, (float)smax)) : 0;
        int mm = dmin > 0 ? (int)rne(clampf(mn[g] / dmin, 0, (float)smax)) : 0;
        float best = group_aff(xg, wg, gs, d * (float)s, dmin * (float)mm, nmax, L + g * gs);
        ls[g] = (uint8_t)s;
        lm[g] = (uint8_t)mm;
        if (!search)
            continue;
        uint8_t T[32];
        for (int ds = -1; ds <= 1; ds++)
            for (int dm = -1; dm <= 1; dm++) {
                const int s2 = s + ds, m2 = mm + dm;
                if ((ds == 0 && dm == 0) || s2 < 1 || s2 > smax || m2 < 0 || m2 > smax)
                    continue;
                const float e = group_aff(xg, wg, gs, d * (float)s2, dmin * (float)m2, nmax, T);
                if (e < best) {
                    best = e;
                    ls[g] = (uint8_t)s2;
                    lm[g] = (uint8_t)m2;
                    memcpy(L + g * gs, T, (size_t)gs);
                }
            }
    }
}

static float group_sym(const float *x, const float *w, int n, float ds, float lo, float hi, int8_t *L)
{
    const float id = ds != 0 ? 1.0f / ds : 0.0f;
    float err = 0;
    for (int j = 0; j < n; j++) {
        const float q = rne(clampf(x[j] * id, lo, hi)), e = x[j] - ds * q;
        L[j] = (int8_t)(int)q;
        err += w[j] * e * e;
    }
    return err;
}

/* K-quant with symmetric groups of 16 (Q3_K: q in [-4, 3], scales [-32, 31]; Q6_K: [-32, 31], [-128, 127]). */
static void k_sym(const float *x, const float *w, float lo, float hi, float slo, float shi, bool search, uint16_t *d16,
                  int8_t *sl, int8_t *L)
{
    float sc[16], max_sc = 0, amax_sc = 0;
    for (int g = 0; g < 16; g++) {
        sc[g] = search ? sym_fit(x + 16 * g, w + 16 * g, 16, lo, hi, N_MULT, keep) : el_signed_extreme(x + 16 * g, 16) / lo;
        if (fabsf(sc[g]) > amax_sc) {
            amax_sc = fabsf(sc[g]);
            max_sc = sc[g];
        }
    }
    *d16 = el_f32_to_f16(max_sc / slo);
    const float d = el_f16_to_f32(*d16);
    for (int g = 0; g < 16; g++) {
        const float *xg = x + 16 * g, *wg = w + 16 * g;
        const int s = d != 0 ? (int)rne(clampf(sc[g] / d, slo, shi)) : 0;
        float best = group_sym(xg, wg, 16, d * (float)s, lo, hi, L + 16 * g);
        sl[g] = (int8_t)s;
        if (!search)
            continue;
        int8_t T[16];
        for (int ds = -1; ds <= 1; ds += 2) {
            const int s2 = s + ds;
            if (s2 < slo || s2 > shi)
                continue;
            const float e = group_sym(xg, wg, 16, d * (float)s2, lo, hi, T);
            if (e < best) {
                best = e;
                sl[g] = (int8_t)s2;
                memcpy(L + 16 * g, T, 16);
            }
        }
    }
}

static void q2_K_make(const float *x, const float *w, void *out, bool search)
{
    block_q2_K *y = out;
    uint8_t ls[16], lm[16], L[QK_K];
    k_affine(x, w, 16, 3, 15, search, &y->d, &y->dmin, ls, lm, L);
    for (int g = 0; g < 16; g++)
        y->scales[g] = (uint8_t)(ls[g] | (lm[g] << 4));
    el_q2_K_pack_qs(y->qs, L);
}

static void q3_K_make(const float *x, const float *w, void *out, bool search)
{
    block_q3_K *y = out;
    int8_t sl[16], L[QK_K];
    k_sym(x, w, -4, 3, -32, 31, search, &y->d, sl, L);
    el_q3_K_pack(y, L, sl);
}

static void q2_K_block(const float *x, const float *w, void *out) { q2_K_make(x, w, out, true); }
static void q3_K_block(const float *x, const float *w, void *out) { q3_K_make(x, w, out, true); }

/* Q4_K and Q5_K share scales and layout but for the fifth bit */
static void k4_make(const float *x, const float *w, void *out, bool five)
{
    block_q4_K *y4 = out;
    block_q5_K *y5 = out;
    uint8_t ls[8], lm[8], L[QK_K];
    uint16_t *d = five ? &y5->d : &y4->d, *dmin = five ? &y5->dmin : &y4->dmin;
    k_affine(x, w, 32, five ? 31 : 15, 63, true, d, dmin, ls, lm, L);
    el_k4_pack(five ? y5->scales : y4->scales, ls, lm);
    if (five)
        el_q5_K_pack_qs(y5, L);
    else
        el_q4_K_pack_qs(y4, L);
}

static void q4_K_block(const float *x, const float *w, void *out) { k4_make(x, w, out, false); }
static void q5_K_block(const float *x, const float *w, void *out) { k4_make(x, w, out, true); }

static void q6_K_block(const float *x, const float *w, void *out)
{
    block_q6_K *y = out;
    int8_t sl[16], L[QK_K];
    k_sym(x, w, -32, 31, -128, 127, true, &y->d, sl, L);
    memcpy(y->scales, sl, 16);
    el_q6_K_pack_qs(y, L);
}

static void fill_ones(float *w, int n)
{
    for (int j = 0; j < n; j++)
        w[j] = 1;
}

void el_quantize_row_q2_K_plain(const float *x, void *y, int64_t n)
{
    float ones[QK_K];
    fill_ones(ones, QK_K);
    for (int64_t i = 0; i < n / QK_K; i++)
        q2_K_make(x + i * QK_K, ones, (block_q2_K *)y + i, false);
}

void el_quantize_row_q3_K_plain(const float *x, void *y, int64_t n)
{
    float ones[QK_K];
    fill_ones(ones, QK_K);
    for (int64_t i = 0; i < n / QK_K; i++)
        q3_K_make(x + i * QK_K, ones, (block_q3_K *)y + i, false);
}

/* ---- the row: search each block, keep it only where it beats the plain quantizer ----------------------- */

typedef void (*block_fn)(const float *x, const float *w, void *y);

static block_fn searcher(uint32_t type)
{
    switch (type) {
    case EL_TYPE_Q4_0: return q4_0_block;
    case EL_TYPE_Q4_1: return q4_1_block;
    case EL_TYPE_Q5_0: return q5_0_block;
    case EL_TYPE_Q5_1: return q5_1_block;
    case EL_TYPE_Q8_0: return q8_0_block;
    case EL_TYPE_Q2_K: return q2_K_block;
    case EL_TYPE_Q3_K: return q3_K_block;
    case EL_TYPE_Q4_K: return q4_K_block;
    case EL_TYPE_Q5_K: return q5_K_block;
    case EL_TYPE_Q6_K: return q6_K_block;
    default: return NULL;
    }
}

bool el_quant_can_write(uint32_t type)
{
    return type == EL_TYPE_F32 || type == EL_TYPE_F16 || type == EL_TYPE_BF16 || searcher(type) != NULL;
}

static float block_err(const float *x, const float *w, const float *deq, int n)
{
    float err = 0;
    for (int j = 0; j < n; j++) {
        const float e = x[j] - deq[j];
        err += w[j] * e * e;
    }
    return err;
}

bool el_quantize_row_best(uint32_t type, const float *x, void *y, int64_t n, const float *w, float *deq_out)
{
    const block_fn search = searcher(type);
    if (!search) {
        const el_qtraits *t = el_qtraits_get(type);
        if (!el_quant_can_write(type) || !t || !t->from_float_ref)
            return false;
        t->from_float_ref(x, y, n);
        if (deq_out)
            t->to_float(y, deq_out, n);
        return true;
    }
    const el_type_info *ti = el_type_get(type);
    const int bs = (int)ti->block_size;
    const size_t bb = ti->type_size;
    const el_qtraits *t = el_qtraits_get(type);
    float ones[QK_K], deq[QK_K], deq_ref[QK_K];
    uint8_t ref[sizeof(block_q6_K) + sizeof(block_q5_K)];
    fill_ones(ones, bs);
    for (int64_t i = 0; i < n / bs; i++) {
        /* the imatrix as it is: the mean square of the activation meeting each column is the diagonal
         * of E[a a^T], so sum_j w_j e_j^2 is the expected squared error of the matrix's output when
         * the activations are uncorrelated. (ggml's extra factor sqrt(s2 + x_j^2) was tried: on
         * stories260K it raised Q4_0's KL divergence; docs/quantize.md.) */
        const float *xb = x + i * bs, *wb = w ? w + i * bs : ones;
        uint8_t *yb = (uint8_t *)y + (size_t)i * bb;
        search(xb, wb, yb);
        t->from_float_ref(xb, ref, bs);
        t->to_float(yb, deq, bs);
        t->to_float(ref, deq_ref, bs);
        const bool use_ref = block_err(xb, wb, deq_ref, bs) < block_err(xb, wb, deq, bs);
        if (use_ref)
            memcpy(yb, ref, bb);
        if (deq_out)
            memcpy(deq_out + i * bs, use_ref ? deq_ref : deq, (size_t)bs * sizeof(float));
    }
    return true;
}
