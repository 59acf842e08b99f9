/*
 * engine/kernels/gemm_neon.c - matrix x matrix on aarch64 (see gemm.h), built three times:
 *
 *  - "neon" (armv8-a baseline, this file alone): float types only (F32/F16/BF16 panels of f32,
 *    16 rows x up to 4 tokens of FMLA); integer types answer panel_bytes 0, so the caller runs
 *    the decode kernels per token for them.
 *  - "neon_dotprod" (gemm_neon_dotprod.c, -march=armv8.2-a+dotprod): the integer types too, on
 *    the shared panels (16 rows interleaved 4 bytes at a time): one 16-byte vector is 4 rows x
 *    4 quants, multiplied by 4 quants of one token with SDOT by element (vdotq_laneq_s32).
 *  - "neon_i8mm" (gemm_neon_i8mm.c, -march=armv8.2-a+dotprod+i8mm): the integer types with the
 *    int8 matrix multiply SMMLA (vmmlaq_s32: a 2x8 by 8x2 product into a 2x2 int32 tile). Its
 *    panels interleave 8 bytes at a time (el_gemm_pack_w_il), so one vector is 2 rows x 8 quants;
 *    two tokens' 8 quants make the other operand, and one instruction yields rows r, r+1 x
 *    tokens t, t+1.
 *
 * The quants are packed signed (Q8_0 keeps its sign, the other types' unsigned quants are below
 * 64), so the signed products are exact; the type's offset comes back through the activation's
 * -off x sum term, as on x86. Each group's integer sum is then scaled exactly as the x86 kernels do
 * (acc += (sum x row scale) x token scale, then acc += row min x token sum, fused), in group
 * order, with one accumulator per row and token: a row's result does not depend on the tile or
 * the batch, and equals what gemm_avx2.c / gemm_avx512.c compute for the same panel
 * (tests/cross/determinism.sh compares the whole pipeline across the two architectures).
 */
#include "engine/kernels/gemm.h"

#if defined(__aarch64__) && defined(__ARM_NEON)
#include <arm_neon.h>
#include <string.h>

#include "formats/ggml_type.h"

#if defined(EL_NEON_I8MM)
#if !defined(__ARM_FEATURE_MATMUL_INT8) || !defined(__ARM_FEATURE_DOTPROD)
#error "gemm_neon_i8mm.c needs -march=armv8.2-a+dotprod+i8mm (see the Makefile)"
#endif
#define OPS el_gemm_neon_i8mm_ops
#define INT_GEMM 1
#define IL 8
#elif defined(EL_NEON_DOTPROD)
#if !defined(__ARM_FEATURE_DOTPROD)
#error "gemm_neon_dotprod.c needs -march=armv8.2-a+dotprod (see the Makefile)"
#endif
#define OPS el_gemm_neon_dotprod_ops
#define INT_GEMM 1
#define IL 4
#else
#define OPS el_gemm_neon_ops
#define INT_GEMM 0
#define IL 4
#endif

static void store_rows(float *y, const float32x4_t acc[4], int nr)
{
    float out[16];
    for (int j = 0; j < 4; j++)
        vst1q_f32(out + 4 * j, acc[j]);
    memcpy(y, out, (size_t)nr * sizeof(float));
}

/* ---- float types: 16 rows x NT tokens, one FMA chain per row and token (as gemm_avx2.c) ---------------- */

static inline __attribute__((always_inline)) void ftile(const int NT, int64_t n, const float *panel, const uint8_t *acts,
                                                         size_t as, int nr, float *y, size_t ldy)
{
    float32x4_t acc[4][4];
    const float *a[4];
#pragma GCC unroll 4
    for (int t = 0; t < NT; t++) {
        a[t] = (const float *)(const void *)(acts + (size_t)t * as);
        for (int j = 0; j < 4; j++)
            acc[t][j] = vdupq_n_f32(0);
    }
    for (int64_t k = 0; k < n; k++) {
        const float *pk = panel + 16 * k;
        const float32x4_t w0 = vld1q_f32(pk), w1 = vld1q_f32(pk + 4), w2 = vld1q_f32(pk + 8), w3 = vld1q_f32(pk + 12);
#pragma GCC unroll 4
        for (int t = 0; t < NT; t++) {
            const float b = a[t][k];
            acc[t][0] = vfmaq_n_f32(acc[t][0], w0, b);
            acc[t][1] = vfmaq_n_f32(acc[t][1], w1, b);
            acc[t][2] = vfmaq_n_f32(acc[t][2], w2, b);
            acc[t][3] = vfmaq_n_f32(acc[t][3], w3, b);
        }
    }
#pragma GCC unroll 4
    for (int t = 0; t < NT; t++)
        store_rows(y + (size_t)t * ldy, acc[t], nr);
}

static void frun(int64_t n, const float *panel, int nr, const uint8_t *acts, size_t as, int nt, float *y, size_t ldy)
{
    for (int t0 = 0; t0 < nt; t0 += 4) {
        const int m = nt - t0 < 4 ? nt - t0 : 4;
        const uint8_t *a = acts + (size_t)t0 * as;
        float *yt = y + (size_t)t0 * ldy;
        switch (m) {
        case 4: ftile(4, n, panel, a, as, nr, yt, ldy); break;
        case 3: ftile(3, n, panel, a, as, nr, yt, ldy); break;
        case 2: ftile(2, n, panel, a, as, nr, yt, ldy); break;
        default: ftile(1, n, panel, a, as, nr, yt, ldy); break;
        }
    }
}

/* ---- integer types ------------------------------------------------------------------------------------ */

#if INT_GEMM
/* One token's terms of group g: -off x sum, scale, scale x sum (the packed activation row, gemm.h) */
typedef struct {
    int32_t nos;
    float da, das;
} act_terms;

static inline act_terms terms(const uint8_t *a, const el_gemm_act_layout *L, int64_t g)
{
    act_terms r;
    memcpy(&r.nos, a + L->nos + 4 * g, 4);
    memcpy(&r.da, a + L->da + 4 * g, 4);
    memcpy(&r.das, a + L->das + 4 * g, 4);
    return r;
}

#if defined(EL_NEON_I8MM)
/* Rows 0-15 x tokens a0, a1 (the same pointer for a lone last token). SMMLA tile p holds rows
 * 2p, 2p+1 x the two tokens: lanes (r0 t0, r0 t1, r1 t0, r1 t1). */
static inline __attribute__((always_inline)) void qpair(const int G, const bool has_min, int64_t ng, const uint8_t *panel,
                                                         const uint8_t *a0, const uint8_t *a1, const el_gemm_act_layout *L,
                                                         int nr, float *y0, float *y1)
{
    const size_t gb = (size_t)G * 16 + 128;
    float32x4_t acc[8];
    for (int p = 0; p < 8; p++)
        acc[p] = vdupq_n_f32(0);
    for (int64_t g = 0; g < ng; g++) {
        const uint8_t *pg = panel + (size_t)g * gb;
        const act_terms t0 = terms(a0, L, g), t1 = terms(a1, L, g);
        const int32_t ni[4] = {t0.nos, t1.nos, t0.nos, t1.nos};
        const float dai[4] = {t0.da, t1.da, t0.da, t1.da}, dasi[4] = {t0.das, t1.das, t0.das, t1.das};
        const int32x4_t n0 = vld1q_s32(ni);
        int32x4_t s[8];
        for (int p = 0; p < 8; p++)
            s[p] = n0;
        const int8_t *q0 = (const int8_t *)a0 + (size_t)g * (size_t)G, *q1 = (const int8_t *)a1 + (size_t)g * (size_t)G;
#pragma GCC unroll 4
        for (int c = 0; c < G / 8; c++) {
            const int8x16_t b = vcombine_s8(vld1_s8(q0 + 8 * c), vld1_s8(q1 + 8 * c));
            const int8_t *pw = (const int8_t *)(pg + 128 * c);
#pragma GCC unroll 8
            for (int p = 0; p < 8; p++)
                s[p] = vmmlaq_s32(s[p], vld1q_s8(pw + 16 * p), b);
        }
        const float *scp = (const float *)(const void *)(pg + (size_t)G * 16);
        const float32x4_t vda = vld1q_f32(dai), vdas = vld1q_f32(dasi);
#pragma GCC unroll 4
        for (int j = 0; j < 4; j++) {
            const float32x4_t sc = vld1q_f32(scp + 4 * j); /* rows 4j .. 4j+3 */
            const float32x4_t lo = vzip1q_f32(sc, sc), hi = vzip2q_f32(sc, sc);
            acc[2 * j] = vfmaq_f32(acc[2 * j], vmulq_f32(vcvtq_f32_s32(s[2 * j]), lo), vda);
            acc[2 * j + 1] = vfmaq_f32(acc[2 * j + 1], vmulq_f32(vcvtq_f32_s32(s[2 * j + 1]), hi), vda);
            if (has_min) {
                const float32x4_t mn = vld1q_f32(scp + 16 + 4 * j);
                acc[2 * j] = vfmaq_f32(acc[2 * j], vzip1q_f32(mn, mn), vdas);
                acc[2 * j + 1] = vfmaq_f32(acc[2 * j + 1], vzip2q_f32(mn, mn), vdas);
            }
        }
    }
    float32x4_t r0[4], r1[4];
    for (int j = 0; j < 4; j++) {
        r0[j] = vuzp1q_f32(acc[2 * j], acc[2 * j + 1]);
        r1[j] = vuzp2q_f32(acc[2 * j], acc[2 * j + 1]);
    }
    store_rows(y0, r0, nr);
    if (y1)
        store_rows(y1, r1, nr);
}

static void qrun(const el_gemm_qinfo *q, int64_t n, const uint8_t *panel, int nr, const uint8_t *acts, size_t as, int nt,
                 float *y, size_t ldy)
{
    const int64_t ng = n / q->group;
    const el_gemm_act_layout L = el_gemm_act_layout_of(q, n);
    for (int t = 0; t < nt; t += 2) {
        const uint8_t *a0 = acts + (size_t)t * as, *a1 = t + 1 < nt ? a0 + as : a0;
        float *y0 = y + (size_t)t * ldy, *y1 = t + 1 < nt ? y0 + ldy : NULL;
        if (q->group == 16)
            qpair(16, false, ng, panel, a0, a1, &L, nr, y0, y1);
        else if (q->min)
            qpair(32, true, ng, panel, a0, a1, &L, nr, y0, y1);
        else
            qpair(32, false, ng, panel, a0, a1, &L, nr, y0, y1);
    }
}
#else
/* s += the 4 rows of w x the 4 quants in lane `lane` of b */
#define SDOT4(s, pw, b, lane)                                                                   \
    do {                                                                                        \
        s[0] = vdotq_laneq_s32(s[0], vld1q_s8((pw)), b, lane);                                  \
        s[1] = vdotq_laneq_s32(s[1], vld1q_s8((pw) + 16), b, lane);                             \
        s[2] = vdotq_laneq_s32(s[2], vld1q_s8((pw) + 32), b, lane);                             \
        s[3] = vdotq_laneq_s32(s[3], vld1q_s8((pw) + 48), b, lane);                             \
    } while (0)

/* Rows 0-15 x NT tokens, one token at a time inside each group (the panel's group stays in L1). */
static inline __attribute__((always_inline)) void qtile(const int G, const int NT, const bool has_min, int64_t ng,
                                                         const uint8_t *panel, const uint8_t *acts, size_t as,
                                                         const el_gemm_act_layout *L, int nr, float *y, size_t ldy)
{
    const size_t gb = (size_t)G * 16 + 128;
    float32x4_t acc[4][4];
#pragma GCC unroll 4
    for (int t = 0; t < NT; t++)
        for (int j = 0; j < 4; j++)
            acc[t][j] = vdupq_n_f32(0);
    for (int64_t g = 0; g < ng; g++) {
        const uint8_t *pg = panel + (size_t)g * gb;
        const float *scp = (const float *)(const void *)(pg + (size_t)G * 16);
#pragma GCC unroll 4
        for (int t = 0; t < NT; t++) {
            const uint8_t *a = acts + (size_t)t * as;
            const act_terms at = terms(a, L, g);
            int32x4_t s[4];
            for (int j = 0; j < 4; j++)
                s[j] = vdupq_n_s32(at.nos);
            const int8_t *qa = (const int8_t *)a + (size_t)g * (size_t)G, *pw = (const int8_t *)pg;
#pragma GCC unroll 2
            for (int c = 0; c < G / 16; c++) {
                const int8x16_t b = vld1q_s8(qa + 16 * c);
                SDOT4(s, pw + 256 * c, b, 0);
                SDOT4(s, pw + 256 * c + 64, b, 1);
                SDOT4(s, pw + 256 * c + 128, b, 2);
                SDOT4(s, pw + 256 * c + 192, b, 3);
            }
            const float32x4_t vda = vdupq_n_f32(at.da), vdas = vdupq_n_f32(at.das);
            for (int j = 0; j < 4; j++) {
                acc[t][j] = vfmaq_f32(acc[t][j], vmulq_f32(vcvtq_f32_s32(s[j]), vld1q_f32(scp + 4 * j)), vda);
                if (has_min)
                    acc[t][j] = vfmaq_f32(acc[t][j], vld1q_f32(scp + 16 + 4 * j), vdas);
            }
        }
    }
#pragma GCC unroll 4
    for (int t = 0; t < NT; t++)
        store_rows(y + (size_t)t * ldy, acc[t], nr);
}

#define QTILE_CASES(G, MIN)                                                                \
    switch (m) {                                                                           \
    case 4: qtile(G, 4, MIN, ng, panel, a, as, &L, nr, yt, ldy); break;                   \
    case 3: qtile(G, 3, MIN, ng, panel, a, as, &L, nr, yt, ldy); break;                   \
    case 2: qtile(G, 2, MIN, ng, panel, a, as, &L, nr, yt, ldy); break;                   \
    default: qtile(G, 1, MIN, ng, panel, a, as, &L, nr, yt, ldy); break;                  \
    }

static void qrun(const el_gemm_qinfo *q, int64_t n, const uint8_t *panel, int nr, const uint8_t *acts, size_t as, int nt,
                 float *y, size_t ldy)
{
    const int64_t ng = n / q->group;
    const el_gemm_act_layout L = el_gemm_act_layout_of(q, n);
    for (int t0 = 0; t0 < nt; t0 += 4) {
        const int m = nt - t0 < 4 ? nt - t0 : 4;
        const uint8_t *a = acts + (size_t)t0 * as;
        float *yt = y + (size_t)t0 * ldy;
        if (q->group == 16) {
            QTILE_CASES(16, false)
        } else if (q->min) {
            QTILE_CASES(32, true)
        } else {
            QTILE_CASES(32, false)
        }
    }
}
#endif
#endif /* INT_GEMM */

/* ---- the interface --------------------------------------------------------------------------------------- */

static size_t panel_bytes(uint32_t type, int64_t n)
{
    if (!INT_GEMM && !el_gemm_is_float(type))
        return 0;
    return el_gemm_panel_bytes(type, n);
}

static void run(uint32_t type, int64_t n, const void *panel, int nr, const uint8_t *acts, size_t as, int nt, float *y,
                size_t ldy)
{
    if (el_gemm_is_float(type)) {
        frun(n, panel, nr, acts, as, nt, y, ldy);
        return;
    }
#if INT_GEMM
    el_gemm_qinfo q;
    el_gemm_qinfo_of(type, true, &q);
    qrun(&q, n, panel, nr, acts, as, nt, y, ldy);
#endif
}

static void pack_w(uint32_t type, int64_t n, const uint8_t *w, size_t stride, int nr, void *panel)
{
    el_gemm_pack_w_il(type, n, w, stride, nr, panel, true, IL);
}

static void pack_a(uint32_t type, int64_t n, const void *a, void *out) { el_gemm_pack_a(type, n, a, out, true); }

const el_gemm OPS = {panel_bytes, pack_w, el_gemm_act_bytes, pack_a, run};
#endif
