/*
 * quant/grid.c - the grids of encoded blocks (see grid.h). The element order and bit layouts are
 * those of quant_ref.c's dequantizers and pack helpers.
 */
#include "quant/grid.h"

#include <math.h>
#include <string.h>

#include "core/half.h"
#include "formats/ggml_type.h"
#include "quant/quant_ref.h"

static const int8_t IQ4[16] = EL_IQ4NL_VALUES;

bool el_qgrid_has(uint32_t type)
{
    switch (type) {
    case EL_TYPE_Q4_0: case EL_TYPE_Q4_1: case EL_TYPE_Q5_0: case EL_TYPE_Q5_1: case EL_TYPE_Q8_0:
    case EL_TYPE_Q2_K: case EL_TYPE_Q3_K: case EL_TYPE_Q4_K: case EL_TYPE_Q5_K: case EL_TYPE_Q6_K:
    case EL_TYPE_IQ4_NL: case EL_TYPE_IQ4_XS:
        return true;
    default:
        return false;
    }
}

static void fill(el_qgrid *g, int i0, int n, float a, float b)
{
    for (int i = i0; i < i0 + n; i++) {
        g->a[i] = a;
        g->b[i] = b;
    }
}

void el_qgrid_of(uint32_t type, const void *blk, el_qgrid *g)
{
    g->table = NULL;
    switch (type) {
    case EL_TYPE_Q4_0: {
        const float d = el_f16_to_f32(((const block_q4_0 *)blk)->d);
        fill(g, 0, 32, d, -8 * d); /* d * (q - 8) */
        g->qmin = 0, g->qmax = 15;
        break;
    }
    case EL_TYPE_Q4_1: {
        const block_q4_1 *y = blk;
        fill(g, 0, 32, el_f16_to_f32(y->d), el_f16_to_f32(y->m));
        g->qmin = 0, g->qmax = 15;
        break;
    }
    case EL_TYPE_Q5_0: {
        const float d = el_f16_to_f32(((const block_q5_0 *)blk)->d);
        fill(g, 0, 32, d, -16 * d);
        g->qmin = 0, g->qmax = 31;
        break;
    }
    case EL_TYPE_Q5_1: {
        const block_q5_1 *y = blk;
        fill(g, 0, 32, el_f16_to_f32(y->d), el_f16_to_f32(y->m));
        g->qmin = 0, g->qmax = 31;
        break;
    }
    case EL_TYPE_Q8_0:
        fill(g, 0, 32, el_f16_to_f32(((const block_q8_0 *)blk)->d), 0);
        g->qmin = -127, g->qmax = 127;
        break;
    case EL_TYPE_IQ4_NL:
        fill(g, 0, 32, el_f16_to_f32(((const block_iq4_nl *)blk)->d), 0);
        g->table = IQ4, g->qmin = 0, g->qmax = 15;
        break;
    case EL_TYPE_IQ4_XS: {
        const block_iq4_xs *y = blk;
        const float d = el_f16_to_f32(y->d);
        for (int j = 0; j < 8; j++)
            fill(g, 32 * j, 32, d * (float)(el_iq4_xs_scale(y, j) - 32), 0);
        g->table = IQ4, g->qmin = 0, g->qmax = 15;
        break;
    }
    case EL_TYPE_Q2_K: {
        const block_q2_K *y = blk;
        const float d = el_f16_to_f32(y->d), dmin = el_f16_to_f32(y->dmin);
        for (int j = 0; j < 16; j++)
            fill(g, 16 * j, 16, d * (float)(y->scales[j] & 0xF), -(dmin * (float)(y->scales[j] >> 4)));
        g->qmin = 0, g->qmax = 3;
        break;
    }
    case EL_TYPE_Q3_K: {
        const block_q3_K *y = blk;
        const float d = el_f16_to_f32(y->d);
        for (int j = 0; j < 16; j++)
            fill(g, 16 * j, 16, d * (float)el_q3_K_scale(y->scales, j), 0);
        g->qmin = -4, g->qmax = 3;
        break;
    }
    case EL_TYPE_Q4_K:
    case EL_TYPE_Q5_K: {
        const block_q4_K *y4 = blk;
        const block_q5_K *y5 = blk;
        const bool five = type == EL_TYPE_Q5_K;
        const float d = el_f16_to_f32(five ? y5->d : y4->d), dmin = el_f16_to_f32(five ? y5->dmin : y4->dmin);
        for (int j = 0; j < 8; j++) {
            uint8_t s, m;
            el_k4_scale_min(j, five ? y5->scales : y4->scales, &s, &m);
            fill(g, 32 * j, 32, d * (float)s, -(dmin * (float)m));
        }
        g->qmin = 0, g->qmax = five ? 31 : 15;
        break;
    }
    case EL_TYPE_Q6_K: {
        const block_q6_K *y = blk;
        const float d = el_f16_to_f32(y->d);
        for (int j = 0; j < 16; j++)
            fill(g, 16 * j, 16, d * (float)y->scales[j], 0);
        g->qmin = -32, g->qmax = 31;
        break;
    }
    default:
        break;
    }
}

int el_qgrid_nearest(const el_qgrid *g, int i, float v, float *deq)
{
    const float a = g->a[i], b = g->b[i];
    int q;
    if (g->table) {
        q = 0;
        float best = INFINITY;
        for (int k = g->qmin; k <= g->qmax; k++) {
            const float e = fabsf(v - (a * (float)g->table[k] + b));
            if (e < best) {
                best = e;
                q = k;
            }
        }
        *deq = a * (float)g->table[q] + b;
        return q;
    }
    if (a == 0) {
        q = g->qmin > 0 ? g->qmin : g->qmax < 0 ? g->qmax : 0;
    } else {
        const float r = floorf((v - b) / a + 0.5f);
        q = !(r >= (float)g->qmin) ? g->qmin : r > (float)g->qmax ? g->qmax : (int)r;
    }
    *deq = a * (float)q + b;
    return q;
}

void el_qgrid_set(uint32_t type, void *blk, const int *q)
{
    uint8_t u[QK_K];
    int8_t s[QK_K];
    switch (type) {
    case EL_TYPE_Q4_0:
    case EL_TYPE_Q4_1:
    case EL_TYPE_IQ4_NL:
        for (int i = 0; i < 32; i++)
            u[i] = (uint8_t)q[i];
        el_pack_nibbles(type == EL_TYPE_Q4_0 ? ((block_q4_0 *)blk)->qs : type == EL_TYPE_Q4_1 ? ((block_q4_1 *)blk)->qs
                                                                                              : ((block_iq4_nl *)blk)->qs,
                        u);
        break;
    case EL_TYPE_Q5_0:
    case EL_TYPE_Q5_1:
        for (int i = 0; i < 32; i++)
            u[i] = (uint8_t)q[i];
        if (type == EL_TYPE_Q5_0) {
            el_pack_nibbles(((block_q5_0 *)blk)->qs, u);
            el_pack_fifth_bits(((block_q5_0 *)blk)->qh, u);
        } else {
            el_pack_nibbles(((block_q5_1 *)blk)->qs, u);
            el_pack_fifth_bits(((block_q5_1 *)blk)->qh, u);
        }
        break;
    case EL_TYPE_Q8_0:
        for (int i = 0; i < 32; i++)
            ((block_q8_0 *)blk)->qs[i] = (int8_t)q[i];
        break;
    case EL_TYPE_IQ4_XS:
        for (int i = 0; i < QK_K; i++)
            u[i] = (uint8_t)q[i];
        for (int j = 0; j < 8; j++)
            el_pack_nibbles(((block_iq4_xs *)blk)->qs + 16 * j, u + 32 * j);
        break;
    case EL_TYPE_Q2_K:
        for (int i = 0; i < QK_K; i++)
            u[i] = (uint8_t)q[i];
        el_q2_K_pack_qs(((block_q2_K *)blk)->qs, u);
        break;
    case EL_TYPE_Q3_K: {
        block_q3_K *y = blk;
        int8_t sc[16];
        for (int j = 0; j < 16; j++)
            sc[j] = (int8_t)el_q3_K_scale(y->scales, j);
        for (int i = 0; i < QK_K; i++)
            s[i] = (int8_t)q[i];
        el_q3_K_pack(y, s, sc);
        break;
    }
    case EL_TYPE_Q4_K:
        for (int i = 0; i < QK_K; i++)
            u[i] = (uint8_t)q[i];
        el_q4_K_pack_qs(blk, u);
        break;
    case EL_TYPE_Q5_K:
        for (int i = 0; i < QK_K; i++)
            u[i] = (uint8_t)q[i];
        el_q5_K_pack_qs(blk, u);
        break;
    case EL_TYPE_Q6_K:
        for (int i = 0; i < QK_K; i++)
            s[i] = (int8_t)q[i];
        el_q6_K_pack_qs(blk, s);
        break;
    default:
        break;
    }
}
