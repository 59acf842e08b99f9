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
 * The plain reference quantizer's block is one more candidate. For the 32-element types it is
 * evaluated in the same loop, rounding as quant_ref.c does (half away from zero, levels from the
 * unrounded scale), and written by quant_ref.c itself when it wins; the K-quants, whose reference
 * is a different procedure, quantize and decode it and compare.
 *
 * K-quants have a second level: the groups' scales (and mins) are themselves quantized against a
 * super-block scale; after that each group tries its scale level +-1 with its values requantized,
 * since the rounding of the scale is where most of a K-quant's error comes from.
 *
 * Every loop works on eight lanes (element j in lane j % 8, one partial sum per lane, lanes added
 * in order at the end) through the v8 operations below: AVX2 (one register; this file is built a
 * second time with -mavx2 as search_avx2.c and picked at run time), SSE2 or NEON (two registers),
 * or plain C. No fused multiply-add and IEEE single operations only, so all of them give the same
 * bits; tests/test_quant_simd.c checks it against the plain C build. Rounding to nearest even is
 * the 1.5 * 2^23 trick (values are clamped to the level range first, so they are far below 2^22),
 * which does not depend on the FPU mode.
 */
#include "quant/search.h"

#include <math.h>
#include <string.h>

#include "core/fp_rows.h"
#include "core/half.h"
#include "core/util.h"
#include "formats/ggml_type.h"
#include "quant/importance.h"
#include "quant/iq4.h"
#include "quant/quant_ref.h"

/* ---- eight lanes -------------------------------------------------------------------------------------- */

#if defined(__AVX2__) && !defined(EL_QUANT_SCALAR)
#include <immintrin.h>
typedef __m256 v8;
static inline v8 v_load(const float *p) { return _mm256_loadu_ps(p); }
static inline void v_store(float *p, v8 a) { _mm256_storeu_ps(p, a); }
static inline v8 v_set(float f) { return _mm256_set1_ps(f); }
static inline v8 v_add(v8 a, v8 b) { return _mm256_add_ps(a, b); }
static inline v8 v_sub(v8 a, v8 b) { return _mm256_sub_ps(a, b); }
static inline v8 v_mul(v8 a, v8 b) { return _mm256_mul_ps(a, b); }
static inline v8 v_max(v8 a, v8 b) { return _mm256_max_ps(a, b); } /* a > b ? a : b */
static inline v8 v_min(v8 a, v8 b) { return _mm256_min_ps(a, b); } /* a < b ? a : b */
static inline v8 v_abs(v8 a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
static inline v8 v_trunc(v8 a) { return _mm256_cvtepi32_ps(_mm256_cvttps_epi32(a)); }
static inline v8 v_one_if_ge(v8 a, float c) { return _mm256_and_ps(_mm256_cmp_ps(a, _mm256_set1_ps(c), _CMP_GE_OQ), _mm256_set1_ps(1)); }
static inline v8 v_one_if_le(v8 a, float c) { return _mm256_and_ps(_mm256_cmp_ps(a, _mm256_set1_ps(c), _CMP_LE_OQ), _mm256_set1_ps(1)); }
static inline int v_eq_bits(v8 a, float c) { return _mm256_movemask_ps(_mm256_cmp_ps(a, _mm256_set1_ps(c), _CMP_EQ_OQ)); }
/* lanes added as (l0 + l4) ... then pairwise: the order every build uses */
static inline float v_sum(v8 a)
{
    const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    return _mm_cvtss_f32(_mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1)));
}
#elif defined(__SSE2__) && !defined(EL_QUANT_SCALAR)
#include <emmintrin.h>
typedef struct { __m128 a, b; } v8;
#define V8_2(f, x, y) ((v8){f((x).a, (y).a), f((x).b, (y).b)})
static inline v8 v_load(const float *p) { return (v8){_mm_loadu_ps(p), _mm_loadu_ps(p + 4)}; }
static inline void v_store(float *p, v8 a) { _mm_storeu_ps(p, a.a); _mm_storeu_ps(p + 4, a.b); }
static inline v8 v_set(float f) { return (v8){_mm_set1_ps(f), _mm_set1_ps(f)}; }
static inline v8 v_add(v8 a, v8 b) { return V8_2(_mm_add_ps, a, b); }
static inline v8 v_sub(v8 a, v8 b) { return V8_2(_mm_sub_ps, a, b); }
static inline v8 v_mul(v8 a, v8 b) { return V8_2(_mm_mul_ps, a, b); }
static inline v8 v_max(v8 a, v8 b) { return V8_2(_mm_max_ps, a, b); }
static inline v8 v_min(v8 a, v8 b) { return V8_2(_mm_min_ps, a, b); }
static inline v8 v_abs(v8 a) { return V8_2(_mm_andnot_ps, v_set(-0.0f), a); }
static inline __m128 trunc4(__m128 a) { return _mm_cvtepi32_ps(_mm_cvttps_epi32(a)); }
static inline v8 v_trunc(v8 a) { return (v8){trunc4(a.a), trunc4(a.b)}; }
static inline v8 v_one_if_ge(v8 a, float c)
{
    const __m128 k = _mm_set1_ps(c), one = _mm_set1_ps(1);
    return (v8){_mm_and_ps(_mm_cmpge_ps(a.a, k), one), _mm_and_ps(_mm_cmpge_ps(a.b, k), one)};
}
static inline v8 v_one_if_le(v8 a, float c)
{
    const __m128 k = _mm_set1_ps(c), one = _mm_set1_ps(1);
    return (v8){_mm_and_ps(_mm_cmple_ps(a.a, k), one), _mm_and_ps(_mm_cmple_ps(a.b, k), one)};
}
static inline int v_eq_bits(v8 a, float c)
{
    const __m128 k = _mm_set1_ps(c);
    return _mm_movemask_ps(_mm_cmpeq_ps(a.a, k)) | _mm_movemask_ps(_mm_cmpeq_ps(a.b, k)) << 4;
}
static inline float v_sum(v8 a)
{
    const __m128 s4 = _mm_add_ps(a.a, a.b), s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    return _mm_cvtss_f32(_mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1)));
}
#elif defined(__ARM_NEON) && !defined(EL_QUANT_SCALAR)
#include <arm_neon.h>
typedef struct { float32x4_t a, b; } v8;
#define V8_2(f, x, y) ((v8){f((x).a, (y).a), f((x).b, (y).b)})
static inline v8 v_load(const float *p) { return (v8){vld1q_f32(p), vld1q_f32(p + 4)}; }
static inline void v_store(float *p, v8 a) { vst1q_f32(p, a.a); vst1q_f32(p + 4, a.b); }
static inline v8 v_set(float f) { return (v8){vdupq_n_f32(f), vdupq_n_f32(f)}; }
static inline v8 v_add(v8 a, v8 b) { return V8_2(vaddq_f32, a, b); }
static inline v8 v_sub(v8 a, v8 b) { return V8_2(vsubq_f32, a, b); }
static inline v8 v_mul(v8 a, v8 b) { return V8_2(vmulq_f32, a, b); }
/* x86's max/min (the second operand on equality), not NEON's (which orders +-0 and passes NaN on) */
static inline float32x4_t max4(float32x4_t a, float32x4_t b) { return vbslq_f32(vcgtq_f32(a, b), a, b); }
static inline float32x4_t min4(float32x4_t a, float32x4_t b) { return vbslq_f32(vcltq_f32(a, b), a, b); }
static inline v8 v_max(v8 a, v8 b) { return V8_2(max4, a, b); }
static inline v8 v_min(v8 a, v8 b) { return V8_2(min4, a, b); }
static inline v8 v_abs(v8 a) { return (v8){vabsq_f32(a.a), vabsq_f32(a.b)}; }
static inline float32x4_t trunc4(float32x4_t a) { return vcvtq_f32_s32(vcvtq_s32_f32(a)); }
static inline v8 v_trunc(v8 a) { return (v8){trunc4(a.a), trunc4(a.b)}; }
static inline float32x4_t ge4(float32x4_t a, float32x4_t k) { return vreinterpretq_f32_u32(vandq_u32(vcgeq_f32(a, k), vreinterpretq_u32_f32(vdupq_n_f32(1)))); }
static inline float32x4_t le4(float32x4_t a, float32x4_t k) { return vreinterpretq_f32_u32(vandq_u32(vcleq_f32(a, k), vreinterpretq_u32_f32(vdupq_n_f32(1)))); }
static inline v8 v_one_if_ge(v8 a, float c) { return (v8){ge4(a.a, vdupq_n_f32(c)), ge4(a.b, vdupq_n_f32(c))}; }
static inline v8 v_one_if_le(v8 a, float c) { return (v8){le4(a.a, vdupq_n_f32(c)), le4(a.b, vdupq_n_f32(c))}; }
static inline float v_sum(v8 a)
{
    const float32x4_t s4 = vaddq_f32(a.a, a.b);
    const float32x2_t s2 = vadd_f32(vget_low_f32(s4), vget_high_f32(s4));
    return vget_lane_f32(s2, 0) + vget_lane_f32(s2, 1);
}
#define V_EQ_BITS_STORE 1
#else
typedef struct { float l[8]; } v8;
#define V8_EACH(expr) do { for (int i_ = 0; i_ < 8; i_++) r.l[i_] = (expr); } while (0)
static inline v8 v_load(const float *p) { v8 r; memcpy(r.l, p, sizeof r.l); return r; }
static inline void v_store(float *p, v8 a) { memcpy(p, a.l, sizeof a.l); }
static inline v8 v_set(float f) { v8 r; V8_EACH(f); return r; }
static inline v8 v_add(v8 a, v8 b) { v8 r; V8_EACH(a.l[i_] + b.l[i_]); return r; }
static inline v8 v_sub(v8 a, v8 b) { v8 r; V8_EACH(a.l[i_] - b.l[i_]); return r; }
static inline v8 v_mul(v8 a, v8 b) { v8 r; V8_EACH(a.l[i_] * b.l[i_]); return r; }
static inline v8 v_max(v8 a, v8 b) { v8 r; V8_EACH(a.l[i_] > b.l[i_] ? a.l[i_] : b.l[i_]); return r; }
static inline v8 v_min(v8 a, v8 b) { v8 r; V8_EACH(a.l[i_] < b.l[i_] ? a.l[i_] : b.l[i_]); return r; }
static inline v8 v_abs(v8 a) { v8 r; V8_EACH(fabsf(a.l[i_])); return r; }
/* cvttps2dq: out of range (and NaN) gives INT_MIN */
static inline float trunc1(float a) { return fabsf(a) < 2147483520.0f ? (float)(int)a : -2147483648.0f; }
static inline v8 v_trunc(v8 a) { v8 r; V8_EACH(trunc1(a.l[i_])); return r; }
static inline v8 v_one_if_ge(v8 a, float c) { v8 r; V8_EACH(a.l[i_] >= c ? 1.0f : 0.0f); return r; }
static inline v8 v_one_if_le(v8 a, float c) { v8 r; V8_EACH(a.l[i_] <= c ? 1.0f : 0.0f); return r; }
static inline float v_sum(v8 a)
{
    float s4[4], s2[2];
    for (int i = 0; i < 4; i++)
        s4[i] = a.l[i] + a.l[i + 4];
    for (int i = 0; i < 2; i++)
        s2[i] = s4[i] + s4[i + 2];
    return s2[0] + s2[1];
}
#define V_EQ_BITS_STORE 1
#endif

#ifdef V_EQ_BITS_STORE
static inline int v_eq_bits(v8 a, float c)
{
    float l[8];
    int m = 0;
    v_store(l, a);
    for (int i = 0; i < 8; i++)
        m |= (l[i] == c) << i;
    return m;
}
#endif

static inline v8 v_zero(void) { return v_set(0); }
/* importances j..j+7, or 1 when there are none (w NULL) */
static inline v8 v_w(const float *w, int j) { return w ? v_load(w + j) : v_set(1); }
static inline const float *w_at(const float *w, int j) { return w ? w + j : NULL; }
static inline v8 v_clamp(v8 a, v8 lo, v8 hi) { return v_min(hi, v_max(lo, a)); }
/* nearest, ties to even (|a| < 2^22) */
static inline v8 v_rne(v8 a) { return v_sub(v_add(a, v_set(12582912.0f)), v_set(12582912.0f)); }
/* half away from zero, as quant_ref.c's round_away (a - trunc(a) is exact below 2^31) */
static inline v8 v_round_away(v8 a)
{
    const v8 t = v_trunc(a), f = v_sub(a, t);
    return v_sub(v_add(t, v_one_if_ge(f, 0.5f)), v_one_if_le(f, -0.5f));
}
static inline float v_hmax(v8 a)
{
    float l[8], m = 0;
    v_store(l, a);
    for (int i = 0; i < 8; i++)
        m = l[i] > m ? l[i] : m;
    return m;
}

static inline float rne1(float v) { return (v + 12582912.0f) - 12582912.0f; }
static inline float clampf(float v, float lo, float hi)
{
    v = lo > v ? lo : v;
    return hi < v ? hi : v;
}
#if defined(__F16C__) && !defined(EL_QUANT_SCALAR)
/* the same rounding (nearest even, IEEE subnormals and overflow) as core/half.h's, in two instructions */
static inline float f16r(float v) { return _cvtsh_ss(_cvtss_sh(v, _MM_FROUND_TO_NEAREST_INT)); }
#else
static inline float f16r(float v) { return el_f16_to_f32(el_f32_to_f16(v)); }
#endif
static inline float keep(float v) { return v; }

/* scale multipliers tried around the plain one (with a refit after each) */
static const float MULT[] = {0.92f, 1.06f};
#define N_MULT (int)(sizeof MULT / sizeof MULT[0])

/* quant_ref.c's signed_extreme (the first element of largest magnitude, with its sign), on eight lanes; n a
 * multiple of 8 */
static float extreme(const float *x, int n)
{
    v8 m = v_zero();
    for (int j = 0; j < n; j += 8)
        m = v_max(m, v_abs(v_load(x + j)));
    const float amax = v_hmax(m);
    for (int j = 0; j < n; j += 8) {
        const int bits = v_eq_bits(v_abs(v_load(x + j)), amax);
        if (bits)
            return x[j + __builtin_ctz((unsigned)bits)];
    }
    return 0; /* NaN somewhere: the plain quantizer's answer is as good as any */
}

static void min_max(const float *x, int n, float *mn, float *mx)
{
    v8 lo = v_load(x), hi = lo;
    for (int j = 8; j < n; j += 8) {
        const v8 v = v_load(x + j);
        lo = v_min(lo, v);
        hi = v_max(hi, v);
    }
    float l[8], h[8];
    v_store(l, lo);
    v_store(h, hi);
    *mn = l[0];
    *mx = h[0];
    for (int i = 1; i < 8; i++) {
        *mn = l[i] < *mn ? l[i] : *mn;
        *mx = h[i] > *mx ? h[i] : *mx;
    }
}

/* ---- symmetric fit ------------------------------------------------------------------------------------ */

typedef struct {
    float err, sxq, sqq;
} sym_t;

/* Levels of x * id in [lo, hi], nearest (ties to even), or (away) as the reference quantizers round. */
static inline v8 sym_q(v8 v, v8 vid, v8 lo, v8 hi, bool away)
{
    const v8 s = v_mul(v, vid);
    return away ? v_clamp(v_round_away(s), lo, hi) : v_rne(v_clamp(s, lo, hi));
}

/* Up to this many candidates are judged in one pass over a block (they share its loads). */
#define MAX_CAND 8

/*
 * Errors of x ~ d[c] * q for k candidate scales, q from id[c] (1/d[c], or for the reference quantizer's
 * block the inverse of its unrounded scale), with the sums a refit needs. away: the last candidate
 * rounds as the reference quantizers do. n: a multiple of 8. Inlined with a constant k, the arrays
 * below become registers.
 */
static inline void sym_eval(const float *x, const float *w, int n, int k, const float *d, const float *id, float lo,
                            float hi, bool away, sym_t *out)
{
    const v8 vlo = v_set(lo), vhi = v_set(hi);
    v8 e[MAX_CAND], a[MAX_CAND], b[MAX_CAND];
    for (int c = 0; c < k; c++)
        e[c] = a[c] = b[c] = v_zero();
    for (int j = 0; j < n; j += 8) {
        /* without weights the products by w are left out: multiplying by 1 is exact, so the sums are the same */
        const v8 v = v_load(x + j), ww = v_w(w, j), wv = w ? v_mul(ww, v) : v;
        for (int c = 0; c < k; c++) {
            const v8 q = sym_q(v, v_set(id[c]), vlo, vhi, away && c == k - 1);
            const v8 er = v_sub(v, v_mul(v_set(d[c]), q));
            e[c] = v_add(e[c], v_mul(w ? v_mul(ww, er) : er, er));
            a[c] = v_add(a[c], v_mul(wv, q));
            b[c] = v_add(b[c], v_mul(w ? v_mul(ww, q) : q, q));
        }
    }
    for (int c = 0; c < k; c++)
        out[c] = (sym_t){v_sum(e[c]), v_sum(a[c]), v_sum(b[c])};
}

static inline float inv(float d) { return d != 0 ? 1.0f / d : 0.0f; }

/* which plain reference block sym_fit also weighs: none, d = extreme / lo (Q4_0, Q5_0), d = |extreme| / hi (Q8_0) */
enum { REF_NONE, REF_EXTREME, REF_AMAX };

typedef struct {
    float d;  /* the scale (as stored when R rounds) */
    bool ref; /* the reference quantizer's block is better: write that */
} sym_pick;

/*
 * The best d for levels [lo, hi] (lo < 0: the extreme goes to lo, the end with more levels). The candidates
 * are judged in this order, a later one kept only when strictly better: the plain scale, its refit, each
 * multiple of it and its refit, the reference block. Each refit depends only on its own candidate, so they
 * are evaluated in two passes: the scales (and the reference), then the refits. Inlined into each caller, so
 * every type gets a copy with its levels and candidate counts as constants.
 */
static inline __attribute__((always_inline)) sym_pick sym_fit(const float *x, const float *w, int n, float lo, float hi,
                                                              bool mult, float (*R)(float), int ref)
{
    const float max = extreme(x, n);
    if (max == 0)
        return (sym_pick){0, false};
    const float d0 = max / lo, dr = ref == REF_EXTREME ? max / lo : fabsf(max) / hi;
    const int nc = mult ? 1 + N_MULT : 1; /* scales: the plain one, and the multiples of it when mult */
    float d[MAX_CAND], id[MAX_CAND], d2[MAX_CAND], id2[MAX_CAND];
    sym_t r[MAX_CAND], r2[MAX_CAND];
    for (int c = 0; c < nc; c++) {
        d[c] = R(c == 0 ? d0 : d0 * MULT[c - 1]);
        id[c] = inv(d[c]);
    }
    d[nc] = R(dr);
    id[nc] = inv(dr);
    /* constant candidate counts, so each call is unrolled into registers */
    const bool with_ref = ref != REF_NONE;
    if (mult && with_ref)
        sym_eval(x, w, n, 1 + N_MULT + 1, d, id, lo, hi, true, r);
    else if (mult)
        sym_eval(x, w, n, 1 + N_MULT, d, id, lo, hi, false, r); /* K-quant groups: no reference */
    else if (with_ref)
        sym_eval(x, w, n, 2, d, id, lo, hi, true, r);
    else
        sym_eval(x, w, n, 1, d, id, lo, hi, false, r);
    for (int c = 0; c < nc; c++) {
        d2[c] = r[c].sqq > 0 ? R(r[c].sxq / r[c].sqq) : 0;
        id2[c] = inv(d2[c]);
    }
    if (mult)
        sym_eval(x, w, n, 1 + N_MULT, d2, id2, lo, hi, false, r2);
    else
        sym_eval(x, w, n, 1, d2, id2, lo, hi, false, r2);
    float best_d = d[0];
    sym_t best = r[0];
    for (int c = 0; c < nc; c++) {
        if (r[c].err < best.err) {
            best = r[c];
            best_d = d[c];
        }
        if (r[c].sqq > 0 && r2[c].err < best.err) {
            best = r2[c];
            best_d = d2[c];
        }
    }
    if (with_ref && r[nc].err < best.err)
        return (sym_pick){dr, true};
    return (sym_pick){best_d, false};
}

/* levels of x for d (symmetric, stored with offset -lo) and what they decode to (deq NULL: not wanted) */
static void sym_levels(const float *x, int n, float d, float lo, float hi, uint8_t *L, float *deq)
{
    const v8 vid = v_set(inv(d)), vd = v_set(d), vlo = v_set(lo), vhi = v_set(hi);
    float q[8];
    for (int j = 0; j < n; j += 8) {
        const v8 vq = sym_q(v_load(x + j), vid, vlo, vhi, false);
        if (deq)
            v_store(deq + j, v_mul(vd, vq));
        v_store(q, v_sub(vq, vlo));
        for (int l = 0; l < 8; l++)
            L[j + l] = (uint8_t)(int)q[l];
    }
}

/* ---- affine fit --------------------------------------------------------------------------------------- */

typedef struct {
    float err, sw, sx, sq, sqq, sxq;
} aff_t;

static inline v8 aff_q(v8 v, v8 vm, v8 vid, v8 vmax, bool away)
{
    const v8 s = v_mul(v_sub(v, vm), vid);
    return away ? v_clamp(v_round_away(s), v_zero(), vmax) : v_rne(v_clamp(s, v_zero(), vmax));
}

/* Errors of x ~ d[c] * q + m[c] for k candidates, q from (x - ml[c]) * id[c] (the reference's unrounded
 * m and 1/d for its block, the last one when away), with the sums a refit needs. */
static inline void aff_eval(const float *x, const float *w, int n, int k, const float *d, const float *m, const float *id,
                            const float *ml, float nmax, bool away, aff_t *out)
{
    const v8 vmax = v_set(nmax);
    v8 e[MAX_CAND], sq[MAX_CAND], sqq[MAX_CAND], sxq[MAX_CAND], sw = v_zero(), sx = sw;
    for (int c = 0; c < k; c++)
        e[c] = sq[c] = sqq[c] = sxq[c] = v_zero();
    for (int j = 0; j < n; j += 8) {
        const v8 v = v_load(x + j), ww = v_w(w, j), wv = v_mul(ww, v);
        sw = v_add(sw, ww);
        sx = v_add(sx, wv);
        for (int c = 0; c < k; c++) {
            const v8 q = aff_q(v, v_set(ml[c]), v_set(id[c]), vmax, away && c == k - 1);
            const v8 er = v_sub(v, v_add(v_set(m[c]), v_mul(v_set(d[c]), q)));
            const v8 wq = v_mul(ww, q);
            e[c] = v_add(e[c], v_mul(v_mul(ww, er), er));
            sq[c] = v_add(sq[c], wq);
            sqq[c] = v_add(sqq[c], v_mul(wq, q));
            sxq[c] = v_add(sxq[c], v_mul(wv, q));
        }
    }
    const float tw = v_sum(sw), tx = v_sum(sx);
    for (int c = 0; c < k; c++)
        out[c] = (aff_t){v_sum(e[c]), tw, tx, v_sum(sq[c]), v_sum(sqq[c]), v_sum(sxq[c])};
}

/* Only the errors, of up to 9 candidates (a K-quant group's scale and min levels +-1). */
static inline void aff_err(const float *x, const float *w, int n, int k, const float *d, const float *m, float nmax,
                           float *err)
{
    const v8 vmax = v_set(nmax);
    v8 e[9];
    for (int c = 0; c < k; c++)
        e[c] = v_zero();
    for (int j = 0; j < n; j += 8) {
        const v8 v = v_load(x + j), ww = v_w(w, j);
        for (int c = 0; c < k; c++) {
            const v8 q = aff_q(v, v_set(m[c]), v_set(inv(d[c])), vmax, false);
            const v8 er = v_sub(v, v_add(v_set(m[c]), v_mul(v_set(d[c]), q)));
            e[c] = v_add(e[c], v_mul(v_mul(ww, er), er));
        }
    }
    for (int c = 0; c < k; c++)
        err[c] = v_sum(e[c]);
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

typedef struct {
    float d, m;
    bool ref; /* the reference block (range [min, max] onto [0, nmax]) is better */
} aff_pick;

/* Best d > 0 and m for levels [0, nmax]; kmin: m <= 0 (the K-quants store -m as a non-negative min);
 * ref: also weigh the plain reference block (Q4_1, Q5_1). */
static inline __attribute__((always_inline)) aff_pick aff_fit(const float *x, const float *w, int n, float nmax, bool kmin,
                                                              float (*R)(float), bool ref)
{
    float mn, mx;
    min_max(x, n, &mn, &mx);
    const float ref_mn = mn, ref_d = (mx - mn) / nmax;
    if (kmin && mn > 0)
        mn = 0;
    const float d0 = (mx - mn) / nmax;
    if (R(d0) == 0)
        return (aff_pick){0, R(mn), false};
    /* as sym_fit: the scales (and the reference), then their refits, judged in the order scale, refit, ... */
    enum { NC = 1 + N_MULT };
    float d[NC + 1], m[NC + 1], id[NC + 1], ml[NC + 1], d2[NC], m2[NC], id2[NC];
    bool ok2[NC];
    aff_t r[NC + 1], r2[NC];
    for (int c = 0; c < NC; c++) {
        d[c] = R(c == 0 ? d0 : d0 * MULT[c - 1]);
        m[c] = ml[c] = R(mn);
        id[c] = inv(d[c]);
    }
    d[NC] = R(ref_d);
    m[NC] = R(ref_mn);
    id[NC] = inv(ref_d);
    ml[NC] = ref_mn;
    if (ref)
        aff_eval(x, w, n, NC + 1, d, m, id, ml, nmax, true, r);
    else
        aff_eval(x, w, n, NC, d, m, id, ml, nmax, false, r);
    for (int c = 0; c < NC; c++) {
        ok2[c] = aff_refit(&r[c], kmin, &d2[c], &m2[c]);
        if (ok2[c]) {
            d2[c] = R(d2[c]);
            m2[c] = R(m2[c]);
            if (kmin && m2[c] > 0)
                m2[c] = 0;
            ok2[c] = d2[c] > 0;
        }
        if (!ok2[c]) {
            d2[c] = d[c];
            m2[c] = m[c];
        }
        id2[c] = inv(d2[c]);
    }
    aff_eval(x, w, n, NC, d2, m2, id2, m2, nmax, false, r2);
    float best_d = d[0], best_m = m[0], best = r[0].err;
    for (int c = 0; c < NC; c++) {
        if (r[c].err < best) {
            best = r[c].err;
            best_d = d[c];
            best_m = m[c];
        }
        if (ok2[c] && r2[c].err < best) {
            best = r2[c].err;
            best_d = d2[c];
            best_m = m2[c];
        }
    }
    if (ref && r[NC].err < best)
        return (aff_pick){ref_d, ref_mn, true};
    return (aff_pick){best_d, best_m, false};
}

static void aff_levels(const float *x, int n, float d, float m, float nmax, uint8_t *L, float *deq)
{
    const v8 vid = v_set(inv(d)), vd = v_set(d), vm = v_set(m), vmax = v_set(nmax);
    float q[8];
    for (int j = 0; j < n; j += 8) {
        const v8 vq = aff_q(v_load(x + j), vm, vid, vmax, false);
        if (deq)
            v_store(deq + j, v_add(vm, v_mul(vd, vq)));
        v_store(q, vq);
        for (int l = 0; l < 8; l++)
            L[j + l] = (uint8_t)(int)q[l];
    }
}

/* ---- the reference quantizers ------------------------------------------------------------------------ */

/* What the traits table (quant.c) lists as each type's reference pair, called directly: the table is
 * built on this file (the plain Q2_K and Q3_K are here), so this file does not look them up in it. */
static void q2_K_make(const float *x, const float *w, void *out, bool search);
static void q3_K_make(const float *x, const float *w, void *out, bool search);

static void ref_quantize(uint32_t type, const float *x, void *y, int64_t n)
{
    switch (type) {
    case EL_TYPE_F32: memcpy(y, x, (size_t)n * 4); break;
    case EL_TYPE_F16: el_row_f32_to_f16_ref(x, y, (size_t)n); break;
    case EL_TYPE_BF16: el_row_f32_to_bf16_ref(x, y, (size_t)n); break;
    case EL_TYPE_Q4_0: quantize_row_q4_0_ref(x, y, n); break;
    case EL_TYPE_Q4_1: quantize_row_q4_1_ref(x, y, n); break;
    case EL_TYPE_Q5_0: quantize_row_q5_0_ref(x, y, n); break;
    case EL_TYPE_Q5_1: quantize_row_q5_1_ref(x, y, n); break;
    case EL_TYPE_Q8_0: quantize_row_q8_0_ref(x, y, n); break;
    case EL_TYPE_Q2_K:
        for (int64_t i = 0; i < n / QK_K; i++)
            q2_K_make(x + i * QK_K, NULL, (block_q2_K *)y + i, false);
        break;
    case EL_TYPE_Q3_K:
        for (int64_t i = 0; i < n / QK_K; i++)
            q3_K_make(x + i * QK_K, NULL, (block_q3_K *)y + i, false);
        break;
    case EL_TYPE_Q4_K: quantize_row_q4_K_ref(x, y, n); break;
    case EL_TYPE_Q5_K: quantize_row_q5_K_ref(x, y, n); break;
    case EL_TYPE_Q6_K: quantize_row_q6_K_ref(x, y, n); break;
    }
}

static void ref_dequantize(uint32_t type, const void *x, float *y, int64_t n)
{
    switch (type) {
    case EL_TYPE_F32: memcpy(y, x, (size_t)n * 4); break;
    case EL_TYPE_F16: el_row_f16_to_f32(x, y, (size_t)n); break;
    case EL_TYPE_BF16: el_row_bf16_to_f32(x, y, (size_t)n); break;
    case EL_TYPE_Q4_0: dequantize_row_q4_0(x, y, n); break;
    case EL_TYPE_Q4_1: dequantize_row_q4_1(x, y, n); break;
    case EL_TYPE_Q5_0: dequantize_row_q5_0(x, y, n); break;
    case EL_TYPE_Q5_1: dequantize_row_q5_1(x, y, n); break;
    case EL_TYPE_Q8_0: dequantize_row_q8_0(x, y, n); break;
    case EL_TYPE_Q2_K: dequantize_row_q2_K(x, y, n); break;
    case EL_TYPE_Q3_K: dequantize_row_q3_K(x, y, n); break;
    case EL_TYPE_Q4_K: dequantize_row_q4_K(x, y, n); break;
    case EL_TYPE_Q5_K: dequantize_row_q5_K(x, y, n); break;
    case EL_TYPE_Q6_K: dequantize_row_q6_K(x, y, n); break;
    }
}

/* ---- 32-element blocks ---------------------------------------------------------------------------------- */

/* A 32-element type: symmetric levels [lo, hi] or affine 0..hi, the multiplied scales it tries, and the
 * reference block's scale (symmetric types). */
typedef struct {
    uint32_t type;
    bool affine;
    float lo, hi;
    bool mult;
    int ref;
} b32_spec;

enum { B_Q4_0, B_Q5_0, B_Q8_0, B_Q4_1, B_Q5_1, N_B32 };
static const b32_spec B32[N_B32] = {
    [B_Q4_0] = {EL_TYPE_Q4_0, false, -8, 7, true, REF_EXTREME},
    [B_Q5_0] = {EL_TYPE_Q5_0, false, -16, 15, true, REF_EXTREME},
    [B_Q8_0] = {EL_TYPE_Q8_0, false, -127, 127, false, REF_AMAX}, /* 255 levels: only the refit pays */
    [B_Q4_1] = {EL_TYPE_Q4_1, true, 0, 15, true, REF_NONE}, /* (affine: always the multiples and the reference) */
    [B_Q5_1] = {EL_TYPE_Q5_1, true, 0, 31, true, REF_NONE},
};

static int index32(uint32_t type)
{
    for (int i = 0; i < N_B32; i++)
        if (B32[i].type == type)
            return i;
    return -1;
}

/* Block y for x under importances w (NULL: all 1), and what it decodes to into deq. Always inlined, and
 * called with a constant s (block32_of), so each type's levels and candidate counts fold into its loops. */
static inline __attribute__((always_inline)) void block32(const b32_spec *s, const float *x, const float *w, void *y,
                                                           float *deq)
{
    float d, m = 0;
    bool ref;
    if (s->affine) {
        const aff_pick p = aff_fit(x, w, 32, s->hi, false, f16r, true);
        d = p.d;
        m = p.m;
        ref = p.ref;
    } else {
        const sym_pick p = sym_fit(x, w, 32, s->lo, s->hi, s->mult, f16r, s->ref);
        d = p.d;
        ref = p.ref;
    }
    if (ref) { /* the reference quantizer writes its own block */
        ref_quantize(s->type, x, y, 32);
        ref_dequantize(s->type, y, deq, 32);
        return;
    }
    uint8_t L[32];
    if (s->affine)
        aff_levels(x, 32, d, m, s->hi, L, deq);
    else
        sym_levels(x, 32, d, s->lo, s->hi, L, deq);
    const uint16_t d16 = el_f32_to_f16(d), m16 = el_f32_to_f16(m);
    switch (s->type) {
    case EL_TYPE_Q4_0: {
        block_q4_0 *b = y;
        b->d = d16;
        el_pack_nibbles(b->qs, L);
        break;
    }
    case EL_TYPE_Q5_0: {
        block_q5_0 *b = y;
        b->d = d16;
        el_pack_nibbles(b->qs, L);
        el_pack_fifth_bits(b->qh, L);
        break;
    }
    case EL_TYPE_Q8_0: {
        block_q8_0 *b = y;
        b->d = d16;
        for (int j = 0; j < 32; j++)
            b->qs[j] = (int8_t)(L[j] - 127);
        break;
    }
    case EL_TYPE_Q4_1: {
        block_q4_1 *b = y;
        b->d = d16;
        b->m = m16;
        el_pack_nibbles(b->qs, L);
        break;
    }
    default: { /* Q5_1 */
        block_q5_1 *b = y;
        b->d = d16;
        b->m = m16;
        el_pack_nibbles(b->qs, L);
        el_pack_fifth_bits(b->qh, L);
        break;
    }
    }
}

static void block32_of(int k, const float *x, const float *w, void *y, float *deq)
{
    switch (k) {
    case B_Q4_0: block32(&B32[B_Q4_0], x, w, y, deq); break;
    case B_Q5_0: block32(&B32[B_Q5_0], x, w, y, deq); break;
    case B_Q8_0: block32(&B32[B_Q8_0], x, w, y, deq); break;
    case B_Q4_1: block32(&B32[B_Q4_1], x, w, y, deq); break;
    default: block32(&B32[B_Q5_1], x, w, y, deq); break;
    }
}

/* ---- super-blocks of 256 -------------------------------------------------------------------------------- */

/*
 * K-quant with affine groups (Q2_K: 16 groups of 16, 4-bit scale levels; Q4_K/Q5_K: 8 of 32, 6-bit).
 * Out: f16 d and dmin, scale and min levels, value levels. search: fit each group; else plain range.
 * A group decodes as ds * q - dm with ds = d * scale level, dm = dmin * min level.
 */
static void k_affine(const float *x, const float *w, int gs, float nmax, int smax, bool search, uint16_t *d16,
                     uint16_t *dmin16, uint8_t *ls, uint8_t *lm, uint8_t *L)
{
    const int ng = QK_K / gs;
    float sc[16], mn[16], max_sc = 0, max_mn = 0;
    for (int g = 0; g < ng; g++) {
        if (search) {
            const aff_pick p = aff_fit(x + g * gs, w_at(w, g * gs), gs, nmax, true, keep, false);
            sc[g] = p.d;
            mn[g] = -p.m;
        } else {
            float lo, hi;
            min_max(x + g * gs, gs, &lo, &hi);
            lo = lo < 0 ? lo : 0;
            sc[g] = (hi - lo) / nmax;
            mn[g] = -lo;
        }
        /* not fmaxf: which zero it returns for (0, -0) depends on the build, and the sign is stored */
        max_sc = sc[g] > max_sc ? sc[g] : max_sc;
        max_mn = mn[g] > max_mn ? mn[g] : max_mn;
    }
    *d16 = el_f32_to_f16(max_sc / (float)smax);
    *dmin16 = el_f32_to_f16(max_mn / (float)smax);
    const float d = el_f16_to_f32(*d16), dmin = el_f16_to_f32(*dmin16);
    for (int g = 0; g < ng; g++) {
        const float *xg = x + g * gs, *wg = w_at(w, g * gs);
        int s = d > 0 ? (int)rne1(clampf(sc[g] / d, 0, (float)smax)) : 0;
        int mm = dmin > 0 ? (int)rne1(clampf(mn[g] / dmin, 0, (float)smax)) : 0;
        if (search) {
            /* this level pair first, then its neighbours, a later one kept only when strictly better; a
             * neighbour out of range stands in as a copy of the first (it ties, so it is never kept) */
            float cd[9], cm[9], ce[9];
            int cs[9] = {s}, cmm[9] = {mm}, k = 1;
            for (int a = -1; a <= 1; a++)
                for (int b = -1; b <= 1; b++) {
                    if (a == 0 && b == 0)
                        continue;
                    const bool in = s + a >= 1 && s + a <= smax && mm + b >= 0 && mm + b <= smax;
                    cs[k] = in ? s + a : s;
                    cmm[k++] = in ? mm + b : mm;
                }
            for (int c = 0; c < 9; c++) {
                cd[c] = d * (float)cs[c];
                cm[c] = -(dmin * (float)cmm[c]);
            }
            aff_err(xg, wg, gs, 9, cd, cm, nmax, ce);
            int bi = 0;
            for (int c = 1; c < 9; c++)
                if (ce[c] < ce[bi])
                    bi = c;
            s = cs[bi];
            mm = cmm[bi];
        }
        ls[g] = (uint8_t)s;
        lm[g] = (uint8_t)mm;
        aff_levels(xg, gs, d * (float)s, -(dmin * (float)mm), nmax, L + g * gs, NULL);
    }
}

/* K-quant with symmetric groups of 16 (Q3_K: q in [-4, 3], scales [-32, 31]; Q6_K: [-32, 31], [-128, 127]). */
static void k_sym(const float *x, const float *w, float lo, float hi, float slo, float shi, bool search, uint16_t *d16,
                  int8_t *sl, int8_t *L)
{
    float sc[16], max_sc = 0, amax_sc = 0;
    for (int g = 0; g < 16; g++) {
        sc[g] = search ? sym_fit(x + 16 * g, w_at(w, 16 * g), 16, lo, hi, true, keep, REF_NONE).d : extreme(x + 16 * g, 16) / lo;
        if (fabsf(sc[g]) > amax_sc) {
            amax_sc = fabsf(sc[g]);
            max_sc = sc[g];
        }
    }
    *d16 = el_f32_to_f16(max_sc / slo);
    const float d = el_f16_to_f32(*d16);
    for (int g = 0; g < 16; g++) {
        const float *xg = x + 16 * g, *wg = w_at(w, 16 * g);
        int s = d != 0 ? (int)rne1(clampf(sc[g] / d, slo, shi)) : 0;
        if (search) {
            /* s, then s - 1 and s + 1 (out of range: a copy of s) */
            float cd[3], ci[3];
            sym_t ce[3];
            const int cs[3] = {s, s - 1 >= slo ? s - 1 : s, s + 1 <= shi ? s + 1 : s};
            for (int c = 0; c < 3; c++) {
                cd[c] = d * (float)cs[c];
                ci[c] = inv(cd[c]);
            }
            sym_eval(xg, wg, 16, 3, cd, ci, lo, hi, false, ce);
            int bi = 0;
            for (int c = 1; c < 3; c++)
                if (ce[c].err < ce[bi].err)
                    bi = c;
            s = cs[bi];
        }
        sl[g] = (int8_t)s;
        uint8_t U[16];
        sym_levels(xg, 16, d * (float)s, lo, hi, U, NULL);
        for (int j = 0; j < 16; j++)
            L[16 * g + j] = (int8_t)(U[j] + (int)lo);
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

static void q6_K_make(const float *x, const float *w, void *out)
{
    block_q6_K *y = out;
    int8_t sl[16], L[QK_K];
    k_sym(x, w, -32, 31, -128, 127, true, &y->d, sl, L);
    memcpy(y->scales, sl, 16);
    el_q6_K_pack_qs(y, L);
}

static float block_err(const float *x, const float *w, const float *deq, int n)
{
    v8 e = v_zero();
    for (int j = 0; j < n; j += 8) {
        const v8 d = v_sub(v_load(x + j), v_load(deq + j));
        e = v_add(e, v_mul(v_mul(v_w(w, j), d), d));
    }
    return v_sum(e);
}

/* The searched super-block, or the reference quantizer's when that is better (the K-quants' references are
 * their own procedures, so they are run and compared rather than folded into the search). */
static void k_guarded(uint32_t type, const float *x, const float *w, void *y, float *deq)
{
    uint8_t ref[sizeof(block_q6_K) + sizeof(block_q5_K)];
    float deq_ref[QK_K];
    switch (type) {
    case EL_TYPE_Q2_K: q2_K_make(x, w, y, true); break;
    case EL_TYPE_Q3_K: q3_K_make(x, w, y, true); break;
    case EL_TYPE_Q4_K: k4_make(x, w, y, false); break;
    case EL_TYPE_Q5_K: k4_make(x, w, y, true); break;
    default: q6_K_make(x, w, y); break;
    }
    ref_quantize(type, x, ref, QK_K);
    ref_dequantize(type, y, deq, QK_K);
    ref_dequantize(type, ref, deq_ref, QK_K);
    if (block_err(x, w, deq_ref, QK_K) < block_err(x, w, deq, QK_K)) {
        memcpy(y, ref, el_type_get(type)->type_size);
        memcpy(deq, deq_ref, sizeof deq_ref);
    }
}

/* ---- the row ---------------------------------------------------------------------------------------------- */

static bool is_k(uint32_t type)
{
    return type == EL_TYPE_Q2_K || type == EL_TYPE_Q3_K || type == EL_TYPE_Q4_K || type == EL_TYPE_Q5_K || type == EL_TYPE_Q6_K;
}

static bool is_iq4(uint32_t type) { return type == EL_TYPE_IQ4_NL || type == EL_TYPE_IQ4_XS; }

static bool row_best(uint32_t type, const float *x, void *y, int64_t n, const float *w, float *deq_out)
{
    const int b32 = index32(type);
    if (is_iq4(type)) { /* quant/iq4.c: plain C, one build */
        const int bs = type == EL_TYPE_IQ4_NL ? 32 : QK_K;
        for (int64_t i = 0; i < n / bs; i++) {
            const float *xb = x + i * bs, *wb = w ? w + i * bs : NULL;
            float *db = deq_out ? deq_out + i * bs : NULL;
            if (type == EL_TYPE_IQ4_NL)
                el_iq4_nl_block(xb, wb, (block_iq4_nl *)y + i, db);
            else
                el_iq4_xs_block(xb, wb, (block_iq4_xs *)y + i, db);
        }
        return true;
    }
    if (b32 < 0 && !is_k(type)) {
        if (!(type == EL_TYPE_F32 || type == EL_TYPE_F16 || type == EL_TYPE_BF16))
            return false;
        ref_quantize(type, x, y, n);
        if (deq_out)
            ref_dequantize(type, y, deq_out, n);
        return true;
    }
    const el_type_info *ti = el_type_get(type);
    const int bs = (int)ti->block_size;
    float deq[QK_K];
    for (int64_t i = 0; i < n / bs; i++) {
        /* the imatrix as it is: the mean square of the activation meeting each column is the diagonal
         * of E[a a^T], so sum_j w_j e_j^2 is the expected squared error of the matrix's output when
         * the activations are uncorrelated. (ggml's extra factor sqrt(s2 + x_j^2) was tried: on
         * stories260K it raised Q4_0's KL divergence; docs/quantize.md.) */
        float wn[QK_K];
        const float *xb = x + i * bs, *wb = el_importances_relative(w ? w + i * bs : NULL, bs, wn);
        uint8_t *yb = (uint8_t *)y + (size_t)i * ti->type_size;
        float *db = deq_out ? deq_out + i * bs : deq;
        if (b32 >= 0)
            block32_of(b32, xb, wb, yb, db);
        else
            k_guarded(type, xb, wb, yb, db);
    }
    return true;
}

static void row_error(const float *x, const float *deq, int64_t n, double *sse, double *max_abs)
{
    double s = 0;
    v8 m = v_zero();
    int64_t j = 0;
    for (; j + 32 <= n; j += 32) {
        v8 e = v_zero();
        for (int k = 0; k < 32; k += 8) {
            const v8 d = v_sub(v_load(x + j + k), v_load(deq + j + k));
            e = v_add(e, v_mul(d, d));
            m = v_max(m, v_abs(d));
        }
        s += v_sum(e);
    }
    float mx = v_hmax(m);
    for (; j < n; j++) {
        const float d = x[j] - deq[j];
        s += (double)d * d;
        mx = fabsf(d) > mx ? fabsf(d) : mx;
    }
    *sse = s;
    *max_abs = mx;
}

#ifdef EL_SEARCH_ENTRY
/* this file built again for another instruction set (search_avx2.c) or without SIMD (tests/quant_scalar.c) */
bool EL_SEARCH_ENTRY(uint32_t type, const float *x, void *y, int64_t n, const float *w, float *deq_out);
void EL_SEARCH_ERROR_ENTRY(const float *x, const float *deq, int64_t n, double *sse, double *max_abs);
bool EL_SEARCH_ENTRY(uint32_t type, const float *x, void *y, int64_t n, const float *w, float *deq_out)
{
    return row_best(type, x, y, n, w, deq_out);
}
void EL_SEARCH_ERROR_ENTRY(const float *x, const float *deq, int64_t n, double *sse, double *max_abs)
{
    row_error(x, deq, n, sse, max_abs);
}
#else

#if defined(__x86_64__) && !defined(EL_QUANT_SCALAR)
#define EL_HAVE_AVX2_SEARCH 1
bool el_quantize_row_best_avx2(uint32_t type, const float *x, void *y, int64_t n, const float *w, float *deq_out);
void el_quant_row_error_avx2(const float *x, const float *deq, int64_t n, double *sse, double *max_abs);
#endif

bool el_quant_can_write(uint32_t type)
{
    return type == EL_TYPE_F32 || type == EL_TYPE_F16 || type == EL_TYPE_BF16 || index32(type) >= 0 || is_k(type) ||
           is_iq4(type);
}

bool el_quantize_row_best(uint32_t type, const float *x, void *y, int64_t n, const float *w, float *deq_out)
{
#ifdef EL_HAVE_AVX2_SEARCH
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c"))
        return el_quantize_row_best_avx2(type, x, y, n, w, deq_out);
#endif
    return row_best(type, x, y, n, w, deq_out);
}

bool el_quantize_row_best_base(uint32_t type, const float *x, void *y, int64_t n, const float *w, float *deq_out)
{
    return row_best(type, x, y, n, w, deq_out);
}

void el_quant_row_error(const float *x, const float *deq, int64_t n, double *sse, double *max_abs)
{
#ifdef EL_HAVE_AVX2_SEARCH
    if (__builtin_cpu_supports("avx2")) {
        el_quant_row_error_avx2(x, deq, n, sse, max_abs);
        return;
    }
#endif
    row_error(x, deq, n, sse, max_abs);
}

void el_quantize_row_q2_K_plain(const float *x, void *y, int64_t n)
{
    for (int64_t i = 0; i < n / QK_K; i++)
        q2_K_make(x + i * QK_K, NULL, (block_q2_K *)y + i, false);
}

void el_quantize_row_q3_K_plain(const float *x, void *y, int64_t n)
{
    for (int64_t i = 0; i < n / QK_K; i++)
        q3_K_make(x + i * QK_K, NULL, (block_q3_K *)y + i, false);
}
#endif
