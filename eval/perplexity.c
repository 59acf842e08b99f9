/*
 * eval/perplexity.c - perplexity and KL divergence, llama-perplexity's method (see perplexity.h).
 *
 * Each forward pass decodes up to n_seq chunks; their scored positions are then turned into
 * per-position figures in parallel (one O(n_vocab) pass each) and summed in position order, so
 * the result does not depend on the thread count. The per-position arithmetic follows
 * llama-perplexity's (float where it uses float), so the figures agree to the printed digits.
 */
#include "eval/perplexity.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/context.h"
#include "engine/lm.h"
#include "eval/logits_file.h"
#include "eval/text.h"

const double el_kld_quantiles[EL_KLD_NQ] = {1, 0.999, 0.99, 0.95, 0.90, 0.5, 0.10, 0.05, 0.01, 0};
const char *const el_kld_quantile_names[EL_KLD_NQ] = {"max", "99.9", "99", "95", "90", "median", "10", "5", "1", "min"};

/* ---- one model decoding n_seq chunks side by side ---------------------------------------------- */

typedef struct runner {
    el_lm lm;   /* the model and its tokenizer (the text's tokens come from the one that defines them) */
    el_context *c;
    int n_ctx, n_seq, first, per, bos;
    int32_t *ids, *pos, *seq;
    int8_t *want;
} runner;

static void runner_free(runner *r)
{
    el_context_free(r->c);
    el_lm_close(&r->lm);
    free(r->ids);
    free(r->pos);
    free(r->seq);
    free(r->want);
    memset(r, 0, sizeof *r);
}

static int runner_open(runner *r, const char *path, el_error *err)
{
    memset(r, 0, sizeof *r);
    r->bos = -1;
    int rc = el_lm_open(&r->lm, path, err);
    if (!rc)
        r->bos = el_tok_added_bos(r->lm.tok);
    return rc;
}

/* The context and buffers for n_seq chunks of n_ctx tokens a pass (after runner_open). */
static int runner_setup(runner *r, int n_ctx, int n_seq, int threads, el_error *err)
{
    r->n_ctx = n_ctx;
    r->n_seq = n_seq;
    r->first = n_ctx / 2;
    r->per = n_ctx - 1 - r->first;
    int rc;
    el_context_params p = el_context_default_params();
    p.n_ctx = n_ctx;
    p.n_seq = n_seq;
    p.n_batch = n_ctx * n_seq;
    p.n_outputs = n_seq * (n_ctx - r->first); /* llama-perplexity asks for the last position too */
    p.n_threads = threads;
    if ((rc = el_context_new(&r->c, r->lm.model, &p, err)))
        return rc;
    const size_t n = (size_t)n_ctx * (size_t)n_seq;
    r->ids = malloc(n * sizeof *r->ids);
    r->pos = malloc(n * sizeof *r->pos);
    r->seq = malloc(n * sizeof *r->seq);
    r->want = malloc(n);
    if (!r->ids || !r->pos || !r->seq || !r->want)
        return EL_NOMEM(err);
    for (size_t k = 0; k < n; k++) {
        r->pos[k] = (int32_t)(k % (size_t)n_ctx);
        r->seq[k] = (int32_t)(k / (size_t)n_ctx);
        r->want[k] = r->pos[k] >= r->first;
    }
    return 0;
}

/* Decode chunks ch0 .. ch0+n-1 of tokens, each from an empty cache, BOS first when the model adds it. */
static int runner_decode(runner *r, const int32_t *tokens, int ch0, int n, el_error *err)
{
    const size_t len = (size_t)n * (size_t)r->n_ctx;
    memcpy(r->ids, tokens + (size_t)ch0 * (size_t)r->n_ctx, len * sizeof *r->ids);
    for (int s = 0; s < n; s++) {
        el_seq_clear(r->c, s);
        if (r->bos >= 0)
            r->ids[(size_t)s * (size_t)r->n_ctx] = r->bos;
    }
    const el_batch b = {(int)len, r->ids, r->pos, r->seq, r->want};
    el_error e;
    el_error_clear(&e);
    int rc = el_decode(r->c, &b, &e);
    if (rc == EL_ENUMERIC) { /* the engine's "sequence s" is a chunk of this pass: name it in the text */
        const int nv = r->lm.model->hp.n_vocab, per = r->n_ctx - r->first;
        for (int k = 0; k < n * per; k++) {
            const float *l = el_logits(r->c, k);
            for (int i = 0; i < nv; i++)
                if (!isfinite(l[i]))
                    return EL_FAIL(err, rc, e.path, -1, "the model computes %s logits at chunk %d, position %d of the text: its weights or hyperparameters are broken",
                                   isnan(l[i]) ? "NaN" : "infinite", ch0 + k / per + 1, r->first + k % per);
        }
    }
    if (rc && err && err->code == EL_OK)
        *err = e;
    return rc;
}

/* Logits at scored position i (0 .. per-1) of the s-th chunk of the last decode. */
static const float *runner_logits(const runner *r, int s, int i) { return el_logits(r->c, s * (r->n_ctx - r->first) + i); }

/* ---- the text's tokens -------------------------------------------------------------------------- */


/* The tokens --chunks needs of a text (0: all of them). */
static size_t tokens_needed(const el_ppl_opts *o, int n_ctx)
{
    return o->max_chunks > 0 ? (size_t)o->max_chunks * (size_t)n_ctx : 0;
}

static int count_chunks(const el_ppl_opts *o, size_t n_tokens, int n_ctx, int *n_chunk, el_error *err)
{
    *n_chunk = (int)(n_tokens / (size_t)n_ctx);
    if (o->max_chunks > 0 && *n_chunk > o->max_chunks)
        *n_chunk = o->max_chunks;
    if (*n_chunk < 1)
        return n_tokens >= 8 ? EL_FAIL(err, EL_ERANGE, o->text_path, -1,
                                       "the text has %zu tokens, fewer than one chunk of %d: pass -c %zu or less, or a longer text",
                                       n_tokens, n_ctx, n_tokens)
                             : EL_FAIL(err, EL_ERANGE, o->text_path, -1, "the text has %zu tokens, fewer than one chunk of %d: a chunk needs 8 at least",
                                       n_tokens, n_ctx);
    return 0;
}

static int chunks_per_pass(const el_ppl_opts *o, int n_ctx, int n_chunk)
{
    const int n_batch = o->n_batch > 0 ? o->n_batch : 2048;
    int n_seq = n_batch / n_ctx;
    if (n_seq < 1)
        n_seq = 1;
    return n_seq < n_chunk ? n_seq : n_chunk;
}

/* ---- statistics ---------------------------------------------------------------------------------- */

/* Mean and its standard error (0 with `min_count` or fewer values), as llama-perplexity reports them. */
static void mean_err(double sum, double sum2, uint64_t count, uint64_t min_count, double *mean, double *se)
{
    *mean = count ? sum / (double)count : 0;
    const double var = count ? sum2 / (double)count - *mean * *mean : 0;
    *se = var > 0 && count > min_count ? sqrt(var / (double)(count - 1)) : 0;
}

typedef struct kld_pos {
    float kld, dp, nll, nll_base;
    int same;
} kld_pos;

/* One position: the model's logits against the base's packed log-probabilities (llama-perplexity's
 * kl_divergence arithmetic: base entries 16 nats or more below are left out of the sum). */
static kld_pos kld_of(const float *l, int V, const uint16_t *base, int tok)
{
    float mx = l[0];
    int imax = 0;
    for (int i = 1; i < V; i++)
        if (l[i] > mx) {
            mx = l[i];
            imax = i;
        }
    double s = 0;
    for (int i = 0; i < V; i++)
        s += expf(l[i] - mx);
    const float lse = (float)log(s);
    kld_pos r;
    r.nll = mx + lse - l[tok];
    r.nll_base = -el_kld_row_logp(base, tok);
    const float top = mx + lse;
    double sum = 0;
    int imax_base = 0;
    float best = 0;
    for (int i = 0; i < V; i++) {
        const float lb = el_kld_row_logp(base, i);
        if (i == 0 || lb > best) {
            best = lb;
            imax_base = i;
        }
        if (lb > -16.f)
            sum += expf(lb) * (lb - l[i] + top);
    }
    r.kld = (float)sum;
    r.same = imax == imax_base;
    r.dp = expf(-r.nll) - expf(-r.nll_base);
    return r;
}

static int cmp_float(const void *a, const void *b)
{
    const float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Linear interpolation between the sorted values (llama-perplexity's percentile). */
static double quantile(const float *v, size_t n, double f)
{
    if (f <= 0)
        return v[0];
    if (f >= 1)
        return v[n - 1];
    const double p = f * (double)(n - 1);
    const size_t i = (size_t)p;
    const double w = p - (double)i;
    return (1 - w) * v[i] + w * v[i + 1 < n ? i + 1 : n - 1];
}

/* ---- perplexity ------------------------------------------------------------------------------------ */

int el_eval_ppl(const el_ppl_opts *o, el_ppl_result *r, el_error *err)
{
    memset(r, 0, sizeof *r);
    const int n_ctx = o->n_ctx > 0 ? o->n_ctx : 512;
    el_tokens toks = {0};
    runner run = {0};
    el_out *out = NULL;
    double *nll = NULL;
    uint16_t *rows = NULL;
    int n_chunk;
    int rc = runner_open(&run, o->model_path, err);
    if (!rc) /* --chunks reads only the text it needs (eval/text.h) */
        rc = el_text_tokens(run.lm.tok, o->text_path, tokens_needed(o, n_ctx), &toks, err);
    if (!rc)
        rc = count_chunks(o, toks.n, n_ctx, &n_chunk, err);
    if (rc)
        goto done;
    const int n_seq = chunks_per_pass(o, n_ctx, n_chunk);
    if ((rc = runner_setup(&run, n_ctx, n_seq, o->threads, err)))
        goto done;
    el_model_info_of(run.lm.model, &r->model);
    const int V = run.lm.model->hp.n_vocab, per = run.per;
    const int64_t nv = el_kld_row_len(V);
    nll = malloc((size_t)n_seq * (size_t)per * sizeof *nll);
    if (o->save_logits)
        rows = malloc((size_t)n_seq * (size_t)per * (size_t)nv * sizeof *rows);
    if (!nll || (o->save_logits && !rows)) {
        rc = EL_NOMEM(err);
        goto done;
    }
    if (o->save_logits && (rc = el_kld_write_begin(&out, o->save_logits, n_ctx, V, n_chunk, toks.ids, err)))
        goto done;
    if (o->progress)
        el_progress_begin(o->progress, "perplexity", "chunks", (uint64_t)n_chunk);
    const double t0 = el_now();
    double sum = 0, sum2 = 0;
    for (int ch = 0; ch < n_chunk && !rc; ch += n_seq) {
        const int n = n_chunk - ch < n_seq ? n_chunk - ch : n_seq;
        if ((rc = runner_decode(&run, toks.ids, ch, n, err)))
            break;
        const int rows_n = n * per;
#pragma omp parallel for num_threads(el_context_threads(run.c)) schedule(static)
        for (int k = 0; k < rows_n; k++) {
            const int s = k / per, i = k % per;
            const int tok = toks.ids[(size_t)(ch + s) * (size_t)n_ctx + (size_t)(run.first + i + 1)];
            const float *l = runner_logits(&run, s, i);
            nll[k] = rows ? el_kld_pack(l, V, tok, rows + (size_t)k * (size_t)nv) : el_nll(l, V, tok);
        }
        for (int k = 0; k < rows_n; k++) {
            sum += nll[k];
            sum2 += nll[k] * nll[k];
        }
        if (out)
            rc = el_out_write(out, rows, (uint64_t)rows_n * (uint64_t)nv * 2, err);
        r->n_chunks = ch + n;
        r->n_tokens += (uint64_t)rows_n;
        if (o->progress)
            el_progress_set(o->progress, (uint64_t)(ch + n));
    }
    r->seconds = el_now() - t0;
    if (o->progress)
        el_progress_end(o->progress);
    if (rc)
        goto done;
    if (out) {
        rc = el_out_commit(out, err);
        out = NULL;
        if (rc)
            goto done;
    }
    double mean, se;
    mean_err(sum, sum2, r->n_tokens, 1, &mean, &se);
    r->n_ctx = n_ctx;
    r->ppl = exp(mean);
    r->ppl_err = se * r->ppl;
    r->n_eval = (uint64_t)r->n_chunks * (uint64_t)n_ctx;
    r->eval_tps = r->seconds > 0 ? (double)r->n_eval / r->seconds : 0;
done:
    if (out)
        el_out_abort(out);
    free(nll);
    free(rows);
    runner_free(&run);
    el_tokens_free(&toks);
    return rc;
}

/* ---- KL divergence --------------------------------------------------------------------------------- */

/* Where the base's rows come from: a file, or a base model packed one pass at a time. */
typedef struct base_src {
    el_kld_file file;
    bool have_file;
    runner run;
    uint16_t *rows;  /* n_seq * per rows (base model) */
    el_out *save;
} base_src;

static const uint16_t *base_row(const base_src *b, int64_t nv, int per, int ch, int s, int i)
{
    if (b->have_file)
        return el_kld_file_row(&b->file, ch + s, i);
    return b->rows + ((size_t)s * (size_t)per + (size_t)i) * (size_t)nv;
}

/* With a file: check it against the model (and the text, when given) and take its tokens. */
static int open_base_file(const el_ppl_opts *o, base_src *b, const el_tokenizer *tok, el_tokens *toks, int *n_ctx,
                          int *n_chunk, el_error *err)
{
    int rc = el_kld_file_open(&b->file, o->base_logits, err);
    if (rc)
        return rc;
    b->have_file = true;
    if (o->n_ctx > 0 && o->n_ctx != b->file.n_ctx)
        return EL_FAIL(err, EL_EUSAGE, o->base_logits, -1, "was made with -c %d, not %d", b->file.n_ctx, o->n_ctx);
    *n_ctx = b->file.n_ctx;
    *n_chunk = b->file.n_chunk;
    if (o->max_chunks > 0 && *n_chunk > o->max_chunks)
        *n_chunk = o->max_chunks;
    el_tokens mine = {0};
    if (o->text_path)
        rc = el_text_tokens(tok, o->text_path, (size_t)*n_ctx * (size_t)*n_chunk, &mine, err);
    if (!rc && o->text_path) {
        const size_t n = (size_t)*n_ctx * (size_t)*n_chunk;
        size_t k = 0;
        while (k < n && k < mine.n && mine.ids[k] == b->file.tokens[k])
            k++;
        if (k < n)
            rc = EL_FAIL(err, EL_EFORMAT, o->base_logits, -1,
                         "its tokens differ from %s's under %s's tokenizer (first at token %zu): another text or tokenizer",
                         o->text_path, o->model_path, k);
    }
    el_tokens_free(&mine);
    if (rc)
        return rc;
    const size_t n = (size_t)b->file.n_ctx * (size_t)b->file.n_chunk;
    toks->ids = malloc(n * sizeof *toks->ids);
    if (!toks->ids)
        return EL_NOMEM(err);
    memcpy(toks->ids, b->file.tokens, n * sizeof *toks->ids);
    toks->n = toks->cap = n;
    return 0;
}

/* The two sides and the text's tokens. With a base logits file: the model, whose tokenizer checks
 * the file's tokens against the text when one is given. With a base model: both models, the base's
 * tokenizer defining the tokens (and BOS) both see. */
static int kld_open(const el_ppl_opts *o, base_src *b, runner *run, el_tokens *toks, int *n_ctx, int *n_chunk,
                    el_error *err)
{
    int rc;
    if (o->base_logits) {
        rc = runner_open(run, o->model_path, err);
        if (!rc)
            rc = open_base_file(o, b, run->lm.tok, toks, n_ctx, n_chunk, err);
        return rc;
    }
    rc = runner_open(&b->run, o->base_path, err);
    if (!rc)
        rc = el_text_tokens(b->run.lm.tok, o->text_path, tokens_needed(o, *n_ctx), toks, err);
    if (!rc)
        rc = count_chunks(o, toks->n, *n_ctx, n_chunk, err);
    if (!rc)
        rc = runner_open(run, o->model_path, err);
    run->bos = b->run.bos;
    return rc;
}

/* The base's side, once the model's runner is set up (its vocabulary V, per scored positions a
 * chunk). A file must hold V-entry rows and cannot be saved again; a base model gets a runner for
 * n_pass chunks, must have V tokens too, and gets the rows of a pass and, with --save-logits, the
 * file they are written to. */
static int base_setup(const el_ppl_opts *o, base_src *b, int n_ctx, int n_pass, int n_chunk, int V, int per,
                      const el_tokens *toks, el_error *err)
{
    if (b->have_file) {
        if (b->file.n_vocab != V)
            return EL_FAIL(err, EL_ESHAPE, o->base_logits, -1, "holds a vocabulary of %d, %s has %d", b->file.n_vocab,
                           o->model_path, V);
        if (o->save_logits)
            return EL_FAIL(err, EL_EUSAGE, NULL, -1, "--save-logits needs a base model (--base), not a logits file");
        return 0;
    }
    int rc = runner_setup(&b->run, n_ctx, n_pass, o->threads, err);
    if (rc)
        return rc;
    if (b->run.lm.model->hp.n_vocab != V)
        return EL_FAIL(err, EL_ESHAPE, o->base_path, -1, "has a vocabulary of %d, %s has %d: not comparable",
                       b->run.lm.model->hp.n_vocab, o->model_path, V);
    b->rows = malloc((size_t)n_pass * (size_t)per * (size_t)el_kld_row_len(V) * sizeof *b->rows);
    if (!b->rows)
        return EL_NOMEM(err);
    if (o->save_logits)
        return el_kld_write_begin(&b->save, o->save_logits, n_ctx, V, n_chunk, toks->ids, err);
    return 0;
}

/* The running sums of a KL divergence run, position by position in text order. */
typedef struct kld_sums {
    double nll, nll2, base, base2, cross, kld, kld2, dp, dp2, dp4;
    uint64_t same, count;
} kld_sums;

/* One position into the sums; its divergence into klds[count]. */
static void kld_add(kld_sums *t, const kld_pos *p, float *klds)
{
    t->nll += p->nll;
    t->nll2 += (double)p->nll * p->nll;
    t->base += p->nll_base;
    t->base2 += (double)p->nll_base * p->nll_base;
    t->cross += (double)p->nll * p->nll_base;
    t->kld += p->kld;
    t->kld2 += (double)p->kld * p->kld;
    const double d2 = (double)p->dp * p->dp;
    t->dp += p->dp;
    t->dp2 += d2;
    t->dp4 += d2 * d2;
    t->same += (uint64_t)p->same;
    klds[t->count] = p->kld;
    t->count++;
}

/* One pass over chunks ch .. ch+n-1: the base's rows (a base model decodes and packs them, and
 * --save-logits writes them), then the model's positions against them (in parallel into pos), then
 * the sums in position order. */
static int kld_pass(base_src *b, runner *run, const el_tokens *toks, int ch, int n, kld_pos *pos, kld_sums *t,
                    float *klds, el_error *err)
{
    const int n_ctx = run->n_ctx, per = run->per, rows_n = n * per, V = run->lm.model->hp.n_vocab;
    const int64_t nv = el_kld_row_len(V);
    const int nth = el_context_threads(run->c);
    int rc;
    if (!b->have_file) {
        if ((rc = runner_decode(&b->run, toks->ids, ch, n, err)))
            return rc;
#pragma omp parallel for num_threads(nth) schedule(static)
        for (int k = 0; k < rows_n; k++) {
            const int s = k / per, i = k % per;
            const int tok = toks->ids[(size_t)(ch + s) * (size_t)n_ctx + (size_t)(run->first + i + 1)];
            el_kld_pack(runner_logits(&b->run, s, i), V, tok, b->rows + (size_t)k * (size_t)nv);
        }
        if (b->save && (rc = el_out_write(b->save, b->rows, (uint64_t)rows_n * (uint64_t)nv * 2, err)))
            return rc;
    }
    if ((rc = runner_decode(run, toks->ids, ch, n, err)))
        return rc;
#pragma omp parallel for num_threads(nth) schedule(static)
    for (int k = 0; k < rows_n; k++) {
        const int s = k / per, i = k % per;
        const int tok = toks->ids[(size_t)(ch + s) * (size_t)n_ctx + (size_t)(run->first + i + 1)];
        pos[k] = kld_of(runner_logits(run, s, i), V, base_row(b, nv, per, ch, s, i), tok);
    }
    for (int k = 0; k < rows_n; k++)
        kld_add(t, &pos[k], klds);
    return 0;
}

/* The figures, llama-perplexity's way, from the sums and the divergences of every position (sorted
 * here): PPL of both sides, the ln ratio with its error through their covariance, mean KLD and
 * delta-p with standard errors (from 10 positions on), RMS delta-p, same top token, the quantiles.
 * `sides`: models decoded per chunk (2 with a base model), for the speed. */
static void kld_finish(const kld_sums *t, float *klds, int n_ctx, int sides, el_kld_result *r)
{
    const uint64_t count = t->count;
    double lp, lp_se, lb, lb_se, mse, mse_se;
    mean_err(t->nll, t->nll2, count, 10, &lp, &lp_se);
    mean_err(t->base, t->base2, count, 10, &lb, &lb_se);
    const double cov = count >= 10 ? (t->cross / (double)count - lp * lb) / (double)(count - 1) : 0;
    r->q.n_ctx = n_ctx;
    r->q.n_tokens = count;
    r->q.n_eval = (uint64_t)r->q.n_chunks * (uint64_t)n_ctx;
    r->q.eval_tps = r->q.seconds > 0 ? (double)r->q.n_eval * sides / r->q.seconds : 0;
    r->q.ppl = exp(lp);
    r->q.ppl_err = r->q.ppl * lp_se;
    r->ppl_base = exp(lb);
    r->ppl_base_err = r->ppl_base * lb_se;
    r->ln_ratio = lp - lb;
    const double v = lp_se * lp_se + lb_se * lb_se - 2 * cov;
    r->ln_ratio_err = v > 0 ? sqrt(v) : 0;
    mean_err(t->kld, t->kld2, count, 10, &r->kld_mean, &r->kld_err);
    mean_err(t->dp, t->dp2, count, 10, &r->dp_mean, &r->dp_err);
    mean_err(t->dp2, t->dp4, count, 10, &mse, &mse_se);
    r->rms_dp = sqrt(mse);
    r->rms_dp_err = r->rms_dp > 0 ? 0.5 / r->rms_dp * mse_se : 0;
    r->same_top = count ? (double)t->same / (double)count : 0;
    r->same_top_err = count > 1 ? sqrt(r->same_top * (1 - r->same_top) / (double)(count - 1)) : 0;
    qsort(klds, count, sizeof *klds, cmp_float);
    for (int q = 0; q < EL_KLD_NQ; q++)
        r->kld_q[q] = quantile(klds, count, el_kld_quantiles[q]);
}

int el_eval_kld(const el_ppl_opts *o, el_kld_result *r, el_error *err)
{
    memset(r, 0, sizeof *r);
    if (!o->base_path == !o->base_logits)
        return EL_FAIL(err, EL_EUSAGE, NULL, -1, "give either a base model or a base logits file");
    el_tokens toks = {0};
    base_src b = {0};
    runner run = {0};
    kld_pos *pos = NULL;
    float *klds = NULL;
    int n_ctx = o->n_ctx > 0 ? o->n_ctx : 512, n_chunk = 0;
    if (!o->base_logits && !o->text_path)
        return EL_FAIL(err, EL_EUSAGE, NULL, -1, "a text (-f) to evaluate on");
    int rc = kld_open(o, &b, &run, &toks, &n_ctx, &n_chunk, err);
    if (rc)
        goto done;
    const int n_pass = chunks_per_pass(o, n_ctx, n_chunk);
    if ((rc = runner_setup(&run, n_ctx, n_pass, o->threads, err)))
        goto done;
    el_model_info_of(run.lm.model, &r->q.model);
    const int per = run.per;
    if ((rc = base_setup(o, &b, n_ctx, n_pass, n_chunk, run.lm.model->hp.n_vocab, per, &toks, err)))
        goto done;
    pos = malloc((size_t)n_pass * (size_t)per * sizeof *pos);
    klds = malloc((size_t)n_chunk * (size_t)per * sizeof *klds);
    if (!pos || !klds) {
        rc = EL_NOMEM(err);
        goto done;
    }
    if (o->progress)
        el_progress_begin(o->progress, "KL divergence", "chunks", (uint64_t)n_chunk);
    const double t0 = el_now();
    kld_sums t = {0};
    for (int ch = 0; ch < n_chunk && !rc; ch += n_pass) {
        const int n = n_chunk - ch < n_pass ? n_chunk - ch : n_pass;
        if ((rc = kld_pass(&b, &run, &toks, ch, n, pos, &t, klds, err)))
            break;
        r->q.n_chunks = ch + n;
        if (o->progress)
            el_progress_set(o->progress, (uint64_t)(ch + n));
    }
    r->q.seconds = el_now() - t0;
    if (o->progress)
        el_progress_end(o->progress);
    if (rc)
        goto done;
    if (b.save) {
        rc = el_out_commit(b.save, err);
        b.save = NULL;
        if (rc)
            goto done;
    }
    kld_finish(&t, klds, n_ctx, b.have_file ? 1 : 2, r);
done:
    if (b.save)
        el_out_abort(b.save);
    if (b.have_file)
        el_kld_file_close(&b.file);
    runner_free(&b.run);
    free(b.rows);
    free(pos);
    free(klds);
    runner_free(&run);
    el_tokens_free(&toks);
    return rc;
}
