/*
 * eval/imatrix.c - importance matrix collection (see imatrix.h).
 */
#include "eval/imatrix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "engine/context.h"
#include "engine/lm.h"
#include "engine/tokenizer/tokenizer.h"
#include "eval/text.h"
#include "quant/recipe.h"

/* What the observer fills: the imatrix, and the second moments when asked for. */
typedef struct {
    el_imatrix *m;
    el_hessian *h; /* NULL: none */
    int phase;     /* with h: 0 while the links are found, then 1 */
    int *first;    /* with h: per matrix, the index of the first matrix reading its input (-1: not seen) */
} collect;

/* The diagonal sums: thread ith of nth adds its share of the columns; thread 0 counts the rows. */
static void observe_diag(el_imatrix_entry *e, const float *x, int ldx, int T, int ith, int nth)
{
    const int64_t j0 = e->n * ith / nth, j1 = e->n * (ith + 1) / nth;
    for (int64_t j = j0; j < j1; j++) {
        double s = 0;
        for (int t = 0; t < T; t++) {
            const double v = x[(size_t)t * (size_t)ldx + (size_t)j];
            s += v * v;
        }
        e->sum2[j] += s;
    }
    if (ith == 0)
        e->count += T;
}

/* The observer. Entries exist before decoding starts, so threads only read the tables. With --hessian a
 * first decode (phase 0, a few tokens) only finds which matrices share an input, then every distinct
 * input gets its sums; thread 0 alone writes the links. */
static void observe(void *ud, const el_wmat *w, const el_wmat *first, const float *x, int ldx, int T, int ith, int nth)
{
    collect *c = ud;
    if (!c->h) {
        el_imatrix_entry *e = (el_imatrix_entry *)el_imatrix_find(c->m, w->name);
        if (e && e->n == w->ne0)
            observe_diag(e, x, ldx, T, ith, nth);
        return;
    }
    const int mi = el_hessian_find_matrix(c->h, w->name), fi = el_hessian_find_matrix(c->h, first->name);
    if (mi < 0 || fi < 0 || first->ne0 != w->ne0)
        return;
    if (c->phase == 0) {
        if (ith == 0 && c->first[mi] < 0)
            c->first[mi] = fi;
        return;
    }
    el_imatrix_entry *e = (el_imatrix_entry *)el_imatrix_find(c->m, w->name);
    if (e && e->n == w->ne0)
        observe_diag(e, x, ldx, T, ith, nth);
    const int k = c->h->m[mi].input;
    if (w != first || k < 0)
        return; /* the same rows as `first`: summed once, under its name */
    el_hessian_input *in = &c->h->in[k];
    el_xtx_accumulate(in->sum, in->n, x, ldx, T, ith, nth);
    if (ith == 0)
        in->count += T;
}

/* After phase 0: an input for every matrix that came first, the others linked to theirs. */
static int hessian_inputs(collect *c, const gguf_file *g, el_error *err)
{
    el_hessian *h = c->h;
    for (int i = 0; i < h->n_m; i++)
        if (c->first[i] == i) {
            const gguf_tensor *t = gguf_find_tensor(g, h->m[i].name);
            if ((h->m[i].input = el_hessian_add_input(h, h->m[i].name, t ? t->ne[0] : 0)) < 0)
                return EL_NOMEM(err);
        }
    for (int i = 0; i < h->n_m; i++)
        if (c->first[i] >= 0 && c->first[i] != i)
            h->m[i].input = h->m[c->first[i]].input;
    c->phase = 1;
    return EL_OK;
}

int el_imatrix_collect(const el_imatrix_opts *o, el_imatrix *m, el_hessian *h, el_imatrix_result *r, el_error *err)
{
    memset(m, 0, sizeof *m);
    if (h)
        memset(h, 0, sizeof *h);
    collect cl = {m, h, 0, NULL};
    memset(r, 0, sizeof *r);
    const double t0 = el_now();
    const int n_ctx = o->n_ctx > 0 ? o->n_ctx : 512;
    el_lm lm = {0};
    el_context *c = NULL;
    el_tokens toks = {0};
    int32_t *pos = NULL;
    int8_t *want = NULL;
    int rc = el_lm_open(&lm, o->model_path, err);
    if (!rc) /* --chunks reads only the text it needs (eval/text.h) */
        rc = el_text_tokens(lm.tok, o->text_path, o->max_chunks > 0 ? (size_t)o->max_chunks * (size_t)n_ctx : 0, &toks, err);
    if (rc)
        goto done;
    int n_chunks = (int)(toks.n / (size_t)n_ctx);
    if (o->max_chunks > 0 && n_chunks > o->max_chunks)
        n_chunks = o->max_chunks;
    if (n_chunks < 1) {
        rc = toks.n >= 8 ? EL_FAIL(err, EL_ERANGE, o->text_path, -1,
                                   "the text has %zu tokens, fewer than one chunk of %d: pass -c %zu or less, or a longer text",
                                   toks.n, n_ctx, toks.n)
                         : EL_FAIL(err, EL_ERANGE, o->text_path, -1, "the text has %zu tokens, fewer than one chunk of %d: a chunk needs 8 at least", toks.n, n_ctx);
        goto done;
    }
    /* an entry for every matrix the model multiplies by */
    const gguf_file *g = lm.model->f;
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        const gguf_tensor *t = &g->tensors[i];
        if (t->n_dims == 2 && el_recipe_quantizable(t->name, t->n_dims) &&
            (!el_imatrix_add(m, t->name, t->ne[0]) || (h && !el_hessian_add_matrix(h, t->name)))) {
            rc = EL_NOMEM(err);
            goto done;
        }
    }
    if (h) {
        if (!(cl.first = malloc((size_t)(h->n_m ? h->n_m : 1) * sizeof *cl.first))) {
            rc = EL_NOMEM(err);
            goto done;
        }
        for (int i = 0; i < h->n_m; i++)
            cl.first[i] = -1;
    }
    el_context_params p = el_context_default_params();
    p.n_ctx = n_ctx;
    p.n_batch = n_ctx;
    p.n_outputs = n_ctx;
    p.n_threads = o->threads;
    p.observe = observe;
    p.observe_ud = &cl;
    if ((rc = el_context_new(&c, lm.model, &p, err)))
        goto done;
    pos = malloc((size_t)n_ctx * sizeof *pos);
    want = malloc((size_t)n_ctx);
    if (!pos || !want) {
        rc = EL_NOMEM(err);
        goto done;
    }
    for (int i = 0; i < n_ctx; i++) {
        pos[i] = i;
        want[i] = 1;
    }
    const int bos = el_tok_added_bos(lm.tok);
    if (h) { /* phase 0: which matrices share an input (8 tokens of the first chunk) */
        int32_t ids[8];
        memcpy(ids, toks.ids, sizeof ids);
        if (bos >= 0)
            ids[0] = bos;
        const el_batch b = {8, ids, pos, NULL, want};
        if ((rc = el_decode(c, &b, err)) || (rc = hessian_inputs(&cl, g, err)))
            goto done;
        el_seq_clear(c, 0);
    }
    if (o->progress)
        el_progress_begin(o->progress, "imatrix", "chunks", (uint64_t)n_chunks);
    for (int ch = 0; ch < n_chunks && !rc; ch++) {
        int32_t *ids = toks.ids + (size_t)ch * (size_t)n_ctx;
        if (bos >= 0)
            ids[0] = bos;
        el_seq_clear(c, 0);
        const el_batch b = {n_ctx, ids, pos, NULL, want};
        rc = el_decode(c, &b, err);
        if (o->progress)
            el_progress_set(o->progress, (uint64_t)ch + 1);
        r->chunks = ch + 1;
        r->tokens += (uint64_t)n_ctx;
    }
    if (o->progress)
        el_progress_end(o->progress);
    if (rc)
        goto done;
    m->chunks = r->chunks;
    m->chunk_size = n_ctx;
    const char *base = strrchr(o->text_path, '/');
    snprintf(m->dataset, sizeof m->dataset, "%s", base ? base + 1 : o->text_path);
    rc = el_imatrix_finish(m, err);
    if (h) {
        h->chunks = r->chunks;
        h->chunk_size = n_ctx;
        memcpy(h->dataset, m->dataset, sizeof h->dataset);
    }
done:
    r->seconds = el_now() - t0;
    free(cl.first);
    if (rc) {
        el_imatrix_free(m);
        if (h)
            el_hessian_free(h);
    }
    free(pos);
    free(want);
    el_tokens_free(&toks);
    el_context_free(c);
    el_lm_close(&lm);
    return rc;
}
