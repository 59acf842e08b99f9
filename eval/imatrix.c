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

/* The observer: thread ith of nth adds its share of the columns; thread 0 counts the rows. Entries
 * exist before decoding starts, so threads only read the table. */
static void observe(void *ud, const el_wmat *w, const float *x, int ldx, int T, int ith, int nth)
{
    el_imatrix *m = ud;
    el_imatrix_entry *e = (el_imatrix_entry *)el_imatrix_find(m, w->name);
    if (!e || e->n != w->ne0)
        return;
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

int el_imatrix_collect(const el_imatrix_opts *o, el_imatrix *m, el_imatrix_result *r, el_error *err)
{
    memset(m, 0, sizeof *m);
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
        if (t->n_dims == 2 && el_recipe_quantizable(t->name, t->n_dims) && !el_imatrix_add(m, t->name, t->ne[0])) {
            rc = EL_NOMEM(err);
            goto done;
        }
    }
    el_context_params p = el_context_default_params();
    p.n_ctx = n_ctx;
    p.n_batch = n_ctx;
    p.n_outputs = n_ctx;
    p.n_threads = o->threads;
    p.observe = observe;
    p.observe_ud = m;
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
done:
    r->seconds = el_now() - t0;
    if (rc)
        el_imatrix_free(m);
    free(pos);
    free(want);
    el_tokens_free(&toks);
    el_context_free(c);
    el_lm_close(&lm);
    return rc;
}
