/*
 * engine/attention.c - attention over the KV cache (see attention.h).
 *
 * Work is cut into items the team shares (omp for, dynamic): a (token, head)
 * for sequences with few tokens in the batch, a (sequence, K/V head, chunk of
 * up to 64 queries) for the others. Each thread computes the same item list
 * from the batch (cheap, and no barrier to publish it).
 */
#include "engine/attention.h"

#include <math.h>
#include <omp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/half.h"
#include "core/util.h"
#include "formats/ggml_type.h"

#define CHUNK_QUERIES 64  /* queries per packed item: their scores fit the L2 cache up to long contexts */
#define MIN_QUERIES 8     /* a sequence with fewer queries than this walks the cache row by row */

typedef struct thread_scratch {
    float *scores;     /* n_ctx + head_dim (row-by-row path) */
    uint8_t *qbuf;     /* CHUNK_QUERIES packed queries */
    float *s;          /* CHUNK_QUERIES x lds: scores, then probabilities */
    uint8_t *kpanel;   /* one packed panel of 16 keys */
    float *vpanel;     /* n_ctx x 16: V transposed, 16 dimensions */
    float *o;          /* CHUNK_QUERIES x head_dim */
    int *order;        /* batch: token indices by sequence */
    int *start;        /* n_seq + 1 */
} thread_scratch;

struct el_attn_scratch {
    int threads;
    size_t lds, qstride;
    thread_scratch *t;
    size_t bytes; /* everything it allocated */
};

static size_t up16(size_t n) { return (n + 15) & ~(size_t)15; }

void el_attn_scratch_free(el_attn_scratch *s)
{
    if (!s)
        return;
    for (int i = 0; s->t && i < s->threads; i++) {
        thread_scratch *t = &s->t[i];
        free(t->scores);
        free(t->qbuf);
        free(t->s);
        free(t->kpanel);
        free(t->vpanel);
        free(t->o);
        free(t->order);
        free(t->start);
    }
    free(s->t);
    free(s);
}

el_attn_scratch *el_attn_scratch_new(const el_attn *a, int batch, int threads)
{
    el_attn_scratch *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->threads = threads;
    s->t = calloc((size_t)threads, sizeof *s->t);
    if (!s->t) {
        free(s);
        return NULL;
    }
    const size_t hd = (size_t)a->head_dim, ctx = (size_t)a->n_ctx;
    s->lds = up16(ctx + 16);
    s->qstride = a->k->gemm ? a->k->gemm->act_bytes(EL_TYPE_F32, a->head_dim) : 0;
    bool ok = true;
    s->bytes = sizeof *s + (size_t)threads * sizeof *s->t;
    for (int i = 0; i < threads; i++) {
        thread_scratch *t = &s->t[i];
        const size_t n1 = (ctx + hd) * sizeof(float), n2 = (size_t)batch * sizeof(int), n3 = ((size_t)a->n_seq + 1) * sizeof(int);
        t->scores = malloc(n1);
        t->order = malloc(n2);
        t->start = malloc(n3);
        s->bytes += n1 + n2 + n3;
        ok = ok && t->scores && t->order && t->start;
        if (a->k->gemm) {
            const size_t m1 = CHUNK_QUERIES * s->qstride, m2 = CHUNK_QUERIES * s->lds * sizeof(float),
                         m3 = (EL_GEMM_PANEL_MAX(hd) + 63) / 64 * 64, m4 = (ctx + 16) * 16 * sizeof(float),
                         m5 = CHUNK_QUERIES * up16(hd) * sizeof(float);
            t->qbuf = aligned_alloc(64, m1);
            t->s = aligned_alloc(64, m2);
            t->kpanel = aligned_alloc(64, m3);
            t->vpanel = aligned_alloc(64, m4);
            t->o = aligned_alloc(64, m5);
            s->bytes += m1 + m2 + m3 + m4 + m5;
            ok = ok && t->qbuf && t->s && t->kpanel && t->vpanel && t->o;
        }
    }
    if (!ok) {
        el_attn_scratch_free(s);
        return NULL;
    }
    return s;
}

size_t el_attn_scratch_bytes(const el_attn_scratch *s) { return s ? s->bytes : 0; }

static inline float softcap(float x, float cap) { return tanhf(x / cap) * cap; }
static inline float round_f16(float x) { return el_f16_to_f32(el_f32_to_f16(x)); }

/* One token and head, walking the cache (decode). */
static void attend_row(const el_attn *a, const uint8_t *kc, const uint8_t *vc, int lo, int pos, const float *q, float *out,
                       float *scores)
{
    const int hd = a->head_dim;
    const size_t row = (size_t)a->kv_dim * a->kv_elt;
    const bool f16 = a->kv_elt == 2;
    uint16_t *q16 = (uint16_t *)(void *)(scores + a->n_ctx);
    const void *qv = q;
    if (f16) {
        a->k->quant_act[EL_TYPE_F16](q, q16, hd);
        qv = q16;
    }
    const el_dot_fn dot = a->k->dot[f16 ? EL_TYPE_F16 : EL_TYPE_F32];
    float max = -INFINITY;
    for (int p = lo; p <= pos; p++) {
        float s = dot(hd, kc + (size_t)p * row, qv) * a->scale;
        if (a->softcap > 0)
            s = softcap(s, a->softcap);
        scores[p] = s;
        if (s > max)
            max = s;
    }
    double sum = 0;
    for (int p = lo; p <= pos; p++) {
        scores[p] = expf(scores[p] - max);
        sum += scores[p];
    }
    const float inv = (float)(1.0 / sum);
    memset(out, 0, (size_t)hd * sizeof *out);
    for (int p = lo; p <= pos; p++) {
        const float w = scores[p] * inv;
        if (f16)
            a->k->axpy_f16(hd, round_f16(w), (const uint16_t *)(const void *)(vc + (size_t)p * row), out);
        else
            a->k->axpy_f32(hd, w, (const float *)(const void *)(vc + (size_t)p * row), out);
    }
}

/*
 * One sequence's K/V head g against queries of tokens tok[0..nt) (positions increasing), every
 * query head of the group: scores 16 keys at a time, softmax, then V^T 16 dimensions at a time.
 */
static void attend_chunk(const el_attn *a, const el_attn_scratch *sc, thread_scratch *ts, const uint8_t *kc, const uint8_t *vc,
                         int n_swa, int g, const int *tok, int nt, const float *q, int ldq, float *out, int ldo,
                         const int32_t *pos)
{
    const el_gemm *gm = a->k->gemm;
    const int hd = a->head_dim, grp = a->n_head / a->n_head_kv, nq = nt * grp;
    const bool f16 = a->kv_elt == 2;
    const uint32_t ktype = f16 ? EL_TYPE_F16 : EL_TYPE_F32;
    const size_t row = (size_t)a->kv_dim * a->kv_elt, head_off = (size_t)g * (size_t)hd * a->kv_elt;
    const size_t lds = sc->lds, qs = sc->qstride;
    /* the queries, rounded to the cache's type, packed token-major: query i = token i / grp, head g*grp + i % grp */
    uint16_t *q16 = (uint16_t *)(void *)ts->scores;
    for (int i = 0; i < nq; i++) {
        const float *qi = q + (size_t)tok[i / grp] * (size_t)ldq + (size_t)(g * grp + i % grp) * (size_t)hd;
        if (f16) {
            a->k->quant_act[EL_TYPE_F16](qi, q16, hd);
            gm->pack_a(EL_TYPE_F16, hd, q16, ts->qbuf + (size_t)i * qs);
        } else {
            gm->pack_a(EL_TYPE_F32, hd, qi, ts->qbuf + (size_t)i * qs);
        }
    }
    const int pmax = pos[tok[nt - 1]];
    int kmin = 0;
    if (n_swa > 0)
        kmin = EL_MAX(0, pos[tok[0]] - n_swa + 1);
    const int npos = pmax - kmin + 1;
    /* scores: panel of keys [p0, p0 + 16) meets the queries at or after p0 */
    int first = 0;
    for (int p0 = kmin; p0 <= pmax; p0 += 16) {
        const int nr = EL_MIN(16, pmax + 1 - p0);
        while (pos[tok[first / grp]] < p0)
            first += grp;
        gm->pack_w(ktype, hd, kc + (size_t)p0 * row + head_off, row, nr, ts->kpanel);
        gm->run(ktype, hd, ts->kpanel, nr, ts->qbuf + (size_t)first * qs, qs, nq - first, ts->s + (size_t)first * lds + (size_t)(p0 - kmin), lds);
    }
    /* softmax over each query's window; zeros elsewhere */
    for (int i = 0; i < nq; i++) {
        float *s = ts->s + (size_t)i * lds;
        const int p = pos[tok[i / grp]], lo = n_swa > 0 ? EL_MAX(kmin, p - n_swa + 1) : kmin;
        float max = -INFINITY;
        for (int j = lo - kmin; j <= p - kmin; j++) {
            float v = s[j] * a->scale;
            if (a->softcap > 0)
                v = softcap(v, a->softcap);
            s[j] = v;
            if (v > max)
                max = v;
        }
        double sum = 0;
        for (int j = lo - kmin; j <= p - kmin; j++) {
            s[j] = expf(s[j] - max);
            sum += s[j];
        }
        const float inv = (float)(1.0 / sum);
        for (int j = 0; j < lo - kmin; j++)
            s[j] = 0;
        for (int j = lo - kmin; j <= p - kmin; j++)
            s[j] = f16 ? round_f16(s[j] * inv) : s[j] * inv;
        for (int j = p - kmin + 1; j < npos; j++)
            s[j] = 0;
    }
    /* out = P V: V transposed into panels of 16 dimensions (one f32 vector per position) */
    for (int d0 = 0; d0 < hd; d0 += 16) {
        const int nd = EL_MIN(16, hd - d0);
        for (int j = 0; j < npos; j++) {
            const uint8_t *v = vc + (size_t)(kmin + j) * row + head_off + (size_t)d0 * a->kv_elt;
            float *o = ts->vpanel + (size_t)j * 16;
            if (f16)
                for (int i = 0; i < nd; i++)
                    o[i] = el_f16_to_f32(((const uint16_t *)(const void *)v)[i]);
            else
                memcpy(o, v, (size_t)nd * sizeof(float));
            for (int i = nd; i < 16; i++)
                o[i] = 0;
        }
        gm->run(EL_TYPE_F32, npos, ts->vpanel, nd, (const uint8_t *)ts->s, lds * sizeof(float), nq, ts->o + d0, up16((size_t)hd));
    }
    for (int i = 0; i < nq; i++)
        memcpy(out + (size_t)tok[i / grp] * (size_t)ldo + (size_t)(g * grp + i % grp) * (size_t)hd,
               ts->o + (size_t)i * up16((size_t)hd), (size_t)hd * sizeof(float));
}

void el_attention(const el_attn *a, el_attn_scratch *s, const uint8_t *kc, const uint8_t *vc, int n_swa, const float *q,
                  int ldq, float *out, int ldo, int T, const int32_t *pos, const int32_t *seq)
{
    thread_scratch *ts = &s->t[omp_get_thread_num()];
    const int NH = a->n_head, grp = a->n_head / a->n_head_kv, hd = a->head_dim;
    const size_t seq_bytes = (size_t)a->n_ctx * (size_t)a->kv_dim * a->kv_elt;
    /* tokens grouped by sequence, batch order kept (= increasing positions) */
    int *order = ts->order, *start = ts->start;
    memset(start, 0, ((size_t)a->n_seq + 1) * sizeof(int));
    for (int t = 0; t < T; t++)
        start[(seq ? seq[t] : 0) + 1]++;
    for (int i = 0; i < a->n_seq; i++)
        start[i + 1] += start[i];
    for (int t = 0; t < T; t++)
        order[start[seq ? seq[t] : 0]++] = t;
    for (int i = a->n_seq; i > 0; i--)
        start[i] = start[i - 1];
    start[0] = 0;
    const int chunk_tokens = EL_MAX(1, CHUNK_QUERIES / grp);
    const bool packed = a->k->gemm != NULL;

    /* row by row: tokens of sequences with few queries */
#pragma omp for schedule(dynamic, 4) nowait
    for (int th = 0; th < T * NH; th++) {
        const int t = th / NH, h = th % NH, sq = seq ? seq[t] : 0;
        if (packed && (start[sq + 1] - start[sq]) * grp >= MIN_QUERIES)
            continue;
        const int p = pos[t], lo = n_swa > 0 ? EL_MAX(0, p - n_swa + 1) : 0;
        const size_t off = (size_t)sq * seq_bytes + (size_t)(h / grp) * (size_t)hd * a->kv_elt;
        attend_row(a, kc + off, vc + off, lo, p, q + (size_t)t * (size_t)ldq + (size_t)h * (size_t)hd,
                   out + (size_t)t * (size_t)ldo + (size_t)h * (size_t)hd, ts->scores);
    }
    if (packed) {
        /* packed: (sequence, K/V head, chunk) items */
        int items = 0;
        for (int sq = 0; sq < a->n_seq; sq++) {
            const int n = start[sq + 1] - start[sq];
            if (n * grp >= MIN_QUERIES)
                items += a->n_head_kv * ((n + chunk_tokens - 1) / chunk_tokens);
        }
#pragma omp for schedule(dynamic, 1) nowait
        for (int it = 0; it < items; it++) {
            int rest = it, sq = 0, n = 0, per = 0;
            for (;; sq++) {
                n = start[sq + 1] - start[sq];
                if (n * grp < MIN_QUERIES)
                    continue;
                per = a->n_head_kv * ((n + chunk_tokens - 1) / chunk_tokens);
                if (rest < per)
                    break;
                rest -= per;
            }
            const int g = rest % a->n_head_kv, ch = rest / a->n_head_kv;
            const int t0 = ch * chunk_tokens, nt = EL_MIN(chunk_tokens, n - t0);
            attend_chunk(a, s, ts, kc + (size_t)sq * seq_bytes, vc + (size_t)sq * seq_bytes, n_swa, g, order + start[sq] + t0, nt,
                         q, ldq, out, ldo, pos);
        }
    }
#pragma omp barrier
}
