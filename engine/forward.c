/*
 * engine/forward.c - the context and the forward pass (see context.h).
 *
 * Layout of this file:
 *   1. context: KV cache and scratch, all allocated up front
 *   2. small ops: RMSNorm, RoPE, activations
 *   3. matmul: activations quantized to the weight's dot type, rows split
 *      among threads
 *   4. attention over the cache
 *   5. el_decode: one OpenMP team runs the whole graph; `omp for` divides
 *      each step, its implicit barrier orders the steps
 *
 * The forward pass reads top to bottom like the transformers modeling code
 * it implements (LlamaForCausalLM and the families' variations); comments
 * name the lines.
 */
#include "engine/context.h"
#include "engine/attention.h"
#include "engine/matmul.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "core/fp_rows.h"
#include "core/half.h"
#include "core/util.h"
#include "quant/quant.h"

/* ---- 1. context --------------------------------------------------------------------------------- */

struct el_context {
    uint64_t bytes; /* what el_context_new allocated through zalloc (el_context_bytes adds the scratch) */
    const el_model *m;
    el_context_params p;
    const el_kernels *k;
    el_kernels k_tokenwise;     /* k without the packed matrix kernels (batch_invariant) */
    const el_kernels *mk;       /* the table this batch's matrix products use */
    int kv_dim;                 /* n_head_kv * head_dim */
    size_t kv_elt;              /* 2 (f16) or 4 (f32) */
    uint8_t *k_cache, *v_cache; /* [layer][seq][pos][kv_dim] */
    int *seq_len;
    /* scratch, rows of the batch */
    float *x, *xn, *q, *kv_k, *kv_v, *att, *tmp, *hb, *hb2, *qkv;
    float *cs;                  /* per token: n_rot/2 (cos, sin) pairs */
    float *cs_swa;              /* the same for the sliding-window layers when they rotate otherwise (Gemma 3), or NULL */
    el_mm_scratch *mm;          /* quantized activation rows */
    el_attn attn;               /* attention's shape, and its scratch */
    el_attn_scratch *as;
    float *logits;              /* n_outputs x n_vocab */
    int *out_rows;
    int n_out;
    const float *rope_factors;  /* divisors per dim pair, or NULL */
};

el_context_params el_context_default_params(void)
{
    el_context_params p = {0};
    p.n_seq = 1;
    p.n_batch = 512;
    return p;
}

void el_context_free(el_context *c)
{
    if (!c)
        return;
    free(c->k_cache);
    free(c->v_cache);
    free(c->seq_len);
    free(c->x);
    free(c->xn);
    free(c->q);
    free(c->kv_k);
    free(c->kv_v);
    free(c->att);
    free(c->tmp);
    free(c->hb);
    free(c->hb2);
    free(c->qkv);
    free(c->cs);
    free(c->cs_swa);
    el_mm_scratch_free(c->mm);
    el_attn_scratch_free(c->as);
    free(c->logits);
    free(c->out_rows);
    free(c);
}

static void *zalloc_n(size_t n, bool *ok, uint64_t *sum)
{
    void *p = calloc(1, n ? n : 1);
    if (!p)
        *ok = false;
    *sum += n;
    return p;
}
#define zalloc(n, ok) zalloc_n((n), (ok), &c->bytes)

int el_context_new(el_context **out, const el_model *m, const el_context_params *pp, el_error *err)
{
    *out = NULL;
    el_context_params p = pp ? *pp : el_context_default_params();
    const el_hparams *hp = &m->hp;
    if (p.n_ctx <= 0)
        p.n_ctx = EL_MIN(hp->n_ctx_train > 0 ? hp->n_ctx_train : 4096, 4096);
    if (p.n_seq <= 0)
        p.n_seq = 1;
    if (p.n_batch <= 0)
        p.n_batch = 512;
    if (p.n_outputs <= 0)
        p.n_outputs = p.n_seq;
    if (p.n_outputs > p.n_batch)
        p.n_outputs = p.n_batch;
    if (p.n_threads <= 0)
        p.n_threads = omp_get_num_procs();
    if (p.n_ctx > (1 << 24) || p.n_seq > 65536 || p.n_batch > (1 << 20))
        return EL_FAIL(err, EL_EUSAGE, NULL, -1, "context sizes out of range");
    const el_kernels *k = p.kernels;
    const char *env = k ? NULL : getenv("EDGELM_KERNELS"); /* docs/targets.md */
    if (env && *env && !(k = el_kernels_by_name(env)))
        return EL_FAIL(err, EL_EUSAGE, NULL, -1, "EDGELM_KERNELS=%.32s: not a kernel table this build runs on this CPU", env);
    el_context *c = calloc(1, sizeof *c);
    if (!c)
        return EL_NOMEM(err);
    c->m = m;
    c->p = p;
    c->k = k ? k : el_kernels_best();
    c->k_tokenwise = *c->k;
    c->k_tokenwise.gemm = NULL;
    c->mk = c->k;
    c->kv_dim = hp->n_head_kv * hp->head_dim;
    c->kv_elt = p.kv_f32 ? 4 : 2;
    size_t B = (size_t)p.n_batch, E = (size_t)hp->n_embd, Q = (size_t)hp->n_head * (size_t)hp->head_dim;
    size_t KV = (size_t)c->kv_dim, F = (size_t)hp->n_ff;
    size_t cache = (size_t)hp->n_layer * (size_t)p.n_seq * (size_t)p.n_ctx * KV * c->kv_elt;
    bool ok = true;
    c->k_cache = zalloc(cache, &ok);
    c->v_cache = zalloc(cache, &ok);
    c->seq_len = zalloc((size_t)p.n_seq * sizeof(int), &ok);
    c->x = zalloc(B * E * 4, &ok);
    c->xn = zalloc(B * EL_MAX(E, Q) * 4, &ok);
    c->q = zalloc(B * Q * 4, &ok);
    c->kv_k = zalloc(B * KV * 4, &ok);
    c->kv_v = zalloc(B * KV * 4, &ok);
    c->att = zalloc(B * Q * 4, &ok);
    c->tmp = zalloc(B * E * 4, &ok);
    c->hb = zalloc(B * 2 * F * 4, &ok);
    c->hb2 = zalloc(B * F * 4, &ok);
    c->qkv = m->layers[0].wqkv.data ? zalloc(B * (Q + 2 * KV) * 4, &ok) : NULL;
    c->cs = zalloc(B * (size_t)hp->n_rot * 4, &ok);
    if (hp->rope_base_swa != hp->rope_base || hp->rope_freq_scale_swa != hp->rope_freq_scale)
        c->cs_swa = zalloc(B * (size_t)hp->n_rot * 4, &ok);
    /* the widest input a matmul quantizes: n_embd, n_head*head_dim or n_ff */
    c->mm = el_mm_scratch_new((int64_t)EL_MAX(EL_MAX(E, Q), F), p.n_batch, p.n_threads);
    if (!c->mm)
        ok = false;
    c->attn = (el_attn){c->k, hp->n_head, hp->n_head_kv, hp->head_dim, c->kv_dim, p.n_ctx, p.n_seq, c->kv_elt,
                        hp->attn_scale, hp->attn_softcap};
    c->as = el_attn_scratch_new(&c->attn, p.n_batch, p.n_threads);
    if (!c->as)
        ok = false;
    c->logits = zalloc((size_t)p.n_outputs * (size_t)hp->n_vocab * 4, &ok);
    c->out_rows = zalloc(B * sizeof(int), &ok);
    if (!ok) {
        el_context_free(c);
        return EL_FAIL(err, EL_ENOMEM, NULL, -1, "out of memory for a context of %d positions x %d sequences (KV cache %.1f MiB)",
                       p.n_ctx, p.n_seq, 2.0 * (double)cache / 1048576.0);
    }
    if (m->arch->longrope && m->rope_long && m->rope_short)
        c->rope_factors = p.n_ctx > hp->n_ctx_orig ? m->rope_long : m->rope_short;
    else
        c->rope_factors = m->rope_freqs;
    *out = c;
    return EL_OK;
}

const el_model *el_context_model(const el_context *c) { return c->m; }
int el_context_n_ctx(const el_context *c) { return c->p.n_ctx; }
int el_context_threads(const el_context *c) { return c->p.n_threads; }
const float *el_logits(const el_context *c, int i) { return c->logits + (size_t)i * (size_t)c->m->hp.n_vocab; }
int el_n_logits(const el_context *c) { return c->n_out; }
int el_seq_len(const el_context *c, int seq) { return seq >= 0 && seq < c->p.n_seq ? c->seq_len[seq] : 0; }

void el_seq_clear(el_context *c, int seq)
{
    if (seq >= 0 && seq < c->p.n_seq)
        c->seq_len[seq] = 0;
}

uint64_t el_context_bytes(const el_context *c)
{
    return (uint64_t)sizeof *c + c->bytes + el_mm_scratch_bytes(c->mm) + el_attn_scratch_bytes(c->as);
}

uint64_t el_context_kv_bytes(const el_context *c)
{
    return 2ull * (uint64_t)c->m->hp.n_layer * (uint64_t)c->p.n_seq * (uint64_t)c->p.n_ctx * (uint64_t)c->kv_dim * c->kv_elt;
}

/* ---- 2. small ops --------------------------------------------------------------------------------- */

/*
 * LlamaRMSNorm: x / sqrt(mean(x^2) + eps) * w (Gemma's 1 + w is already in
 * the file). The rounding steps are ggml's (f32 squares summed in double, the
 * mean and scale in f32, then (x * scale) * w): bf16 and f16 activations
 * amplify any difference in the last bit (docs/engine.md).
 */
static void rmsnorm(float *o, const float *x, const float *w, int n, float eps)
{
    double ss = 0;
    for (int i = 0; i < n; i++)
        ss += (double)(x[i] * x[i]);
    const float mean = (float)(ss / n);
    const float s = 1.0f / sqrtf(mean + eps);
    for (int i = 0; i < n; i++)
        o[i] = (x[i] * s) * w[i];
}

/* apply_rotary_pos_emb: (x0, x1) -> (x0 cos - x1 sin, x0 sin + x1 cos) on the first n_rot dims */
static void rope(float *x, int n_rot, const float *cs, bool neox)
{
    const int half = n_rot / 2;
    for (int i = 0; i < half; i++) {
        const float c = cs[2 * i], s = cs[2 * i + 1];
        const int a = neox ? i : 2 * i, b = neox ? i + half : 2 * i + 1;
        const float x0 = x[a], x1 = x[b];
        x[a] = x0 * c - x1 * s;
        x[b] = x0 * s + x1 * c;
    }
}

static inline float silu(float x) { return x / (1.0f + expf(-x)); }

static inline float gelu_tanh(float x)
{
    return 0.5f * x * (1.0f + tanhf(0.7978845608028654f * (x + 0.044715f * x * x * x)));
}

static inline float softcap(float x, float cap) { return tanhf(x / cap) * cap; }

/* ---- 3. matmul (engine/matmul.c) --------------------------------------------------------------------- */

/* the observer (context.h) sees each matrix's input first */
static void mm(el_context *c, const float *x, int ldx, int T, const el_mm_out *outs, int n_outs)
{
    if (c->p.observe)
        for (int i = 0; i < n_outs; i++)
            c->p.observe(c->p.observe_ud, outs[i].w, outs[0].w, x, ldx, T, omp_get_thread_num(), omp_get_num_threads());
    el_matmul(c->mk, c->mm, x, ldx, T, outs, n_outs);
}

static void matmul(el_context *c, const el_wmat *w, const float *x, int ldx, int T, float *y, int ldy,
                   const float *bias)
{
    const el_mm_out o = {w, y, ldy, bias};
    mm(c, x, ldx, T, &o, 1);
}

/* ---- 4. attention ------------------------------------------------------------------------------------ */

/* past_key_value.update: K/V head g of the token at (seq, pos) into this layer's cache */
static void kv_store(el_context *c, int il, int seq, int pos, int g, const float *k, const float *v)
{
    const int hd = c->m->hp.head_dim;
    size_t off = ((((size_t)il * (size_t)c->p.n_seq + (size_t)seq) * (size_t)c->p.n_ctx) + (size_t)pos) * (size_t)c->kv_dim +
                 (size_t)g * (size_t)hd;
    if (c->kv_elt == 2) {
        el_row_f32_to_f16(k, (uint16_t *)(void *)c->k_cache + off, (size_t)hd);
        el_row_f32_to_f16(v, (uint16_t *)(void *)c->v_cache + off, (size_t)hd);
    } else {
        memcpy((float *)(void *)c->k_cache + off, k, (size_t)hd * 4);
        memcpy((float *)(void *)c->v_cache + off, v, (size_t)hd * 4);
    }
}

/* ---- 5. decode ---------------------------------------------------------------------------------------- */

static int check_batch(el_context *c, const el_batch *b, el_error *err)
{
    if (b->n <= 0 || b->n > c->p.n_batch)
        return EL_FAIL(err, EL_EUSAGE, NULL, -1, "batch of %d tokens (1..%d)", b->n, c->p.n_batch);
    int n_out = 0;
    /* per sequence: positions continue the cache, in order */
    for (int t = 0; t < b->n; t++) {
        int s = b->seq ? b->seq[t] : 0, p = b->pos[t];
        if (b->tokens[t] < 0 || b->tokens[t] >= c->m->hp.n_vocab)
            return EL_FAIL(err, EL_EUSAGE, NULL, -1, "token id %d outside the vocabulary (%d)", b->tokens[t], c->m->hp.n_vocab);
        if (s < 0 || s >= c->p.n_seq)
            return EL_FAIL(err, EL_EUSAGE, NULL, -1, "sequence %d outside 0..%d", s, c->p.n_seq - 1);
        if (p < 0 || p >= c->p.n_ctx)
            return EL_FAIL(err, EL_EUSAGE, NULL, -1, "position %d outside the context of %d", p, c->p.n_ctx);
        if (b->logits ? b->logits[t] : t == b->n - 1)
            n_out++;
    }
    if (n_out > c->p.n_outputs)
        return EL_FAIL(err, EL_EUSAGE, NULL, -1, "%d logits rows requested, the context holds %d", n_out, c->p.n_outputs);
    for (int s = 0; s < c->p.n_seq; s++) {
        int expect = -1;
        for (int t = 0; t < b->n; t++) {
            if ((b->seq ? b->seq[t] : 0) != s)
                continue;
            int p = b->pos[t];
            if (expect < 0 ? p > c->seq_len[s] : p != expect)
                return EL_FAIL(err, EL_EUSAGE, NULL, -1,
                               "sequence %d: position %d does not continue the cache (length %d) in order", s, p,
                               c->seq_len[s]);
            expect = p + 1;
        }
    }
    return EL_OK;
}

/*
 * Every logit finite: a model whose weights or hyperparameters make NaN or infinity (rope.freq_base
 * 0, an overflowing f16 weight) is named here, where it shows, instead of as a crash in a sampler's
 * sort or a "PPL = nan" further on. One pass over the output rows, small beside the matrix that
 * made them.
 */
static int check_logits(const el_context *c, const el_batch *b, el_error *err)
{
    const int nv = c->m->hp.n_vocab;
    for (int o = 0; o < c->n_out; o++) {
        const float *l = c->logits + (size_t)o * (size_t)nv;
        float acc = 0.0f;
        for (int i = 0; i < nv; i++)
            acc += l[i] * 0.0f; /* NaN as soon as one is NaN or infinite */
        if (acc == 0.0f)
            continue;
        int i = 0;
        while (i < nv && isfinite(l[i]))
            i++;
        const int t = c->out_rows[o];
        return EL_FAIL(err, EL_ENUMERIC, c->m->path, -1,
                       "the model computes %s logits (sequence %d, position %d, token %d: logit of id %d is %g); "
                       "its weights or hyperparameters are broken",
                       i < nv && isnan(l[i]) ? "NaN" : "infinite", b->seq ? b->seq[t] : 0, b->pos[t], b->tokens[t],
                       i < nv ? i : -1, i < nv ? l[i] : 0.0);
    }
    return EL_OK;
}

/*
 * Rotary embedding of the batch's positions (inside the parallel region): theta_i = pos *
 * base^(-2i/n_rot) [/ factor_i] [* linear scale], in f32 with the angle advanced by a running
 * product as ggml does (same rounding, same logits).
 */
static void rope_table(float *out, const el_context *c, const el_batch *b, float base, float freq_scale)
{
    const el_hparams *hp = &c->m->hp;
    const int R = hp->n_rot;
    const float theta_scale = powf(base, -2.0f / (float)R);
#pragma omp for schedule(static)
    for (int t = 0; t < b->n; t++) {
        float *cs = out + (size_t)t * R;
        float theta = (float)b->pos[t];
        for (int i = 0; i < R / 2; i++) {
            const float ff = c->rope_factors ? c->rope_factors[i] : 1.0f;
            const float th = freq_scale * (theta / ff);
            cs[2 * i] = cosf(th) * hp->rope_attn_factor;
            cs[2 * i + 1] = sinf(th) * hp->rope_attn_factor;
            theta *= theta_scale;
        }
    }
}

int el_decode(el_context *c, const el_batch *b, el_error *err)
{
    int rc = check_batch(c, b, err);
    if (rc)
        return rc;
    const el_model *m = c->m;
    const el_hparams *hp = &m->hp;
    const int T = b->n, E = hp->n_embd, hd = hp->head_dim, NH = hp->n_head, NKV = hp->n_head_kv;
    const int Q = NH * hd, KV = c->kv_dim, F = hp->n_ff, R = hp->n_rot;
    c->n_out = 0;
    for (int t = 0; t < T; t++)
        if (b->logits ? b->logits[t] : t == T - 1)
            c->out_rows[c->n_out++] = t;
    const int n_out = c->n_out;
    c->mk = c->k;
    if (c->p.batch_invariant && b->seq)
        for (int t = 1; t < T; t++)
            if (b->seq[t] != b->seq[0]) {
                c->mk = &c->k_tokenwise;
                break;
            }

#pragma omp parallel num_threads(c->p.n_threads)
    {

        /* inputs_embeds = embed_tokens(input_ids) (Gemma: * sqrt(hidden_size)) */
#pragma omp for schedule(static)
        for (int t = 0; t < T; t++) {
            float *x = c->x + (size_t)t * E;
            el_dequantize_row(m->tok_embd.type, m->tok_embd.data + (size_t)b->tokens[t] * m->tok_embd.row_bytes, x, E);
            if (hp->embd_scale != 1.0f)
                for (int i = 0; i < E; i++)
                    x[i] *= hp->embd_scale;
        }
        /* cos/sin per position (the sliding-window layers' own when they rotate otherwise) */
        rope_table(c->cs, c, b, hp->rope_base, hp->rope_freq_scale);
        if (c->cs_swa)
            rope_table(c->cs_swa, c, b, hp->rope_base_swa, hp->rope_freq_scale_swa);

        for (int il = 0; il < hp->n_layer; il++) {
            const el_layer *L = &m->layers[il];
            /*
             * hidden_states = input_layernorm(hidden_states), after the previous layer's
             * residual + mlp(...) (Gemma 2: post_feedforward_layernorm first) - one step, one barrier
             */
            const el_layer *P = il > 0 ? &m->layers[il - 1] : NULL;
#pragma omp for schedule(static)
            for (int t = 0; t < T; t++) {
                float *x = c->x + (size_t)t * E;
                if (P) {
                    float *o = c->tmp + (size_t)t * E;
                    if (P->post_ffw_norm)
                        rmsnorm(o, o, P->post_ffw_norm, E, hp->norm_eps);
                    for (int i = 0; i < E; i++)
                        x[i] += o[i];
                }
                rmsnorm(c->xn + (size_t)t * E, x, L->attn_norm, E, hp->norm_eps);
            }
            /* q, k, v = q_proj(h), k_proj(h), v_proj(h) (Phi-3: one qkv_proj, split) */
            if (L->wqkv.data) {
                matmul(c, &L->wqkv, c->xn, E, T, c->qkv, Q + 2 * KV, NULL);
#pragma omp for schedule(static)
                for (int t = 0; t < T; t++) {
                    const float *src = c->qkv + (size_t)t * (size_t)(Q + 2 * KV);
                    memcpy(c->q + (size_t)t * Q, src, (size_t)Q * 4);
                    memcpy(c->kv_k + (size_t)t * KV, src + Q, (size_t)KV * 4);
                    memcpy(c->kv_v + (size_t)t * KV, src + Q + KV, (size_t)KV * 4);
                }
            } else {
                const el_mm_out qkv[3] = {{&L->wq, c->q, Q, L->bq}, {&L->wk, c->kv_k, KV, L->bk}, {&L->wv, c->kv_v, KV, L->bv}};
                mm(c, c->xn, E, T, qkv, 3);
            }
            /* Qwen3: q_norm/k_norm per head; then apply_rotary_pos_emb(q, k); past_key_value.update(k, v) */
#pragma omp for schedule(static)
            for (int th = 0; th < T * (NH + NKV); th++) {
                const int t = th / (NH + NKV), h = th % (NH + NKV);
                const float *cs = (L->swa && c->cs_swa ? c->cs_swa : c->cs) + (size_t)t * R;
                if (h < NH) {
                    float *q = c->q + (size_t)t * Q + (size_t)h * hd;
                    if (L->q_norm)
                        rmsnorm(q, q, L->q_norm, hd, hp->norm_eps);
                    rope(q, R, cs, hp->rope_neox);
                } else {
                    const int g = h - NH;
                    float *k = c->kv_k + (size_t)t * KV + (size_t)g * hd;
                    if (L->k_norm)
                        rmsnorm(k, k, L->k_norm, hd, hp->norm_eps);
                    rope(k, R, cs, hp->rope_neox);
                    kv_store(c, il, b->seq ? b->seq[t] : 0, b->pos[t], g, k, c->kv_v + (size_t)t * KV + (size_t)g * hd);
                }
            }
            /* attn_output = softmax(q k^T / sqrt(d) [+ soft-cap] + causal mask) v, per head (engine/attention.c) */
            const size_t layer_off = (size_t)il * (size_t)c->p.n_seq * (size_t)c->p.n_ctx * (size_t)KV * c->kv_elt;
            el_attention(&c->attn, c->as, c->k_cache + layer_off, c->v_cache + layer_off, L->swa ? hp->n_swa : 0, c->q, Q,
                         c->att, Q, T, b->pos, b->seq);
            /* hidden_states = residual + o_proj(attn_output) (Gemma 2: post_attention_layernorm first) */
            matmul(c, &L->wo, c->att, Q, T, c->tmp, E, L->bo);
#pragma omp for schedule(static)
            for (int t = 0; t < T; t++) {
                float *o = c->tmp + (size_t)t * E, *x = c->x + (size_t)t * E;
                if (L->post_attn_norm)
                    rmsnorm(o, o, L->post_attn_norm, E, hp->norm_eps);
                for (int i = 0; i < E; i++)
                    x[i] += o[i];
                /* post_attention_layernorm (Gemma 2: pre_feedforward_layernorm) */
                rmsnorm(c->xn + (size_t)t * E, x, L->ffn_norm, E, hp->norm_eps);
            }
            /* down_proj(act_fn(gate_proj(x)) * up_proj(x)); Phi-3: gate_up_proj, gate first. The
             * activation is split by element, so one token keeps every thread busy. */
            const int64_t TF = (int64_t)T * F;
            if (!L->ffn_gate.data) {
                matmul(c, &L->ffn_up, c->xn, E, T, c->hb, 2 * F, L->b_up);
#pragma omp for schedule(static)
                for (int64_t i = 0; i < TF; i++) {
                    const float *gu = c->hb + (size_t)(i / F) * 2 * F;
                    c->hb2[i] = silu(gu[i % F]) * gu[F + i % F];
                }
            } else {
                const el_mm_out gu[2] = {{&L->ffn_gate, c->hb, F, L->b_gate}, {&L->ffn_up, c->hb2, F, L->b_up}};
                mm(c, c->xn, E, T, gu, 2);
#pragma omp for schedule(static)
                for (int64_t i = 0; i < TF; i++)
                    c->hb2[i] *= hp->geglu ? gelu_tanh(c->hb[i]) : silu(c->hb[i]);
            }
            matmul(c, &L->ffn_down, c->hb2, F, T, c->tmp, E, L->b_down);
        }
        /* the last layer's residual + mlp(...) */
        const el_layer *P = &m->layers[hp->n_layer - 1];
#pragma omp for schedule(static)
        for (int t = 0; t < T; t++) {
            float *o = c->tmp + (size_t)t * E, *x = c->x + (size_t)t * E;
            if (P->post_ffw_norm)
                rmsnorm(o, o, P->post_ffw_norm, E, hp->norm_eps);
            for (int i = 0; i < E; i++)
                x[i] += o[i];
        }
        /* logits = lm_head(norm(hidden_states)) for the rows asked for (Gemma 2: final soft-cap) */
#pragma omp for schedule(static)
        for (int o = 0; o < n_out; o++)
            rmsnorm(c->xn + (size_t)o * E, c->x + (size_t)c->out_rows[o] * E, m->output_norm, E, hp->norm_eps);
        matmul(c, &m->output, c->xn, E, n_out, c->logits, hp->n_vocab, NULL);
        if (hp->final_softcap > 0) {
            const int64_t total = (int64_t)n_out * hp->n_vocab;
#pragma omp for schedule(static)
            for (int64_t i = 0; i < total; i++)
                c->logits[i] = softcap(c->logits[i], hp->final_softcap);
        }
    }
    for (int t = 0; t < T; t++) {
        int s = b->seq ? b->seq[t] : 0;
        c->seq_len[s] = b->pos[t] + 1;
    }
    return check_logits(c, b, err);
}
