/*
 * eval/mc.c - multiple-choice scoring (see mc.h).
 */
#include "eval/mc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "engine/context.h"
#include "engine/lm.h"
#include "engine/tokenizer/tokenizer.h"
#include "eval/logits_file.h"

/* One (question, choice) sequence: its tokens and where its continuation starts. */
typedef struct mc_seq {
    int32_t *ids;
    int n, cont; /* tokens; index of the first continuation token */
} mc_seq;

void el_wilson95(int k, int n, double ci[2])
{
    if (n <= 0) {
        ci[0] = ci[1] = 0;
        return;
    }
    const double z = 1.959963984540054, p = (double)k / n, z2n = z * z / n;
    const double mid = (p + z2n / 2) / (1 + z2n), half = z * sqrt(p * (1 - p) / n + z2n / (4.0 * n)) / (1 + z2n);
    ci[0] = fmax(0, mid - half);
    ci[1] = fmin(1, mid + half);
}

void el_mc_result_free(el_mc_result *r)
{
    free(r->ll);
    free(r->pred);
    free(r->pred_norm);
    free(r->label);
    free(r->n_choices);
    free(r->ll_norm);
    free(r->latency);
    r->ll = r->ll_norm = r->latency = NULL;
    r->pred = r->pred_norm = r->label = r->n_choices = NULL;
}

el_scores el_mc_scores(const el_mc_result *r, bool norm)
{
    return (el_scores){r->n, EL_MC_MAX_CHOICES, norm ? r->ll_norm : r->ll, r->n_choices, r->label};
}

/* The harness's _encode_pair: spaces ending the context move to the continuation; the continuation's
 * tokens are those of context+continuation after the context's. */
static int encode_pair(const el_tokenizer *t, el_tok_ctx *tc, int bos, const char *context, const char *cont,
                       int max_len, mc_seq *s, const char *path, long long line, int choice, el_error *err)
{
    size_t nc = strlen(context);
    while (nc && context[nc - 1] == ' ')
        nc--;
    const size_t nk = strlen(cont), nw = strlen(context);
    char *whole = malloc(nw + nk + 1);
    if (!whole)
        return EL_NOMEM(err);
    memcpy(whole, context, nw);
    memcpy(whole + nw, cont, nk + 1);
    el_tokens a = {0}, w = {0};
    int rc = 0;
    if (bos >= 0 && (rc = el_tokens_push(&w, bos) ? EL_NOMEM(err) : 0))
        goto done;
    if ((rc = el_tok_encode(t, tc, whole, nc, 0, &a, err)) || (rc = el_tok_encode(t, tc, whole, nw + nk, 0, &w, err)))
        goto done;
    s->cont = (int)a.n + (bos >= 0);
    s->n = (int)w.n;
    if (s->cont >= s->n) {
        rc = EL_FAIL(err, EL_EFORMAT, path, -1, "line %lld, choice %d: tokenizes to nothing after its context", line, choice);
        goto done;
    }
    if (s->cont < 1) { /* no context and no BOS: nothing predicts the first token; drop it */
        s->cont = 1;
        if (s->n < 2) {
            rc = EL_FAIL(err, EL_EFORMAT, path, -1, "line %lld, choice %d: an empty context needs a model that adds BOS", line,
                         choice);
            goto done;
        }
    }
    if (s->n > max_len) { /* keep the end, as the harness truncates from the left */
        const int drop = s->n - max_len;
        if (drop >= s->cont) {
            rc = EL_FAIL(err, EL_ERANGE, path, -1, "line %lld, choice %d: a continuation of %d tokens does not fit the context of %d",
                         line, choice, s->n - s->cont, max_len);
            goto done;
        }
        memmove(w.ids, w.ids + drop, (size_t)max_len * sizeof *w.ids);
        s->n = max_len;
        s->cont -= drop;
    }
    s->ids = w.ids;
    w.ids = NULL;
done:
    el_tokens_free(&a);
    el_tokens_free(&w);
    free(whole);
    return rc;
}

/* The index of question q's choice k in the question-major arrays (sequences, log-likelihoods). */
static size_t at(int q, int k)
{
    return (size_t)q * EL_MC_MAX_CHOICES + (size_t)k;
}

/* Step 1: every (question, choice) of the set as one sequence of tokens, and the longest sequence
 * and the longest continuation (each at least 1). The first pair that fails stops it. */
static int encode_all(const el_tokenizer *tok, el_tok_ctx *tc, int bos, const el_mc_set *set, int max_len,
                      const char *path, mc_seq *seqs, int *longest, int *longest_cont, el_error *err)
{
    *longest = *longest_cont = 1;
    for (int i = 0; i < set->n; i++)
        for (int k = 0; k < set->items[i].n_choices; k++) {
            mc_seq *s = &seqs[at(i, k)];
            int rc = encode_pair(tok, tc, bos, set->items[i].context[k], set->items[i].cont[k], max_len, s, path,
                                 (long long)set->items[i].line, k + 1, err);
            if (rc)
                return rc;
            *longest = s->n > *longest ? s->n : *longest;
            *longest_cont = s->n - s->cont > *longest_cont ? s->n - s->cont : *longest_cont;
        }
    return 0;
}

/* What step 2 runs the sequences through: a context for n_par of them side by side, a pass's batch
 * and its continuation tokens' log-probabilities (n_out rows). */
typedef struct mc_runner {
    el_context *c;
    int n_par, n_out, V;
    int32_t *ids, *pos, *sq;
    int8_t *want;
    double *lp;
} mc_runner;

static int runner_new(mc_runner *u, const el_model *m, int longest, int longest_cont, int threads, el_error *err)
{
    /* a pass holds up to n_par sequences of at most `longest` tokens, and at most n_out logits rows */
    const int budget = 2048;
    u->n_par = EL_MAX(1, EL_MIN(32, budget / longest));
    u->n_out = EL_MAX(512, longest_cont);
    u->V = m->hp.n_vocab;
    el_context_params p = el_context_default_params();
    p.n_ctx = longest;
    p.n_seq = u->n_par;
    p.n_batch = u->n_par * longest;
    p.n_outputs = u->n_out;
    p.n_threads = threads;
    int rc = el_context_new(&u->c, m, &p, err);
    if (rc)
        return rc;
    const size_t cap = (size_t)u->n_par * (size_t)longest;
    u->ids = malloc(cap * sizeof *u->ids);
    u->pos = malloc(cap * sizeof *u->pos);
    u->sq = malloc(cap * sizeof *u->sq);
    u->want = malloc(cap);
    u->lp = malloc((size_t)u->n_out * sizeof *u->lp);
    return !u->ids || !u->pos || !u->sq || !u->want || !u->lp ? EL_NOMEM(err) : 0;
}

static void runner_free(mc_runner *u)
{
    free(u->ids);
    free(u->pos);
    free(u->sq);
    free(u->want);
    free(u->lp);
    el_context_free(u->c);
}

/* The batch of one pass: the sequences from (*qi, *ki) on, while they fit n_par sequences and n_out
 * logits rows, each in a cleared cache sequence of its own; (*qi, *ki) moves past them. Returns how
 * many went in. */
static int fill_pass(mc_runner *u, const mc_seq *seqs, const el_mc_set *set, bool one_question, int *qi, int *ki,
                     int *n_tok)
{
    int n_in = 0, rows = 0;
    const int q0 = *qi;
    *n_tok = 0;
    while (*qi < set->n && n_in < u->n_par && (!one_question || *qi == q0)) {
        const mc_seq *s = &seqs[at(*qi, *ki)];
        if (rows + (s->n - s->cont) > u->n_out)
            break;
        el_seq_clear(u->c, n_in);
        for (int t = 0; t < s->n; t++) {
            u->ids[*n_tok] = s->ids[t];
            u->pos[*n_tok] = t;
            u->sq[*n_tok] = n_in;
            u->want[*n_tok] = t >= s->cont - 1 && t < s->n - 1;
            (*n_tok)++;
        }
        rows += s->n - s->cont;
        n_in++;
        if (++*ki == set->items[*qi].n_choices) {
            *ki = 0;
            (*qi)++;
        }
    }
    return n_in;
}

/* After a pass's decode: the log-likelihood of each of its n_in sequences, the first being question
 * q's choice k. The rows come in batch order: sequence by sequence, continuation token by token. */
static void score_pass(const mc_runner *u, const mc_seq *seqs, const el_mc_set *set, int q, int k, int n_in,
                       double *ll)
{
    int row = 0;
    for (int s = 0; s < n_in; s++) {
        const mc_seq *ms = &seqs[at(q, k)];
        const int nr = ms->n - ms->cont, row0 = row;
#pragma omp parallel for num_threads(el_context_threads(u->c)) schedule(static)
        for (int j = 0; j < nr; j++)
            u->lp[row0 + j] = -el_nll(el_logits(u->c, row0 + j), u->V, ms->ids[ms->cont + j]);
        double sum = 0;
        for (int j = 0; j < nr; j++)
            sum += u->lp[row0 + j];
        ll[at(q, k)] = sum;
        row += nr;
        if (++k == set->items[q].n_choices) {
            k = 0;
            q++;
        }
    }
}

/* Step 2: every choice's log-likelihood into ll, walking the sequences in order a pass at a time;
 * with latency, one question per pass and its passes' wall time there. */
static int score_all(mc_runner *u, const mc_seq *seqs, const el_mc_set *set, double *ll, double *latency,
                     el_progress *progress, el_error *err)
{
    int rc = 0, qi = 0, ki = 0;
    while (qi < set->n && !rc) {
        const int first_q = qi, first_k = ki;
        int n_tok;
        const double t0 = el_now();
        const int n_in = fill_pass(u, seqs, set, latency != NULL, &qi, &ki, &n_tok);
        const el_batch b = {n_tok, u->ids, u->pos, u->sq, u->want};
        if ((rc = el_decode(u->c, &b, err)))
            break;
        score_pass(u, seqs, set, first_q, first_k, n_in, ll);
        if (latency)
            latency[first_q] += el_now() - t0;
        if (progress)
            el_progress_set(progress, (uint64_t)qi);
    }
    return rc;
}

/* Step 3, from r->ll: each question's choice by acc and by acc_norm, the accuracies with their
 * standard errors and Wilson intervals, and the view of the answers given with confidence. */
static int mc_statistics(const el_mc_set *set, double confidence, el_mc_result *r, el_error *err)
{
    r->pred = malloc((size_t)set->n * sizeof *r->pred);
    r->pred_norm = malloc((size_t)set->n * sizeof *r->pred_norm);
    r->label = malloc((size_t)set->n * sizeof *r->label);
    r->n_choices = malloc((size_t)set->n * sizeof *r->n_choices);
    r->ll_norm = calloc((size_t)set->n * EL_MC_MAX_CHOICES, sizeof *r->ll_norm);
    if (!r->pred || !r->pred_norm || !r->label || !r->n_choices || !r->ll_norm)
        return EL_NOMEM(err);
    int right = 0, right_norm = 0, conf_n = 0, conf_right = 0;
    for (int i = 0; i < set->n; i++) {
        const el_mc_item *it = &set->items[i];
        const double *l = r->ll + at(i, 0);
        int best = 0, best_norm = 0;
        for (int k = 1; k < it->n_choices; k++) {
            if (l[k] > l[best])
                best = k;
            if (l[k] / (double)strlen(it->cont[k]) > l[best_norm] / (double)strlen(it->cont[best_norm]))
                best_norm = k;
        }
        double z = 0; /* the answer's probability among the choices */
        for (int k = 0; k < it->n_choices; k++)
            z += exp(l[k] - l[best]);
        const double conf = 1 / z;
        for (int k = 0; k < it->n_choices; k++)
            r->ll_norm[at(i, k)] = l[k] / (double)strlen(it->cont[k]);
        r->n_choices[i] = it->n_choices;
        r->pred[i] = best;
        r->pred_norm[i] = best_norm;
        r->label[i] = it->label;
        right += best == it->label;
        right_norm += best_norm == it->label;
        if (conf >= confidence) {
            conf_n++;
            conf_right += best == it->label;
        }
    }
    const int n = set->n;
    r->acc = (double)right / n;
    r->acc_norm = (double)right_norm / n;
    r->acc_stderr = n > 1 ? sqrt(r->acc * (1 - r->acc) / (n - 1)) : 0;
    r->acc_norm_stderr = n > 1 ? sqrt(r->acc_norm * (1 - r->acc_norm) / (n - 1)) : 0;
    el_wilson95(right, n, r->acc_ci);
    el_wilson95(right_norm, n, r->acc_norm_ci);
    r->conf_n = conf_n;
    r->coverage = (double)conf_n / n;
    r->conf_acc = conf_n ? (double)conf_right / conf_n : 0;
    return 0;
}

int el_eval_mc(const el_mc_opts *o, el_mc_result *r, el_error *err)
{
    memset(r, 0, sizeof *r);
    const double t0 = el_now();
    el_mc_set own = {0};
    const el_mc_set *sp = o->set ? o->set : &own;
    el_lm lm = {0};
    el_tok_ctx *tc = NULL;
    mc_seq *seqs = NULL;
    mc_runner u = {0};
    double *ll = NULL, *latency = NULL;
    int rc = o->set ? 0 : el_mc_load(o->task, o->data, o->limit, &own, err);
    if (!rc && sp->n == 0)
        rc = EL_FAIL(err, EL_EFORMAT, o->data, -1, "no questions");
    if (!rc)
        rc = el_lm_open(&lm, o->model_path, err);
    if (rc)
        goto done;
    const el_model *m = lm.model;
    const int bos = el_tok_added_bos(lm.tok);
    el_model_info_of(m, &r->model);
    const int max_len = m->hp.n_ctx_train > 0 && m->hp.n_ctx_train < 4096 ? m->hp.n_ctx_train : 4096;
    tc = el_tok_ctx_new();
    seqs = calloc((size_t)sp->n * EL_MC_MAX_CHOICES, sizeof *seqs);
    if (!tc || !seqs) {
        rc = EL_NOMEM(err);
        goto done;
    }
    int longest, longest_cont;
    if ((rc = encode_all(lm.tok, tc, bos, sp, max_len, o->data, seqs, &longest, &longest_cont, err)) ||
        (rc = runner_new(&u, m, longest, longest_cont, o->threads, err)))
        goto done;
    ll = calloc((size_t)sp->n * EL_MC_MAX_CHOICES, sizeof *ll);
    latency = o->timed ? calloc((size_t)sp->n, sizeof *latency) : NULL;
    if (!ll || (o->timed && !latency)) {
        rc = EL_NOMEM(err);
        goto done;
    }
    if (o->progress)
        el_progress_begin(o->progress, el_mc_task_name(o->task), "questions", (uint64_t)sp->n);
    rc = score_all(&u, seqs, sp, ll, latency, o->progress, err);
    if (o->progress)
        el_progress_end(o->progress);
    if (rc)
        goto done;
    r->n = sp->n;
    r->ll = ll;
    r->latency = latency;
    ll = latency = NULL;
    rc = mc_statistics(sp, o->confidence, r, err);
done:
    r->seconds = el_now() - t0;
    if (rc)
        el_mc_result_free(r);
    for (int i = 0; seqs && i < sp->n * EL_MC_MAX_CHOICES; i++)
        free(seqs[i].ids);
    free(seqs);
    free(ll);
    free(latency);
    runner_free(&u);
    el_tok_ctx_free(tc);
    el_lm_close(&lm);
    el_mc_set_free(&own);
    return rc;
}
