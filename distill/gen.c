/*
 * distill/gen.c - batched teacher generation (see gen.h).
 *
 * The loop keeps `batch` slots busy. A slot that takes a unit prefills its prompt alone (one
 * sequence per call, so the arithmetic is the prompt's own), samples the first token, and from
 * then on joins one decode step per token with every other busy slot. Finished units wait in a
 * small reorder list until every unit before them is finished, then go to the output folder.
 */
#include "distill/gen.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/util.h"
#include "datasets/records.h"
#include "distill/chat.h"
#include "distill/outdir.h"
#include "distill/run.h"
#include "distill/teacher.h"
#include "engine/context.h"
#include "engine/generate.h"

/* One unit in flight or finished. */
typedef struct unit {
    int64_t unit, id, sample, line;
    const json_t *src;       /* the record's prompt or messages (borrowed from the loaded file) */
    char *prompt_text;       /* the text tokenized (after the chat template) */
    bool truncated;
    el_tokens toks;          /* prompt, then every sampled token (an end token included) */
    int n_prompt;
    el_sampler *s;
    uint64_t seed;
    int32_t *ids;            /* top-k rows */
    float *lp, *tail;
    int64_t rows, cap_rows;
    double conf;             /* sum of sampled tokens' probabilities */
    const char *finish;      /* NULL while running */
} unit;

typedef struct gen {
    const el_distill_gen_params *p;
    el_dmodel t;
    el_context *c;
    el_ds_records recs;
    el_chat_tmpl tmpl;
    el_tok_ctx *tctx;
    el_dout *out;
    json_t *sampling;        /* per-line sampling object (seed set per unit) */
    json_t *teacher;         /* {"name", "sha256"} per line */
    int n_ctx, k, n_vocab;
    int64_t shard_tokens;
    /* the enumeration */
    size_t next_rec;         /* the next record to look at */
    int64_t next_unit;       /* units handed out so far */
    int pending_samples;     /* samples of the current record still to hand out */
    unit proto;              /* the current record's prompt, copied into each of its units */
    int64_t skipped_empty, skipped_long, truncated, records_in_shard;
    /* the slots and the finished units waiting for their turn */
    unit *slot;
    unit **done;
    int n_done, cap_done;
    int64_t next_commit;
    int64_t first_unit;
    int64_t tokens;
} gen;

static void unit_free(unit *u)
{
    free(u->prompt_text);
    el_tokens_free(&u->toks);
    el_sampler_free(u->s);
    free(u->ids);
    free(u->lp);
    free(u->tail);
    memset(u, 0, sizeof *u);
}

/* ---- prompts --------------------------------------------------------------------------------------- */

/* The messages of a record, as el_chat_msg (pointing into the JSON). */
static int messages_of(const gen *g, const json_t *arr, const char *at, el_chat_msg **out, int *n, el_error *err)
{
    *out = NULL;
    *n = (int)json_array_size(arr);
    el_chat_msg *m = calloc((size_t)(*n ? *n : 1), sizeof *m);
    if (!m)
        return EL_NOMEM(err);
    for (int i = 0; i < *n; i++) {
        const json_t *e = json_array_get(arr, (size_t)i);
        m[i].role = el_json_get_str(e, "role");
        m[i].content = el_json_get_str(e, "content");
        if (!m[i].role || !m[i].content) {
            free(m);
            return EL_FAIL(err, EL_EFORMAT, g->recs.name, -1, "%s: message %d needs string \"role\" and \"content\"", at,
                           i + 1);
        }
    }
    *out = m;
    return EL_OK;
}

/*
 * The prompt text of messages through the chat template. chat.c's error is raised into a record of
 * its own and then reported as the prompts file's, at the record's line, keeping chat.c's code and
 * source location: wrapping `err` after chat.c had filled it changed nothing (the first error wins,
 * core/error.h), so the error named neither the file nor the line.
 */
static int chat_text(const gen *g, const el_chat_msg *m, int n, const char *at, char **text, el_error *err)
{
    el_error ce;
    el_error_clear(&ce);
    const int rc = el_chat_apply(g->tmpl, m, n, true, text, &ce);
    if (rc)
        return el_fail_at(err, rc, g->recs.name, -1, ce.where, "%s: %s", at,
                          ce.msg[0] ? ce.msg : el_strerror(rc));
    return EL_OK;
}

/*
 * The prompt of record r into g->proto (text and tokens). *skip: 1 empty, 2 too long, 0 kept.
 */
static int prepare(gen *g, size_t r, int *skip, el_error *err)
{
    const el_distill_gen_params *p = g->p;
    const json_t *rec = g->recs.rec[r];
    const int64_t line = g->recs.line[r];
    unit *u = &g->proto;
    unit_free(u);
    *skip = 0;
    u->id = (int64_t)r;
    u->line = line;
    /* where the record is, for messages: its line, or (an element of a .json list, whose line
     * datasets/records.c does not know: 0) its number, as datasets/tasks.c says it */
    char at[48];
    if (line > 0)
        snprintf(at, sizeof at, "line %lld", (long long)line);
    else
        snprintf(at, sizeof at, "record %zu", r + 1);
    const json_t *v = NULL;
    if (json_is_string(rec)) {
        v = rec;
    } else if (json_is_object(rec)) {
        const char *f = p->field;
        if (f)
            v = json_object_get(rec, f);
        else if (!(v = json_object_get(rec, "messages")) && !(v = json_object_get(rec, "prompt")))
            v = json_object_get(rec, "text");
        if (!v)
            return EL_FAIL(err, EL_EFORMAT, g->recs.name, -1, "%s: no \"%s\" field", at,
                           f ? f : "messages\", \"prompt\" or \"text");
    } else {
        return EL_FAIL(err, EL_EFORMAT, g->recs.name, -1, "%s: a prompt record must be a string or an object", at);
    }
    u->src = v;
    char *text = NULL;
    int rc = EL_OK;
    if (json_is_array(v)) {
        if (!p->chat)
            return EL_FAIL(err, EL_EUSAGE, g->recs.name, -1, "%s: \"messages\" need --chat", at);
        el_chat_msg *m;
        int n;
        rc = messages_of(g, v, at, &m, &n, err);
        if (rc)
            return rc;
        if (n == 0) {
            free(m);
            *skip = 1;
            return EL_OK;
        }
        rc = chat_text(g, m, n, at, &text, err);
        free(m);
        if (rc)
            return rc;
    } else if (json_is_string(v)) {
        if (json_string_length(v) == 0) {
            *skip = 1;
            return EL_OK;
        }
        if (p->chat) {
            el_chat_msg m = {"user", json_string_value(v)};
            rc = chat_text(g, &m, 1, at, &text, err);
            if (rc)
                return rc;
        } else if (!(text = strndup(json_string_value(v), json_string_length(v)))) {
            return EL_NOMEM(err);
        }
    } else {
        return EL_FAIL(err, EL_EFORMAT, g->recs.name, -1, "%s: the prompt must be a string or a messages array", at);
    }
    u->prompt_text = text;
    rc = el_tok_encode(g->t.tok, g->tctx, text, strlen(text), EL_TOK_ADD_SPECIAL | (p->chat ? EL_TOK_PARSE_SPECIAL : 0),
                       &u->toks, err);
    if (rc)
        return rc;
    if (u->toks.n == 0) {
        *skip = 1;
        return EL_OK;
    }
    if ((int64_t)u->toks.n >= g->n_ctx) {
        if (!p->truncate) {
            *skip = 2;
            return EL_OK;
        }
        /* keep BOS and the last tokens, leaving min(max_new, n_ctx / 2) positions */
        const size_t keep = (size_t)(g->n_ctx - EL_MIN(p->max_new, g->n_ctx / 2));
        const bool bos = el_tok_added_bos(g->t.tok) >= 0 && u->toks.ids[0] == el_tok_added_bos(g->t.tok);
        const size_t head = bos ? 1 : 0;
        memmove(u->toks.ids + head, u->toks.ids + u->toks.n - (keep - head), (keep - head) * sizeof(int32_t));
        u->toks.n = keep;
        u->truncated = true;
    }
    u->n_prompt = (int)u->toks.n;
    return EL_OK;
}

/* The next unit into *u (false when there is none). Units before first_unit are passed over. */
static int next_unit(gen *g, unit *u, bool *got, el_error *err)
{
    *got = false;
    for (;;) {
        if (g->pending_samples > 0) {
            const int sample = g->p->samples - g->pending_samples--;
            const int64_t n = g->next_unit++;
            if (n < g->first_unit) {
                if (g->p->progress)
                    el_progress_add(g->p->progress, 1);
                continue;
            }
            unit *pr = &g->proto;
            memset(u, 0, sizeof *u);
            u->unit = n;
            u->id = pr->id;
            u->sample = sample;
            u->line = pr->line;
            u->src = pr->src;
            u->truncated = pr->truncated;
            u->n_prompt = pr->n_prompt;
            u->seed = el_unit_seed(g->p->sampling.seed, u->id, sample);
            el_sampler_params sp = g->p->sampling;
            sp.seed = u->seed;
            u->s = el_sampler_new(&sp, g->n_vocab);
            u->prompt_text = strdup(pr->prompt_text);
            if (!u->s || !u->prompt_text) {
                unit_free(u);
                return EL_NOMEM(err);
            }
            for (size_t i = 0; i < pr->toks.n; i++)
                if (el_tokens_push(&u->toks, pr->toks.ids[i])) {
                    unit_free(u);
                    return EL_NOMEM(err);
                } else {
                    el_sampler_accept(u->s, pr->toks.ids[i]);
                }
            *got = true;
            return EL_OK;
        }
        if (g->next_rec >= g->recs.n)
            return EL_OK;
        const size_t r = g->next_rec++;
        if ((int64_t)(r % (size_t)g->p->shard_n) != g->p->shard_i)
            continue;
        g->records_in_shard++;
        int skip;
        int rc = prepare(g, r, &skip, err);
        if (rc)
            return rc;
        if (skip == 1)
            g->skipped_empty++;
        else if (skip == 2)
            g->skipped_long++;
        else {
            g->truncated += g->proto.truncated;
            g->pending_samples = g->p->samples;
        }
        if (skip && g->p->progress)
            el_progress_add(g->p->progress, (uint64_t)g->p->samples);
    }
}

/* ---- one finished unit ------------------------------------------------------------------------------ */

static json_t *ids_json(const int32_t *ids, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_integer(ids[i]))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* The completion text: decode(prompt + completion) after decode(prompt), as el_generate does. */
static char *completion_text(const gen *g, const unit *u, size_t n_gen)
{
    const size_t n_all = (size_t)u->n_prompt + n_gen;
    size_t base = el_tok_decode(g->t.tok, u->toks.ids, (size_t)u->n_prompt, false, NULL, 0);
    size_t len = el_tok_decode(g->t.tok, u->toks.ids, n_all, false, NULL, 0);
    char *all = base == EL_TOK_DECODE_NOMEM || len == EL_TOK_DECODE_NOMEM ? NULL : malloc(len + 1);
    if (!all)
        return NULL;
    if (el_tok_decode(g->t.tok, u->toks.ids, n_all, false, all, len + 1) == EL_TOK_DECODE_NOMEM) {
        free(all);
        return NULL;
    }
    if (base > len)
        base = len;
    memmove(all, all + base, len - base + 1);
    return all;
}

static int line_of(const gen *g, const unit *u, char **out, el_error *err)
{
    *out = NULL;
    const bool eos = strcmp(u->finish, "stop") == 0;
    const size_t n_gen = u->toks.n - (size_t)u->n_prompt - (eos ? 1 : 0);
    char *text = completion_text(g, u, n_gen);
    json_t *o = json_object();
    if (!text || !o) {
        free(text);
        json_decref(o);
        return EL_NOMEM(err);
    }
    json_t *smp = json_deep_copy(g->sampling);
    int bad = !smp || json_object_set_new(smp, "seed", json_integer((json_int_t)u->seed));
    bad |= json_object_set_new(o, "id", json_integer(u->id));
    bad |= json_object_set_new(o, "sample", json_integer(u->sample));
    bad |= json_object_set_new(o, "line", json_integer(u->line));
    bad |= json_object_set(o, json_is_array(u->src) ? "messages" : "prompt", (json_t *)u->src);
    if (g->p->chat)
        bad |= json_object_set_new(o, "prompt_text", el_json_str(u->prompt_text, strlen(u->prompt_text)));
    bad |= json_object_set_new(o, "completion", el_json_str(text, strlen(text)));
    bad |= json_object_set_new(o, "finish_reason", json_string(u->finish));
    bad |= json_object_set_new(o, "n_prompt_tokens", json_integer(u->n_prompt));
    bad |= json_object_set_new(o, "n_completion_tokens", json_integer((json_int_t)n_gen));
    bad |= json_object_set_new(o, "prompt_ids", ids_json(u->toks.ids, (size_t)u->n_prompt));
    bad |= json_object_set_new(o, "completion_ids", ids_json(u->toks.ids + u->n_prompt, n_gen));
    const int64_t n_sampled = (int64_t)u->toks.n - u->n_prompt;
    bad |= json_object_set_new(o, "mean_confidence", json_real(n_sampled ? u->conf / (double)n_sampled : 0));
    if (u->truncated)
        bad |= json_object_set_new(o, "truncated", json_true());
    bad |= json_object_set(o, "teacher", g->teacher);
    bad |= json_object_set_new(o, "sampling", smp);
    free(text);
    *out = bad ? NULL : el_json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    json_decref(o);
    return *out ? EL_OK : EL_NOMEM(err);
}

static int commit(gen *g, unit *u, el_error *err)
{
    char *line;
    int rc = line_of(g, u, &line, err);
    if (rc)
        return rc;
    el_dshard_rec rec = {u->id, u->sample, u->toks.ids, (int64_t)u->toks.n, u->n_prompt, u->ids, u->lp, u->tail};
    rc = el_dout_add(g->out, line, g->k ? &rec : NULL, (int64_t)u->toks.n, err);
    free(line);
    if (!rc && g->p->progress)
        el_progress_add(g->p->progress, 1);
    return rc;
}

/* Park a finished unit (taking its buffers), then commit every unit whose turn has come. */
static int finished(gen *g, unit *u, el_error *err)
{
    if (g->n_done == g->cap_done) {
        int c = g->cap_done ? g->cap_done * 2 : 16;
        unit **d = realloc(g->done, (size_t)c * sizeof *d);
        if (!d)
            return EL_NOMEM(err);
        g->done = d;
        g->cap_done = c;
    }
    unit *keep = malloc(sizeof *keep);
    if (!keep)
        return EL_NOMEM(err);
    *keep = *u;
    memset(u, 0, sizeof *u);
    g->done[g->n_done++] = keep;
    for (bool again = true; again;) {
        again = false;
        for (int i = 0; i < g->n_done; i++) {
            if (g->done[i]->unit != g->next_commit)
                continue;
            unit *d = g->done[i];
            g->done[i] = g->done[--g->n_done];
            int rc = commit(g, d, err);
            unit_free(d);
            free(d);
            if (rc)
                return rc;
            g->next_commit++;
            again = true;
            break;
        }
    }
    return EL_OK;
}

/* ---- the decode loop ---------------------------------------------------------------------------------- */

/* One next-token distribution for u: its top-k row, a sampled token, maybe the end. */
static int step(gen *g, unit *u, const float *logits, el_error *err)
{
    if (g->k) {
        if (u->rows == u->cap_rows) {
            int64_t c = u->cap_rows ? u->cap_rows * 2 : 64;
            int32_t *ids = realloc(u->ids, (size_t)(c * g->k) * sizeof *ids);
            if (ids)
                u->ids = ids;
            float *lp = realloc(u->lp, (size_t)(c * g->k) * sizeof *lp);
            if (lp)
                u->lp = lp;
            float *tail = realloc(u->tail, (size_t)c * sizeof *tail);
            if (tail)
                u->tail = tail;
            if (!ids || !lp || !tail)
                return EL_NOMEM(err);
            u->cap_rows = c;
        }
        el_topk_logprobs(logits, g->n_vocab, g->k, u->ids + u->rows * g->k, u->lp + u->rows * g->k, u->tail + u->rows);
        u->rows++;
    }
    float prob;
    int id = el_sample(u->s, logits, &prob);
    u->conf += prob;
    if (el_tokens_push(&u->toks, id))
        return EL_NOMEM(err);
    g->tokens++;
    const int64_t n_gen = (int64_t)u->toks.n - u->n_prompt;
    if (el_tok_is_eog(g->t.tok, id))
        u->finish = "stop";
    else if (n_gen >= g->p->max_new)
        u->finish = "length";
    else if ((int64_t)u->toks.n >= g->n_ctx)
        u->finish = "context";
    else
        el_sampler_accept(u->s, id);
    return EL_OK;
}

/* Prefill u's prompt in slot s, alone, and take its first token. */
static int prefill(gen *g, int s, unit *u, el_error *err)
{
    el_seq_clear(g->c, s);
    const int nb = 512;
    int32_t pos[512], seq[512];
    int rc = EL_OK;
    for (int off = 0; off < u->n_prompt && !rc; off += nb) {
        int n = EL_MIN(nb, u->n_prompt - off);
        for (int i = 0; i < n; i++) {
            pos[i] = off + i;
            seq[i] = s;
        }
        el_batch b = {n, u->toks.ids + off, pos, seq, NULL};
        rc = el_decode(g->c, &b, err);
    }
    return rc ? rc : step(g, u, el_logits(g->c, 0), err);
}

static int run_loop(gen *g, el_error *err)
{
    const int B = g->p->batch;
    int32_t *tok = malloc((size_t)B * sizeof *tok), *pos = malloc((size_t)B * sizeof *pos);
    int32_t *seq = malloc((size_t)B * sizeof *seq);
    int8_t *want = malloc((size_t)B);
    int *which = malloc((size_t)B * sizeof *which);
    int rc = !tok || !pos || !seq || !want || !which ? EL_NOMEM(err) : EL_OK;
    bool more = true;
    while (!rc) {
        /* fill idle slots; a unit may end at its first token and free its slot again */
        for (int s = 0; s < B && !rc && more; s++) {
            while (!rc && more && !g->slot[s].s) {
                rc = next_unit(g, &g->slot[s], &more, err);
                if (!rc && more) {
                    rc = prefill(g, s, &g->slot[s], err);
                    if (!rc && g->slot[s].finish)
                        rc = finished(g, &g->slot[s], err);
                }
            }
        }
        int n = 0;
        for (int s = 0; s < B; s++)
            if (g->slot[s].s) {
                const unit *u = &g->slot[s];
                tok[n] = u->toks.ids[u->toks.n - 1];
                pos[n] = (int32_t)u->toks.n - 1;
                seq[n] = s;
                want[n] = 1;
                which[n++] = s;
            }
        if (rc || n == 0)
            break;
        el_batch b = {n, tok, pos, seq, want};
        rc = el_decode(g->c, &b, err);
        for (int i = 0; i < n && !rc; i++) {
            unit *u = &g->slot[which[i]];
            rc = step(g, u, el_logits(g->c, i), err);
            if (!rc && u->finish)
                rc = finished(g, u, err);
        }
    }
    free(tok);
    free(pos);
    free(seq);
    free(want);
    free(which);
    return rc;
}

/* ---- the run ------------------------------------------------------------------------------------------ */

static json_t *head_of(const gen *g, const char *prompts_sha)
{
    const el_distill_gen_params *p = g->p;
    json_t *params = json_pack("{s:s?, s:b, s:s?, s:i, s:i, s:f, s:i, s:f, s:f, s:I, s:i, s:i, s:s, s:I}", "field",
                               p->field, "chat", p->chat, "chat_template", p->chat ? el_chat_name(g->tmpl) : NULL,
                               "samples", p->samples, "max_new", p->max_new, "temperature", el_real6(p->sampling.temp),
                               "top_k", p->sampling.top_k, "top_p", el_real6(p->sampling.top_p), "min_p",
                               el_real6(p->sampling.min_p), "seed", (json_int_t)p->sampling.seed, "topk_logits", g->k,
                               "n_ctx", g->n_ctx, "too_long", p->truncate ? "truncate" : "skip", "shard_tokens",
                               (json_int_t)g->shard_tokens);
    return el_distill_head("gen", &g->t, p->prompts, prompts_sha, params, p->shard_i, p->shard_n);
}

static void gen_free(gen *g)
{
    for (int s = 0; g->slot && s < g->p->batch; s++)
        unit_free(&g->slot[s]);
    free(g->slot);
    for (int i = 0; i < g->n_done; i++) {
        unit_free(g->done[i]);
        free(g->done[i]);
    }
    free(g->done);
    unit_free(&g->proto);
    el_dout_free(g->out);
    el_context_free(g->c);
    el_ds_records_free(&g->recs);
    el_tok_ctx_free(g->tctx);
    json_decref(g->sampling);
    json_decref(g->teacher);
    el_dmodel_free(&g->t);
}

int el_distill_gen(const el_distill_gen_params *p, el_distill_stats *st, el_error *err)
{
    memset(st, 0, sizeof *st);
    if (p->samples < 1 || p->max_new < 1 || p->batch < 1 || p->batch > 4096 || p->topk < 0 || p->shard_n < 1 ||
        p->shard_i < 0 || p->shard_i >= p->shard_n)
        return EL_FAIL(err, EL_EUSAGE, NULL, -1, "bad parameters (samples, max-new, batch, topk-logits or shard)");
    const double t0 = el_now();
    gen g = {0};
    g.p = p;
    char prompts_sha[65];
    int rc = el_spec_sha256(p->prompts, prompts_sha, err);
    if (!rc)
        rc = el_ds_records_load(p->prompts, EL_DS_AUTO, &g.recs, err);
    if (!rc)
        rc = el_dmodel_load(&g.t, p->teacher, true, err);
    if (rc) {
        gen_free(&g);
        return rc;
    }
    g.n_vocab = g.t.m->hp.n_vocab;
    g.shard_tokens = p->shard_tokens > 0 ? p->shard_tokens : 1 << 20;
    g.k = EL_MIN(p->topk, g.n_vocab);
    if (p->chat) {
        const char *tt = p->chat_template ? p->chat_template : el_tok_vocab(g.t.tok)->chat_template;
        g.tmpl = tt ? el_chat_detect(tt) : EL_CHAT_UNKNOWN;
        if (g.tmpl == EL_CHAT_UNKNOWN && p->chat_template)
            rc = EL_FAIL(err, EL_EUSAGE, NULL, -1, "--chat-template '%s' is not one edgelm knows (known: %s)",
                         p->chat_template, el_chat_known());
        else if (g.tmpl == EL_CHAT_UNKNOWN)
            rc = EL_FAIL(err, EL_EUNSUPPORTED, p->teacher, -1, "%s; pass --chat-template NAME (known: %s)",
                         tt ? "its chat template is not one edgelm knows" : "it has no chat template", el_chat_known());
    }
    el_context_params cp = el_context_default_params();
    cp.n_ctx = p->n_ctx;
    cp.n_seq = p->batch;
    cp.n_outputs = p->batch;
    cp.n_batch = EL_MAX(512, p->batch);
    cp.n_threads = p->threads;
    cp.batch_invariant = true;
    if (!rc)
        rc = el_context_new(&g.c, g.t.m, &cp, err);
    g.n_ctx = rc ? 0 : el_context_n_ctx(g.c);
    g.tctx = el_tok_ctx_new();
    g.slot = calloc((size_t)p->batch, sizeof *g.slot);
    g.sampling = json_pack("{s:f, s:i, s:f, s:f}", "temperature", el_real6(p->sampling.temp), "top_k", p->sampling.top_k,
                           "top_p", el_real6(p->sampling.top_p), "min_p", el_real6(p->sampling.min_p));
    g.teacher = json_pack("{s:s, s:s}", "name", el_basename(p->teacher), "sha256", g.t.file_sha256);
    if (!rc && (!g.tctx || !g.slot || !g.sampling || !g.teacher))
        rc = EL_NOMEM(err);
    json_t *head = rc ? NULL : head_of(&g, prompts_sha);
    if (!rc && !head)
        rc = EL_NOMEM(err);
    el_dout_params op = {p->out_dir, "completions.jsonl", g.k, g.n_vocab, g.shard_tokens, p->resume, head};
    if (!rc)
        rc = el_dout_open(&g.out, &op, &g.first_unit, err);
    json_decref(head);
    g.next_commit = g.first_unit;
    if (!rc && p->progress) {
        uint64_t n_rec = (uint64_t)((g.recs.n + (size_t)p->shard_n - 1 - (size_t)p->shard_i) / (size_t)p->shard_n);
        el_progress_begin(p->progress, "distill gen", "units", n_rec * (uint64_t)p->samples);
    }
    const double t_loop = el_now();
    if (!rc)
        rc = run_loop(&g, err);
    const double loop_seconds = el_now() - t_loop;
    if (p->progress)
        el_progress_end(p->progress);
    json_t *counts = NULL;
    if (!rc) {
        el_distill_counts cnt = {(int64_t)g.recs.n, g.records_in_shard, g.skipped_empty, g.skipped_long, g.truncated};
        rc = el_dout_flush(g.out, err);
    if (!rc)
        rc = el_distill_gen_counts(el_dout_lines_path(g.out), &cnt, &counts, err);
    }
    if (!rc)
        rc = el_dout_finish(g.out, counts, &st->manifest, err);
    json_decref(counts);
    if (!rc) {
        st->units_skipped = g.first_unit;
        st->units_done = g.next_commit - g.first_unit;
        st->tokens = g.tokens;
        st->seconds = loop_seconds;
        st->wall_seconds = el_now() - t0;
    }
    gen_free(&g);
    return rc;
}
