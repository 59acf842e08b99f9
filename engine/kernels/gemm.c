/*
 * engine/kernels/gemm.c - packing weights and activations for the matrix x matrix
 * kernels (layouts in gemm.h and gemm_avx512.c), in portable C: the kernels
 * of every instruction set read the same panels.
 *
 * Integer types unpack block by block to unsigned quants (q + the type's
 * offset; Q8_0 keeps its signed quants for kernels that multiply with the
 * sign trick instead of vpdpbusd) and a scale and minimum per group; the
 * quants of the 16 rows are interleaved 4 bytes at a time.
 */
#include "engine/kernels/gemm.h"

#include <string.h>

#include "core/half.h"
#include "formats/ggml_type.h"
#include "quant/blocks.h"

static size_t up64(size_t n) { return (n + 63) & ~(size_t)63; }

/* ---- integer types -------------------------------------------------------------------------------------- */

bool el_gemm_qinfo_of(uint32_t type, bool signed_q8, el_gemm_qinfo *q)
{
    switch (type) {
    case EL_TYPE_Q4_0: *q = (el_gemm_qinfo){32, 8, 32, false}; return true;
    case EL_TYPE_Q5_0: *q = (el_gemm_qinfo){32, 16, 32, false}; return true;
    case EL_TYPE_Q8_0: *q = (el_gemm_qinfo){32, signed_q8 ? 0 : 128, 32, false}; return true;
    case EL_TYPE_Q4_1: *q = (el_gemm_qinfo){32, 0, 32, true}; return true;
    case EL_TYPE_Q5_1: *q = (el_gemm_qinfo){32, 0, 32, true}; return true;
    case EL_TYPE_Q4_K: *q = (el_gemm_qinfo){32, 0, 256, true}; return true;
    case EL_TYPE_Q5_K: *q = (el_gemm_qinfo){32, 0, 256, true}; return true;
    case EL_TYPE_Q6_K: *q = (el_gemm_qinfo){16, 32, 256, false}; return true;
    case EL_TYPE_IQ4_NL: *q = (el_gemm_qinfo){32, signed_q8 ? 0 : 128, 32, false}; return true;
    case EL_TYPE_IQ4_XS: *q = (el_gemm_qinfo){32, signed_q8 ? 0 : 128, 256, false}; return true;
    default: return false;
    }
}

bool el_gemm_is_float(uint32_t type) { return type == EL_TYPE_F32 || type == EL_TYPE_F16 || type == EL_TYPE_BF16; }

/* One block of a row -> unit unsigned quants (q + off) and the scale and minimum of each group. */
static void unpack_unit(uint32_t type, bool signed_q8, const uint8_t *p, uint8_t *u, float *sc, float *mn)
{
    switch (type) {
    case EL_TYPE_Q4_0: {
        const block_q4_0 *x = (const void *)p;
        sc[0] = el_f16_to_f32(x->d);
        mn[0] = 0;
        for (int j = 0; j < 16; j++) {
            u[j] = x->qs[j] & 0xF;
            u[j + 16] = x->qs[j] >> 4;
        }
        break;
    }
    case EL_TYPE_Q5_0:
    case EL_TYPE_Q5_1: {
        const block_q5_1 *x1 = (const void *)p;
        const block_q5_0 *x0 = (const void *)p;
        const uint8_t *qs = type == EL_TYPE_Q5_0 ? x0->qs : x1->qs, *qhp = type == EL_TYPE_Q5_0 ? x0->qh : x1->qh;
        uint32_t qh;
        memcpy(&qh, qhp, 4);
        sc[0] = el_f16_to_f32(type == EL_TYPE_Q5_0 ? x0->d : x1->d);
        mn[0] = type == EL_TYPE_Q5_0 ? 0 : el_f16_to_f32(x1->m);
        for (int j = 0; j < 16; j++) {
            u[j] = (uint8_t)((qs[j] & 0xF) | (((qh >> j) & 1) << 4));
            u[j + 16] = (uint8_t)((qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4));
        }
        break;
    }
    case EL_TYPE_Q8_0: {
        const block_q8_0 *x = (const void *)p;
        sc[0] = el_f16_to_f32(x->d);
        mn[0] = 0;
        for (int j = 0; j < 32; j++)
            u[j] = signed_q8 ? (uint8_t)x->qs[j] : (uint8_t)(x->qs[j] ^ 0x80); /* q, or q + 128 */
        break;
    }
    case EL_TYPE_Q4_1: {
        const block_q4_1 *x = (const void *)p;
        sc[0] = el_f16_to_f32(x->d);
        mn[0] = el_f16_to_f32(x->m);
        for (int j = 0; j < 16; j++) {
            u[j] = x->qs[j] & 0xF;
            u[j + 16] = x->qs[j] >> 4;
        }
        break;
    }
    case EL_TYPE_Q4_K:
    case EL_TYPE_Q5_K: {
        const block_q5_K *x5 = (const void *)p;
        const block_q4_K *x4 = (const void *)p;
        const bool five = type == EL_TYPE_Q5_K;
        const uint8_t *qs = five ? x5->qs : x4->qs, *scales = five ? x5->scales : x4->scales;
        const float d = el_f16_to_f32(five ? x5->d : x4->d), dmin = el_f16_to_f32(five ? x5->dmin : x4->dmin);
        for (int j = 0; j < 8; j++) {
            uint8_t s, m;
            el_k4_scale_min(j, scales, &s, &m);
            sc[j] = d * s;
            mn[j] = -dmin * m;
            const uint8_t *q = qs + 32 * (j / 2);
            for (int l = 0; l < 32; l++) {
                uint8_t v = (j & 1) ? q[l] >> 4 : q[l] & 0xF;
                if (five)
                    v |= (uint8_t)(((x5->qh[l] >> j) & 1) << 4);
                u[32 * j + l] = v;
            }
        }
        break;
    }
    case EL_TYPE_IQ4_NL:
    case EL_TYPE_IQ4_XS: { /* the signed levels (as Q8_0 with signed_q8), or + 128 */
        static const int8_t T[16] = EL_IQ4NL_VALUES;
        const int groups = type == EL_TYPE_IQ4_NL ? 1 : 8;
        const block_iq4_nl *xn = (const void *)p;
        const block_iq4_xs *xx = (const void *)p;
        const float d = el_f16_to_f32(type == EL_TYPE_IQ4_NL ? xn->d : xx->d);
        const uint8_t xor = signed_q8 ? 0 : 0x80;
        for (int g = 0; g < groups; g++) {
            const uint8_t *qs = type == EL_TYPE_IQ4_NL ? xn->qs : xx->qs + 16 * g;
            sc[g] = type == EL_TYPE_IQ4_NL ? d : d * (float)(el_iq4_xs_scale(xx, g) - 32);
            mn[g] = 0;
            for (int j = 0; j < 16; j++) {
                u[32 * g + j] = (uint8_t)T[qs[j] & 0xF] ^ xor;
                u[32 * g + j + 16] = (uint8_t)T[qs[j] >> 4] ^ xor;
            }
        }
        break;
    }
    case EL_TYPE_Q6_K: {
        const block_q6_K *x = (const void *)p;
        const float d = el_f16_to_f32(x->d);
        for (int g = 0; g < 16; g++) {
            sc[g] = d * x->scales[g];
            mn[g] = 0;
        }
        for (int h = 0; h < 2; h++) {
            const uint8_t *ql = x->ql + 64 * h, *qh = x->qh + 32 * h;
            uint8_t *o = u + 128 * h;
            for (int l = 0; l < 32; l++) {
                o[l] = (uint8_t)((ql[l] & 0xF) | ((qh[l] & 3) << 4));
                o[l + 32] = (uint8_t)((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4));
                o[l + 64] = (uint8_t)((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4));
                o[l + 96] = (uint8_t)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4));
            }
        }
        break;
    }
    default:
        break;
    }
}

size_t el_gemm_group_bytes(const el_gemm_qinfo *q) { return (size_t)q->group * EL_GEMM_ROWS + 128; }

el_gemm_act_layout el_gemm_act_layout_of(const el_gemm_qinfo *q, int64_t n)
{
    const size_t ng = (size_t)(n / q->group);
    el_gemm_act_layout l;
    l.nos = up64((size_t)n);
    l.da = l.nos + 4 * ng;
    l.das = l.da + 4 * ng;
    l.total = up64(l.das + 4 * ng);
    return l;
}

/* ---- float types ------------------------------------------------------------------------------------------ */

static float elem(uint32_t type, const uint8_t *row, int64_t k)
{
    if (type == EL_TYPE_F32) {
        float f;
        memcpy(&f, row + 4 * k, 4);
        return f;
    }
    uint16_t h;
    memcpy(&h, row + 2 * k, 2);
    return type == EL_TYPE_F16 ? el_f16_to_f32(h) : el_bf16_to_f32(h);
}

/* ---- the interface ------------------------------------------------------------------------------------------ */

size_t el_gemm_panel_bytes(uint32_t type, int64_t n)
{
    el_gemm_qinfo q;
    if (el_gemm_is_float(type))
        return (size_t)n * 64;
    if (!el_gemm_qinfo_of(type, false, &q) || n % q.unit)
        return 0;
    return (size_t)(n / q.group) * el_gemm_group_bytes(&q);
}

void el_gemm_pack_w(uint32_t type, int64_t n, const uint8_t *w, size_t stride, int nr, void *panel, bool signed_q8)
{
    el_gemm_pack_w_il(type, n, w, stride, nr, panel, signed_q8, 4);
}

void el_gemm_pack_w_il(uint32_t type, int64_t n, const uint8_t *w, size_t stride, int nr, void *panel, bool signed_q8,
                       int il)
{
    uint8_t *out = panel;
    if (el_gemm_is_float(type)) {
        for (int64_t k = 0; k < n; k++) {
            float *o = (float *)(void *)(out + (size_t)k * 64);
            for (int r = 0; r < EL_GEMM_ROWS; r++)
                o[r] = r < nr ? elem(type, w + (size_t)r * stride, k) : 0.0f;
        }
        return;
    }
    el_gemm_qinfo q;
    el_gemm_qinfo_of(type, signed_q8, &q);
    uint64_t ub = 0;
    el_type_row_bytes(type, (uint64_t)q.unit, &ub);
    const size_t gb = el_gemm_group_bytes(&q);
    const int gpu = q.unit / q.group; /* groups per unit */
    for (int r = 0; r < EL_GEMM_ROWS; r++) {
        for (int64_t ui = 0; ui < n / q.unit; ui++) {
            uint8_t u[256];
            float sc[16], mn[16];
            if (r < nr) {
                unpack_unit(type, signed_q8, w + (size_t)r * stride + (size_t)ui * ub, u, sc, mn);
            } else {
                memset(u, 0, sizeof u);
                memset(sc, 0, sizeof sc);
                memset(mn, 0, sizeof mn);
            }
            for (int gl = 0; gl < gpu; gl++) {
                uint8_t *pg = out + (size_t)(ui * gpu + gl) * gb;
                for (int c = 0; c < q.group / il; c++)
                    memcpy(pg + (size_t)(EL_GEMM_ROWS * il * c + il * r), u + gl * q.group + il * c, (size_t)il);
                memcpy(pg + (size_t)q.group * 16 + 4 * r, &sc[gl], 4);
                memcpy(pg + (size_t)q.group * 16 + 64 + 4 * r, &mn[gl], 4);
            }
        }
    }
}

size_t el_gemm_act_bytes(uint32_t type, int64_t n)
{
    el_gemm_qinfo q;
    if (el_gemm_is_float(type))
        return up64((size_t)n * 4);
    if (!el_gemm_qinfo_of(type, false, &q))
        return 0;
    return el_gemm_act_layout_of(&q, n).total;
}

void el_gemm_pack_a(uint32_t type, int64_t n, const void *a, void *outv, bool signed_q8)
{
    uint8_t *out = outv;
    if (el_gemm_is_float(type)) {
        float *o = outv;
        if (type == EL_TYPE_F32)
            memcpy(o, a, (size_t)n * 4);
        else
            for (int64_t k = 0; k < n; k++) {
                uint16_t h = ((const uint16_t *)a)[k];
                o[k] = type == EL_TYPE_F16 ? el_f16_to_f32(h) : el_bf16_to_f32(h);
            }
        return;
    }
    el_gemm_qinfo q;
    el_gemm_qinfo_of(type, signed_q8, &q);
    const el_gemm_act_layout L = el_gemm_act_layout_of(&q, n);
    int8_t *qs = (int8_t *)out;
    int32_t *nos = (int32_t *)(void *)(out + L.nos);
    float *da = (float *)(void *)(out + L.da), *das = (float *)(void *)(out + L.das);
    if (q.unit == 256) { /* Q8_K */
        const block_q8_K *y = a;
        for (int64_t i = 0; i < n / QK_K; i++) {
            memcpy(qs + 256 * i, y[i].qs, 256);
            for (int g = 0; g < 256 / q.group; g++) {
                const int s = q.group == 16 ? y[i].bsums[g] : y[i].bsums[2 * g] + y[i].bsums[2 * g + 1];
                const int64_t gi = i * (256 / q.group) + g;
                nos[gi] = -q.off * s;
                da[gi] = y[i].d;
                das[gi] = y[i].d * (float)s;
            }
        }
    } else if (q.min) { /* Q8_1 */
        const block_q8_1 *y = a;
        for (int64_t i = 0; i < n / 32; i++) {
            memcpy(qs + 32 * i, y[i].qs, 32);
            nos[i] = 0;
            da[i] = el_f16_to_f32(y[i].d);
            das[i] = el_f16_to_f32(y[i].s);
        }
    } else { /* Q8_0 */
        const block_q8_0 *y = a;
        for (int64_t i = 0; i < n / 32; i++) {
            memcpy(qs + 32 * i, y[i].qs, 32);
            int s = 0;
            for (int l = 0; l < 32; l++)
                s += y[i].qs[l];
            nos[i] = -q.off * s;
            da[i] = el_f16_to_f32(y[i].d);
            das[i] = 0;
        }
    }
}

