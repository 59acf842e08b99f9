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
    r->ll = NULL;
    r->pred = r->pred_norm = r->label = NULL;
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

int el_eval_mc(const el_mc_opts *o, el_mc_result *r, el_error *err)
{
    memset(r, 0, sizeof *r);
    const double t0 = el_now();
    el_mc_set set = {0};
    el_lm lm = {0};
    el_tok_ctx *tc = NULL;
    el_context *c = NULL;
    mc_seq *seqs = NULL;
    int32_t *ids = NULL, *pos = NULL, *sq = NULL;
    int8_t *want = NULL;
    double *lp = NULL, *ll = NULL;
    int n_seqs = 0, bos = -1;
    int rc = el_mc_load(o->task, o->data, o->limit, &set, err);
    if (!rc)
        rc = el_lm_open(&lm, o->model_path, err);
    if (rc)
        goto done;
    const el_model *m = lm.model;
    const el_tokenizer *tok = lm.tok;
    bos = el_tok_added_bos(tok);
    el_model_info_of(m, &r->model);
    int max_len = m->hp.n_ctx_train > 0 && m->hp.n_ctx_train < 4096 ? m->hp.n_ctx_train : 4096;
    tc = el_tok_ctx_new();
    seqs = calloc((size_t)set.n * EL_MC_MAX_CHOICES, sizeof *seqs);
    if (!tc || !seqs) {
        rc = EL_NOMEM(err);
        goto done;
    }
    int longest = 1, longest_cont = 1;
    for (int i = 0; i < set.n && !rc; i++)
        for (int k = 0; k < set.items[i].n_choices && !rc; k++) {
            mc_seq *s = &seqs[(size_t)i * EL_MC_MAX_CHOICES + (size_t)k];
            if ((rc = encode_pair(tok, tc, bos, set.items[i].context[k], set.items[i].cont[k], max_len, s, o->data,
                                  (long long)set.items[i].line, k + 1, err)))
                break;
            longest = s->n > longest ? s->n : longest;
            longest_cont = s->n - s->cont > longest_cont ? s->n - s->cont : longest_cont;
            n_seqs++;
        }
    if (rc)
        goto done;
    /* a pass holds up to n_par sequences of at most `longest` tokens, and at most n_out logits rows */
    const int budget = 2048, n_par = EL_MAX(1, EL_MIN(32, budget / longest));
    const int n_out = EL_MAX(512, longest_cont), V = m->hp.n_vocab;
    el_context_params p = el_context_default_params();
    p.n_ctx = longest;
    p.n_seq = n_par;
    p.n_batch = n_par * longest;
    p.n_outputs = n_out;
    p.n_threads = o->threads;
    if ((rc = el_context_new(&c, m, &p, err)))
        goto done;
    const size_t cap = (size_t)n_par * (size_t)longest;
    ids = malloc(cap * sizeof *ids);
    pos = malloc(cap * sizeof *pos);
    sq = malloc(cap * sizeof *sq);
    want = malloc(cap);
    lp = malloc((size_t)n_out * sizeof *lp);
    ll = calloc((size_t)set.n * EL_MC_MAX_CHOICES, sizeof *ll);
    if (!ids || !pos || !sq || !want || !lp || !ll) {
        rc = EL_NOMEM(err);
        goto done;
    }
    if (o->progress)
        el_progress_begin(o->progress, el_mc_task_name(o->task), "questions", (uint64_t)set.n);
    /* walk the (question, choice) sequences in order, a pass at a time */
    int qi = 0, ki = 0;
    while (qi < set.n && !rc) {
        int n_in = 0, rows = 0, n_tok = 0, first_q = qi, first_k = ki;
        while (qi < set.n && n_in < n_par) {
            const mc_seq *s = &seqs[(size_t)qi * EL_MC_MAX_CHOICES + (size_t)ki];
            if (rows + (s->n - s->cont) > n_out)
                break;
            el_seq_clear(c, n_in);
            for (int t = 0; t < s->n; t++) {
                ids[n_tok] = s->ids[t];
                pos[n_tok] = t;
                sq[n_tok] = n_in;
                want[n_tok] = t >= s->cont - 1 && t < s->n - 1;
                n_tok++;
            }
            rows += s->n - s->cont;
            n_in++;
            if (++ki == set.items[qi].n_choices) {
                ki = 0;
                qi++;
            }
        }
        const el_batch b = {n_tok, ids, pos, sq, want};
        if ((rc = el_decode(c, &b, err)))
            break;
        /* the rows come in batch order: sequence by sequence, continuation token by token */
        int row = 0;
        int q = first_q, k = first_k;
        for (int s = 0; s < n_in; s++) {
            const mc_seq *ms = &seqs[(size_t)q * EL_MC_MAX_CHOICES + (size_t)k];
            const int nr = ms->n - ms->cont, row0 = row;
#pragma omp parallel for num_threads(el_context_threads(c)) schedule(static)
            for (int j = 0; j < nr; j++)
                lp[row0 + j] = -el_nll(el_logits(c, row0 + j), V, ms->ids[ms->cont + j]);
            double sum = 0;
            for (int j = 0; j < nr; j++)
                sum += lp[row0 + j];
            ll[(size_t)q * EL_MC_MAX_CHOICES + (size_t)k] = sum;
            row += nr;
            if (++k == set.items[q].n_choices) {
                k = 0;
                q++;
            }
        }
        if (o->progress)
            el_progress_set(o->progress, (uint64_t)qi);
    }
    if (o->progress)
        el_progress_end(o->progress);
    if (rc)
        goto done;
    r->n = set.n;
    r->ll = ll;
    ll = NULL;
    r->pred = malloc((size_t)set.n * sizeof *r->pred);
    r->pred_norm = malloc((size_t)set.n * sizeof *r->pred_norm);
    r->label = malloc((size_t)set.n * sizeof *r->label);
    if (!r->pred || !r->pred_norm || !r->label) {
        rc = EL_NOMEM(err);
        goto done;
    }
    int right = 0, right_norm = 0, conf_n = 0, conf_right = 0;
    for (int i = 0; i < set.n; i++) {
        const el_mc_item *it = &set.items[i];
        const double *l = r->ll + (size_t)i * EL_MC_MAX_CHOICES;
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
        r->pred[i] = best;
        r->pred_norm[i] = best_norm;
        r->label[i] = it->label;
        right += best == it->label;
        right_norm += best_norm == it->label;
        if (conf >= o->confidence) {
            conf_n++;
            conf_right += best == it->label;
        }
    }
    const int n = set.n;
    r->acc = (double)right / n;
    r->acc_norm = (double)right_norm / n;
    r->acc_stderr = n > 1 ? sqrt(r->acc * (1 - r->acc) / (n - 1)) : 0;
    r->acc_norm_stderr = n > 1 ? sqrt(r->acc_norm * (1 - r->acc_norm) / (n - 1)) : 0;
    el_wilson95(right, n, r->acc_ci);
    el_wilson95(right_norm, n, r->acc_norm_ci);
    r->conf_n = conf_n;
    r->coverage = (double)conf_n / n;
    r->conf_acc = conf_n ? (double)conf_right / conf_n : 0;
done:
    r->seconds = el_now() - t0;
    if (rc)
        el_mc_result_free(r);
    for (int i = 0; seqs && i < set.n * EL_MC_MAX_CHOICES; i++)
        free(seqs[i].ids);
    free(seqs);
    free(ids);
    free(pos);
    free(sq);
    free(want);
    free(lp);
    free(ll);
    el_context_free(c);
    el_tok_ctx_free(tc);
    el_lm_close(&lm);
    el_mc_set_free(&set);
    return rc;
}
