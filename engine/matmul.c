/*
 * engine/matmul.c - the matrix products of the forward pass (see matmul.h).
 *
 * Steps, all threads of the team:
 *  1. the input rows are quantized to each distinct vec_dot_type the matrices
 *     need, and rewritten into a kernel's own layout where the table has one
 *     (prep). One row (a decode step of one sequence) is quantized by every
 *     thread into its own buffer, which costs less than a barrier; more rows
 *     are split among the threads and the team waits once.
 *  2. the rows of all matrices, taken as one range, are cut into one
 *     contiguous piece per thread (in blocks of 16 rows); each thread streams
 *     its piece once: 16 rows at a time, for every token while they are in
 *     the cache.
 *  3. a barrier, so the outputs are complete when the caller reads them.
 */
#include "engine/matmul.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "quant/quant.h"

#define SLOTS EL_MM_MAX_OUTS   /* distinct input formats per call, one row */
#define BATCH_SLOTS 2          /* ... for batches (more: the matrices go one at a time) */

/* Batches below this many rows run the decode kernels row by row, above it the packed matrix x
 * matrix kernels (engine/kernels/gemm.h): packing a panel costs about as much as 8 rows of gemv
 * (bench/engine.sh, docs/engine.md). */
#define GEMM_MIN_ROWS 8

struct el_mm_scratch {
    int64_t width;
    int batch, threads;
    size_t act_row, prep_row;   /* bytes per row, rounded up to 64 */
    size_t gact_row, panel_bytes;
    uint8_t *act;               /* [BATCH_SLOTS][batch][act_row]: shared, for batches */
    uint8_t *prep;              /* [BATCH_SLOTS][batch][prep_row] (gemv) or packed rows (gemm) */
    uint8_t *own;               /* [threads][SLOTS][act_row + prep_row]: one row per thread */
    uint8_t *panel;             /* [threads][panel_bytes]: packed weights */
    size_t bytes;               /* all of the above */
};

static size_t up64(size_t n) { return (n + 63) & ~(size_t)63; }

el_mm_scratch *el_mm_scratch_new(int64_t width, int batch, int threads)
{
    el_mm_scratch *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->width = width;
    s->batch = batch;
    s->threads = threads;
    size_t a = el_act_row_bytes(EL_TYPE_F32, width); /* the widest of the activation formats */
    s->act_row = up64(a);
    s->prep_row = up64(EL_MAX(EL_PREP_BYTES(width), EL_GEMM_ACT_MAX(width)));
    s->panel_bytes = up64(EL_GEMM_PANEL_MAX(width));
    const size_t na = (size_t)BATCH_SLOTS * (size_t)batch * s->act_row, np = (size_t)BATCH_SLOTS * (size_t)batch * s->prep_row,
                 no = (size_t)threads * SLOTS * (s->act_row + s->prep_row), nw = (size_t)threads * s->panel_bytes;
    s->act = aligned_alloc(64, na);
    s->prep = aligned_alloc(64, np);
    s->own = aligned_alloc(64, no);
    s->panel = aligned_alloc(64, nw);
    s->bytes = sizeof *s + na + np + no + nw;
    if (!s->act || !s->prep || !s->own || !s->panel) {
        el_mm_scratch_free(s);
        return NULL;
    }
    return s;
}

size_t el_mm_scratch_bytes(const el_mm_scratch *s) { return s ? s->bytes : 0; }

void el_mm_scratch_free(el_mm_scratch *s)
{
    if (!s)
        return;
    free(s->act);
    free(s->prep);
    free(s->own);
    free(s->panel);
    free(s);
}

/* The activation rows each matrix reads: per slot (distinct vec_dot_type + prep, or weight type for
 * gemm), a base and a stride. */
typedef struct {
    uint32_t vdt;
    el_prep_fn prep;
    uint32_t gemm_type;
    const uint8_t *base;
    size_t stride;
} act_slot;

/* Batches through the packed kernels. */
static void matmul_gemm(const el_kernels *k, el_mm_scratch *s, const float *x, int ldx, int T, const el_mm_out *outs,
                        int n_outs)
{
    const el_gemm *g = k->gemm;
    const int nth = omp_get_num_threads(), ith = omp_get_thread_num();
    const int64_t K = outs[0].w->ne0;
    act_slot slot[BATCH_SLOTS];
    int which[EL_MM_MAX_OUTS], n_slots = 0;
    for (int i = 0; i < n_outs; i++) {
        int j = 0;
        while (j < n_slots && slot[j].gemm_type != outs[i].w->type)
            j++;
        if (j == n_slots)
            slot[n_slots++] = (act_slot){el_qtraits_get(outs[i].w->type)->vec_dot_type, NULL, outs[i].w->type, NULL, 0};
        which[i] = j;
    }
    /* 1. quantize and pack the inputs, rows split among the threads */
    for (int j = 0; j < n_slots; j++) {
        act_slot *a = &slot[j];
        uint8_t *act = s->act + (size_t)j * (size_t)s->batch * s->act_row;
        uint8_t *packed = s->prep + (size_t)j * (size_t)s->batch * s->prep_row;
        const el_quant_fn quant = k->quant_act[a->vdt];
#pragma omp for schedule(static) nowait
        for (int t = 0; t < T; t++) {
            const float *xt = x + (size_t)t * (size_t)ldx;
            const void *src = xt;
            if (a->vdt != EL_TYPE_F32) {
                quant(xt, act + (size_t)t * s->act_row, K);
                src = act + (size_t)t * s->act_row;
            }
            g->pack_a(a->gemm_type, K, src, packed + (size_t)t * s->prep_row);
        }
        a->base = packed;
        a->stride = s->prep_row;
    }
#pragma omp barrier
    /* 2. panels of 16 rows, a contiguous range of them per thread */
    int64_t total = 0;
    for (int i = 0; i < n_outs; i++)
        total += (outs[i].w->ne1 + EL_GEMM_ROWS - 1) / EL_GEMM_ROWS;
    const int64_t p0 = total * ith / nth, p1 = total * (ith + 1) / nth;
    uint8_t *panel = s->panel + (size_t)ith * s->panel_bytes;
    int64_t first = 0;
    for (int i = 0; i < n_outs && first < p1; i++) {
        const el_wmat *w = outs[i].w;
        const int64_t np = (w->ne1 + EL_GEMM_ROWS - 1) / EL_GEMM_ROWS;
        for (int64_t pi = EL_MAX(p0 - first, 0); pi < EL_MIN(p1 - first, np); pi++) {
            const int64_t r0 = pi * EL_GEMM_ROWS;
            const int nr = (int)EL_MIN(EL_GEMM_ROWS, w->ne1 - r0);
            g->pack_w(w->type, K, w->data + (size_t)r0 * w->row_bytes, w->row_bytes, nr, panel);
            const act_slot *a = &slot[which[i]];
            float *y = outs[i].y + (size_t)r0;
            g->run(w->type, K, panel, nr, a->base, a->stride, T, y, (size_t)outs[i].ldy);
            if (outs[i].bias)
                for (int t = 0; t < T; t++)
                    for (int r = 0; r < nr; r++)
                        y[(size_t)t * (size_t)outs[i].ldy + (size_t)r] += outs[i].bias[r0 + r];
        }
        first += np;
    }
#pragma omp barrier
}

static bool gemm_fits(const el_kernels *k, const el_mm_out *outs, int n_outs, int T)
{
    if (!k->gemm || T < GEMM_MIN_ROWS)
        return false;
    uint32_t types[EL_MM_MAX_OUTS];
    int n_types = 0;
    for (int i = 0; i < n_outs; i++) {
        if (!k->gemm->panel_bytes(outs[i].w->type, outs[i].w->ne0))
            return false;
        int j = 0;
        while (j < n_types && types[j] != outs[i].w->type)
            j++;
        if (j == n_types)
            types[n_types++] = outs[i].w->type;
    }
    return n_types <= BATCH_SLOTS;
}

void el_matmul(const el_kernels *k, el_mm_scratch *s, const float *x, int ldx, int T, const el_mm_out *outs, int n_outs)
{
    if (gemm_fits(k, outs, n_outs, T)) {
        matmul_gemm(k, s, x, ldx, T, outs, n_outs);
        return;
    }
    const int nth = omp_get_num_threads(), ith = omp_get_thread_num();
    const int64_t K = outs[0].w->ne0;
    act_slot slot[SLOTS];
    int which[SLOTS], n_slots = 0;
    for (int i = 0; i < n_outs; i++) {
        const uint32_t vdt = el_qtraits_get(outs[i].w->type)->vec_dot_type;
        const el_prep_fn prep = k->prep[outs[i].w->type];
        int j = 0;
        while (j < n_slots && !(slot[j].vdt == vdt && slot[j].prep == prep))
            j++;
        if (j == n_slots)
            slot[n_slots++] = (act_slot){vdt, prep, 0, NULL, 0};
        which[i] = j;
    }
    if (T > 1 && n_slots > BATCH_SLOTS) { /* the shared buffers hold two formats: one matrix at a time */
        for (int i = 0; i < n_outs; i++)
            el_matmul(k, s, x, ldx, T, &outs[i], 1);
        return;
    }

    /* 1. quantize (and prepare) the inputs */
    for (int j = 0; j < n_slots; j++) {
        act_slot *a = &slot[j];
        if (a->vdt == EL_TYPE_F32 && !a->prep) {
            a->base = (const uint8_t *)x;
            a->stride = (size_t)ldx * sizeof(float);
            continue;
        }
        const el_quant_fn quant = k->quant_act[a->vdt];
        if (T == 1) {
            uint8_t *own = s->own + ((size_t)ith * SLOTS + (size_t)j) * (s->act_row + s->prep_row);
            quant(x, own, K);
            if (a->prep) {
                a->prep(K, own, own + s->act_row);
                a->base = own + s->act_row;
            } else {
                a->base = own;
            }
        } else {
            uint8_t *act = s->act + (size_t)j * (size_t)s->batch * s->act_row;
            uint8_t *prep = s->prep + (size_t)j * (size_t)s->batch * s->prep_row;
#pragma omp for schedule(static) nowait
            for (int t = 0; t < T; t++) {
                quant(x + (size_t)t * (size_t)ldx, act + (size_t)t * s->act_row, K);
                if (a->prep)
                    a->prep(K, act + (size_t)t * s->act_row, prep + (size_t)t * s->prep_row);
            }
            a->base = a->prep ? prep : act;
            a->stride = a->prep ? s->prep_row : s->act_row;
        }
    }
    if (T > 1) {
#pragma omp barrier
    }

    /* 2. this thread's piece of all the rows */
    int64_t total = 0;
    for (int i = 0; i < n_outs; i++)
        total += outs[i].w->ne1;
    const int64_t blocks = (total + 15) / 16;
    const int64_t lo = EL_MIN(total, blocks * ith / nth * 16), hi = EL_MIN(total, blocks * (ith + 1) / nth * 16);
    int64_t first = 0;
    for (int i = 0; i < n_outs && first < hi; first += outs[i].w->ne1, i++) {
        const el_wmat *w = outs[i].w;
        const int64_t r0 = EL_MAX(lo - first, 0), r1 = EL_MIN(hi - first, w->ne1);
        const el_gemv_fn gemv = k->gemv[w->type];
        const act_slot *a = &slot[which[i]];
        for (int64_t rb = r0; rb < r1; rb += 16) {
            const int64_t nr = EL_MIN(16, r1 - rb);
            const uint8_t *wr = w->data + (size_t)rb * w->row_bytes;
            for (int t = 0; t < T; t++) {
                float *yt = outs[i].y + (size_t)t * (size_t)outs[i].ldy + (size_t)rb;
                gemv(K, wr, w->row_bytes, nr, a->base + (size_t)t * a->stride, yt);
                if (outs[i].bias)
                    for (int64_t r = 0; r < nr; r++)
                        yt[r] += outs[i].bias[rb + r];
            }
        }
    }
    /* 3. */
#pragma omp barrier
}
