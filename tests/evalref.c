/*
 * tests/evalref.c - the evaluation oracle the tests put edgelm's `eval` against (see evalref.h).
 */
#include "tests/evalref.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/context.h"
#include "engine/model.h"
#include "engine/tokenizer/tokenizer.h"
#include "tests/testutil.h"

/* log(sum(exp(l))) in double */
static double log_sum_exp(const float *l, int V)
{
    double mx = -INFINITY, s = 0;
    for (int v = 0; v < V; v++)
        mx = fmax(mx, l[v]);
    for (int v = 0; v < V; v++)
        s += exp(l[v] - mx);
    return mx + log(s);
}


bool er_read_kld_tokens(const char *path, er_kld_tokens *k)
{
    size_t n;
    uint8_t *d = tu_read(path, &n);
    if (!d || n < 20 || memcmp(d, "_logits_", 8) != 0)
        return false;
    uint32_t ctx;
    memcpy(&ctx, d + 8, 4);
    memcpy(&k->n_vocab, d + 12, 4);
    memcpy(&k->n_chunk, d + 16, 4);
    k->n_ctx = (int)ctx;
    k->tokens = malloc((size_t)k->n_ctx * (size_t)k->n_chunk * 4);
    memcpy(k->tokens, d + 20, (size_t)k->n_ctx * (size_t)k->n_chunk * 4);
    for (int ch = 1; ch < k->n_chunk; ch++) /* llama-perplexity puts BOS at each chunk's start when it runs */
        k->tokens[(size_t)ch * (size_t)k->n_ctx] = k->tokens[0];
    free(d);
    return true;
}

/* log-softmax of every scored position (llama.cpp: positions n_ctx/2 .. n_ctx-2 of each chunk predict
 * the next token), and the perplexity */
float *er_score(const char *gguf, const er_kld_tokens *k, double *ppl, int *n_scored)
{
    el_model *m;
    el_context *c;
    el_error e;
    el_error_clear(&e);
    cr_assert_eq(el_model_load(&m, gguf, &e), 0, "%s: %s", gguf, e.msg);
    el_context_params p = el_context_default_params();
    p.n_ctx = p.n_batch = p.n_outputs = k->n_ctx;
    cr_assert_eq(el_context_new(&c, m, &p, &e), 0, "%s", e.msg);
    const int first = k->n_ctx / 2, per = k->n_ctx - 1 - first, V = k->n_vocab;
    float *lp = malloc((size_t)k->n_chunk * (size_t)per * (size_t)V * sizeof *lp);
    int32_t pos[1024];
    int8_t want[1024];
    for (int i = 0; i < k->n_ctx; i++) {
        pos[i] = i;
        want[i] = 1;
    }
    double nll = 0;
    int ns = 0;
    for (int ch = 0; ch < k->n_chunk; ch++) {
        const int32_t *ids = k->tokens + (size_t)ch * (size_t)k->n_ctx;
        el_seq_clear(c, 0);
        const el_batch b = {k->n_ctx, ids, pos, NULL, want};
        cr_assert_eq(el_decode(c, &b, &e), 0, "%s", e.msg);
        for (int i = first; i < k->n_ctx - 1; i++) {
            const float *l = el_logits(c, i);
            const double lse = log_sum_exp(l, V);
            float *row = lp + (size_t)ns * (size_t)V;
            for (int v = 0; v < V; v++)
                row[v] = (float)(l[v] - lse);
            cr_assert(isfinite(row[ids[i + 1]]), "%s: non-finite logits", gguf);
            nll -= row[ids[i + 1]];
            ns++;
        }
    }
    *ppl = exp(nll / ns);
    *n_scored = ns;
    el_context_free(c);
    el_model_free(m);
    return lp;
}

double er_mean_kld(const float *base, const float *q, int ns, int V)
{
    double k = 0;
    for (int i = 0; i < ns; i++)
        for (int v = 0; v < V; v++) {
            const double p = exp(base[(size_t)i * V + v]);
            k += p * (base[(size_t)i * V + v] - q[(size_t)i * V + v]);
        }
    return k / ns;
}

double er_loglik(const char *gguf, const char *context, const char *continuation)
{
    el_model *m;
    el_tokenizer *t;
    el_context *c;
    el_error e;
    el_error_clear(&e);
    cr_assert_eq(el_model_load(&m, gguf, &e), 0, "%s: %s", gguf, e.msg);
    cr_assert_eq(el_tok_load(&t, gguf, &e), 0, "%s: %s", gguf, e.msg);
    char *whole = tu_fmt("%s%s", context, continuation);
    el_tokens a = {0}, w = {0};
    const bool bos = el_tok_vocab(t)->add_bos == 1;
    if (bos)
        el_tokens_push(&w, el_tok_bos(t));
    cr_assert_eq(el_tok_encode(t, NULL, context, strlen(context), 0, &a, &e), 0);
    cr_assert_eq(el_tok_encode(t, NULL, whole, strlen(whole), 0, &w, &e), 0);
    const int n = (int)w.n, first = (int)a.n + bos;
    cr_assert_lt(first, n, "the continuation adds no tokens");
    el_context_params p = el_context_default_params();
    p.n_ctx = p.n_batch = p.n_outputs = n;
    cr_assert_eq(el_context_new(&c, m, &p, &e), 0, "%s", e.msg);
    int32_t *pos = malloc((size_t)n * sizeof *pos);
    int8_t *want = malloc((size_t)n);
    for (int i = 0; i < n; i++) {
        pos[i] = i;
        want[i] = 1;
    }
    const el_batch b = {n, w.ids, pos, NULL, want};
    cr_assert_eq(el_decode(c, &b, &e), 0, "%s", e.msg);
    double ll = 0;
    const int V = m->hp.n_vocab;
    for (int i = first - 1; i < n - 1; i++) {
        ll += el_logits(c, i)[w.ids[i + 1]] - log_sum_exp(el_logits(c, i), V);
    }
    free(pos);
    free(want);
    free(whole);
    el_tokens_free(&a);
    el_tokens_free(&w);
    el_context_free(c);
    el_tok_free(t);
    el_model_free(m);
    return ll;
}

float *er_seq_logsoftmax(const char *gguf, const int32_t *ids, int n, int *n_vocab)
{
    el_model *m;
    el_context *c;
    el_error e;
    el_error_clear(&e);
    cr_assert_eq(el_model_load(&m, gguf, &e), 0, "%s: %s", gguf, e.msg);
    el_context_params p = el_context_default_params();
    p.n_ctx = p.n_batch = p.n_outputs = n;
    cr_assert_eq(el_context_new(&c, m, &p, &e), 0, "%s", e.msg);
    const int V = m->hp.n_vocab;
    int32_t *pos = malloc((size_t)n * sizeof *pos);
    int8_t *want = malloc((size_t)n);
    float *lp = malloc((size_t)n * (size_t)V * sizeof *lp);
    for (int i = 0; i < n; i++) {
        pos[i] = i;
        want[i] = 1;
    }
    const el_batch b = {n, ids, pos, NULL, want};
    cr_assert_eq(el_decode(c, &b, &e), 0, "%s", e.msg);
    for (int i = 0; i < n; i++) {
        const float *l = el_logits(c, i);
        const double lse = log_sum_exp(l, V);
        for (int v = 0; v < V; v++)
            lp[(size_t)i * V + v] = (float)(l[v] - lse);
    }
    free(pos);
    free(want);
    el_context_free(c);
    el_model_free(m);
    *n_vocab = V;
    return lp;
}
