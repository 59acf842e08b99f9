/*
 * distill/logits.c - teacher-forced top-k over text (see logits.h).
 */
#include "distill/logits.h"

#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/util.h"
#include "datasets/records.h"
#include "distill/outdir.h"
#include "distill/run.h"
#include "distill/teacher.h"
#include "engine/context.h"

/* The text of record r. */
static int text_of(const el_ds_records *recs, size_t r, const char *field, const char **text, size_t *len, el_error *err)
{
    const json_t *v = recs->rec[r];
    if (json_is_object(v))
        v = json_object_get(v, field ? field : "text");
    if (!json_is_string(v))
        return EL_FAIL(err, EL_EFORMAT, recs->name, -1, "line %lld: no string \"%s\" field", (long long)recs->line[r],
                       field ? field : "text");
    *text = json_string_value(v);
    *len = json_string_length(v);
    return EL_OK;
}

typedef struct {
    const el_distill_logits_params *p;
    el_dmodel t;
    el_context *c;
    el_dout *out;
    int k, n_vocab, bos;
    int32_t *pos;
    int8_t *want;
    int32_t *ids, *chunk;
    float *lp, *tail;
    int64_t unit, first_unit, scored;
} run;

/* Decode one chunk and hand it to the output folder. */
static int do_chunk(run *r, int64_t id, int64_t no, int64_t line, const int32_t *toks, int n, el_error *err)
{
    const int64_t u = r->unit++;
    if (u < r->first_unit)
        return EL_OK;
    el_seq_clear(r->c, 0);
    for (int i = 0; i < n; i++) {
        r->pos[i] = i;
        r->want[i] = i < n - 1;
    }
    el_batch b = {n, toks, r->pos, NULL, r->want};
    int rc = el_decode(r->c, &b, err);
    if (rc)
        return rc;
    for (int i = 0; i < n - 1; i++)
        el_topk_logprobs(el_logits(r->c, i), r->n_vocab, r->k, r->ids + (size_t)i * r->k, r->lp + (size_t)i * r->k,
                         r->tail + i);
    char buf[160];
    snprintf(buf, sizeof buf, "{\"id\":%lld,\"chunk\":%lld,\"line\":%lld,\"n_tokens\":%d,\"n_scored\":%d}", (long long)id,
             (long long)no, (long long)line, n, n - 1);
    el_dshard_rec rec = {id, no, toks, n, 1, r->ids, r->lp, r->tail};
    r->scored += n - 1;
    rc = el_dout_add(r->out, buf, &rec, n, err);
    if (!rc && r->p->progress)
        el_progress_add(r->p->progress, (uint64_t)n);
    return rc;
}

/* Cut one record's tokens into chunks (logits.h). */
static int do_record(run *r, int64_t id, int64_t line, const el_tokens *t, el_error *err)
{
    const int C = r->p->n_ctx;
    size_t next = 0; /* the first token not yet in a chunk */
    int rc = EL_OK;
    for (int64_t no = 0; next < t->n && !rc; no++) {
        int n = 0;
        if (no > 0)
            r->chunk[n++] = r->bos >= 0 ? r->bos : t->ids[next - 1];
        while (n < C && next < t->n)
            r->chunk[n++] = t->ids[next++];
        rc = do_chunk(r, id, no, line, r->chunk, n, err);
    }
    return rc;
}

int el_distill_logits(const el_distill_logits_params *p, el_distill_stats *st, el_error *err)
{
    memset(st, 0, sizeof *st);
    if (p->topk < 1 || p->n_ctx < 2 || p->shard_n < 1 || p->shard_i < 0 || p->shard_i >= p->shard_n)
        return EL_FAIL(err, EL_EUSAGE, NULL, -1, "bad parameters (topk-logits, ctx-size or shard)");
    const double t0 = el_now();
    run r = {.p = p};
    el_ds_records recs = {0};
    el_tok_ctx *tctx = el_tok_ctx_new();
    el_tokens toks = {0};
    char sha[65];
    json_t *head = NULL, *counts = NULL;
    el_distill_counts cnt = {0};
    int rc = tctx ? EL_OK : EL_NOMEM(err);
    if (!rc)
        rc = el_spec_sha256(p->data, sha, err);
    if (!rc)
        rc = el_ds_records_load(p->data, EL_DS_AUTO, &recs, err);
    if (!rc)
        rc = el_dmodel_load(&r.t, p->teacher, true, err);
    if (!rc) {
        r.n_vocab = r.t.m->hp.n_vocab;
        r.k = EL_MIN(p->topk, r.n_vocab);
        r.bos = el_tok_added_bos(r.t.tok);
        el_context_params cp = el_context_default_params();
        cp.n_ctx = p->n_ctx;
        cp.n_batch = p->n_ctx;
        cp.n_outputs = p->n_ctx;
        cp.n_threads = p->threads;
        cp.batch_invariant = true;
        rc = el_context_new(&r.c, r.t.m, &cp, err);
    }
    if (!rc) {
        const size_t C = (size_t)p->n_ctx;
        r.pos = malloc(C * sizeof *r.pos);
        r.want = malloc(C);
        r.chunk = malloc(C * sizeof *r.chunk);
        r.ids = malloc(C * (size_t)r.k * sizeof *r.ids);
        r.lp = malloc(C * (size_t)r.k * sizeof *r.lp);
        r.tail = malloc(C * sizeof *r.tail);
        if (!r.pos || !r.want || !r.chunk || !r.ids || !r.lp || !r.tail)
            rc = EL_NOMEM(err);
    }
    if (!rc) {
        json_t *params = json_pack("{s:s?, s:i, s:i, s:I}", "field", p->field, "n_ctx", p->n_ctx, "topk_logits", r.k,
                                   "shard_tokens", (json_int_t)(p->shard_tokens > 0 ? p->shard_tokens : 1 << 20));
        head = el_distill_head("logits", &r.t, p->data, sha, params, p->shard_i, p->shard_n);
        if (!head)
            rc = EL_NOMEM(err);
    }
    el_dout_params op = {p->out_dir, "records.jsonl", r.k, r.n_vocab, p->shard_tokens > 0 ? p->shard_tokens : 1 << 20,
                         p->resume, head};
    if (!rc)
        rc = el_dout_open(&r.out, &op, &r.first_unit, err);
    if (!rc && p->progress)
        el_progress_begin(p->progress, "distill logits", "records", 0);
    cnt.records = (int64_t)recs.n;
    for (size_t i = 0; i < recs.n && !rc; i++) {
        if ((int64_t)(i % (size_t)p->shard_n) != p->shard_i)
            continue;
        cnt.records_in_shard++;
        size_t len = 0;
        const char *text = NULL;
        rc = text_of(&recs, i, p->field, &text, &len, err);
        if (rc)
            break;
        toks.n = 0;
        if (len > 0)
            rc = el_tok_encode(r.t.tok, tctx, text, len, EL_TOK_ADD_SPECIAL, &toks, err);
        if (!rc && toks.n < 2) {
            cnt.skipped_empty++; /* nothing to predict */
            continue;
        }
        if (!rc)
            rc = do_record(&r, (int64_t)i, recs.line[i], &toks, err);
    }
    if (p->progress)
        el_progress_end(p->progress);
    if (!rc)
        rc = el_dout_flush(r.out, err);
    if (!rc)
        rc = el_distill_logits_counts(el_dout_lines_path(r.out), &cnt, &counts, err);
    if (!rc)
        rc = el_dout_finish(r.out, counts, &st->manifest, err);
    if (!rc) {
        st->units_skipped = r.first_unit;
        st->units_done = r.unit - r.first_unit;
        st->tokens = r.scored;
        st->seconds = st->wall_seconds = el_now() - t0;
    }
    json_decref(counts);
    json_decref(head);
    el_dout_free(r.out);
    el_context_free(r.c);
    free(r.pos);
    free(r.want);
    free(r.chunk);
    free(r.ids);
    free(r.lp);
    free(r.tail);
    el_tokens_free(&toks);
    el_tok_ctx_free(tctx);
    el_ds_records_free(&recs);
    el_dmodel_free(&r.t);
    return rc;
}
