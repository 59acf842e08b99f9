/*
 * distill/score.c - KL, cross-entropy and top-1 of a student on stored top-k (see score.h).
 */
#include "distill/score.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/atomic.h"
#include "core/file.h"
#include "core/json.h"
#include "core/sha256.h"
#include "core/util.h"
#include "distill/outdir.h"
#include "distill/shard.h"
#include "distill/teacher.h"
#include "engine/context.h"

/* log-sum-exp of a row (max-shifted, double sum), and its argmax (the first of equal maxima) */
static double row_lse(const float *l, int n, int *argmax)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (l[i] > l[best])
            best = i;
    const float mx = l[best];
    double z = 0;
    for (int i = 0; i < n; i++)
        z += exp((double)l[i] - mx);
    *argmax = best;
    return log(z) + mx;
}

double el_distill_kl_row(const float *t_lp, float t_tail, const int32_t *ids, int k, const float *logits, double lse)
{
    double s = 0, qtop = 0;
    for (int i = 0; i < k; i++) {
        s += exp((double)t_lp[i]);
        qtop += exp((double)logits[ids[i]] - lse);
    }
    const double ptail = isfinite(t_tail) ? exp((double)t_tail) : 0;
    s += ptail;
    const double ls = log(s);
    double kl = 0;
    for (int i = 0; i < k; i++) {
        const double lp = (double)t_lp[i] - ls;
        kl += exp(lp) * (lp - ((double)logits[ids[i]] - lse));
    }
    if (ptail > 0) {
        const double qtail = fmax(1.0 - qtop, 1e-30);
        kl += ptail / s * (log(ptail / s) - log(qtail));
    }
    return kl > 0 ? kl : 0;
}

typedef struct {
    const el_distill_score_params *p;
    el_dmodel s;
    el_context *c;
    int n_vocab;
    int32_t *pos;
    int8_t *want;
    el_out *rec_out;
    double kl, kl2, kl_max, ce;
    int64_t top1, n, n_rec;
} scorer;

static int score_record(scorer *sc, const el_dshard_rec *r, int k, const char *shard, el_error *err)
{
    if (r->n_tok > el_context_n_ctx(sc->c))
        return EL_FAIL(err, EL_ERANGE, shard, -1, "record %lld has %lld tokens; the manifest's context is %d",
                       (long long)r->id, (long long)r->n_tok, el_context_n_ctx(sc->c));
    const int n = (int)r->n_tok, start = (int)r->start;
    for (int i = 0; i < n; i++) {
        sc->pos[i] = i;
        sc->want[i] = i >= start - 1 && i < n - 1;
    }
    el_seq_clear(sc->c, 0);
    el_batch b = {n, r->tokens, sc->pos, NULL, sc->want};
    int rc = el_decode(sc->c, &b, err);
    if (rc)
        return rc;
    double kl = 0, ce = 0;
    int64_t top1 = 0;
    const int rows = n - start;
    for (int j = 0; j < rows; j++) {
        const float *l = el_logits(sc->c, j);
        const int32_t *ids = r->topk_ids + (size_t)j * k;
        int best;
        const double lse = row_lse(l, sc->n_vocab, &best);
        const double d = el_distill_kl_row(r->topk_lp + (size_t)j * k, r->tail_lp[j], ids, k, l, lse);
        ce += lse - (double)l[r->tokens[start + j]];
        top1 += best == ids[0];
        kl += d;
        sc->kl2 += d * d;
        sc->kl_max = fmax(sc->kl_max, d);
    }
    sc->kl += kl;
    sc->ce += ce;
    sc->top1 += top1;
    sc->n += rows;
    sc->n_rec++;
    if (sc->rec_out && rows > 0) {
        char line[256];
        int len = snprintf(line, sizeof line, "{\"id\":%lld,\"sub\":%lld,\"n_scored\":%d,\"kl\":%.9g,\"ce\":%.9g,\"top1\":%.9g}\n",
                           (long long)r->id, (long long)r->sub, rows, kl / rows, ce / rows, (double)top1 / rows);
        rc = el_out_write(sc->rec_out, line, (uint64_t)len, err);
    }
    return rc;
}

static int score_shard(scorer *sc, const char *dir, const json_t *entry, el_error *err)
{
    const char *name = el_json_get_str(entry, "file"), *want = el_json_get_str(entry, "sha256");
    if (!name || !want)
        return EL_FAIL(err, EL_EJSON, dir, -1, "manifest.json: a file entry lacks \"file\" or \"sha256\"");
    char *path = el_path_join(dir, name);
    if (!path)
        return EL_NOMEM(err);
    char hex[65];
    el_dshard *s = NULL;
    int rc = el_sha256_file(path, hex, err);
    if (!rc && strcmp(hex, want) != 0)
        rc = EL_FAIL(err, EL_EFORMAT, path, -1, "its SHA-256 is not the manifest's: the file was changed or damaged");
    if (!rc)
        rc = el_dshard_open(&s, path, err);
    if (!rc && el_dshard_vocab(s) != sc->n_vocab)
        rc = EL_FAIL(err, EL_EFORMAT, path, -1, "a vocabulary of %d tokens; the student has %d", el_dshard_vocab(s),
                     sc->n_vocab);
    for (int64_t i = 0; !rc && i < el_dshard_records(s); i++) {
        el_dshard_rec r;
        el_dshard_get(s, i, &r);
        rc = score_record(sc, &r, el_dshard_k(s), path, err);
        if (!rc && sc->p->progress)
            el_progress_add(sc->p->progress, (uint64_t)(r.n_tok - r.start));
    }
    el_dshard_close(s);
    free(path);
    return rc;
}

int el_distill_score(const el_distill_score_params *p, el_distill_score_result *res, el_error *err)
{
    memset(res, 0, sizeof *res);
    const double t0 = el_now();
    scorer sc = {.p = p};
    json_t *man = NULL;
    char *mpath = el_path_join(p->dir, "manifest.json");
    int rc = mpath ? el_json_load(mpath, 64u << 20, &man, err) : EL_NOMEM(err);
    const char *status = rc ? NULL : el_json_get_str(man, "status");
    const char *vocab = rc ? NULL : el_json_get_str(man, "vocab_sha256");
    const json_t *params = rc ? NULL : json_object_get(man, "params"), *files = rc ? NULL : json_object_get(man, "files");
    int64_t n_ctx = 0, k = 0;
    if (!rc && (!status || !vocab || !json_is_array(files) || el_json_get_i64(params, "n_ctx", &n_ctx) != 1 ||
                el_json_get_i64(params, "topk_logits", &k) != 1 || n_ctx < 2))
        rc = EL_FAIL(err, EL_EJSON, mpath, -1, "not a distill manifest (status, vocab_sha256, params.n_ctx, "
                                               "params.topk_logits, files)");
    if (!rc && strcmp(status, "complete") != 0)
        rc = EL_FAIL(err, EL_EUSAGE, mpath, -1, "the run is not complete (status %s): finish it with --resume", status);
    if (!rc)
        rc = el_dout_check_files(man, mpath, err);
    if (!rc && k == 0)
        rc = EL_FAIL(err, EL_EUSAGE, mpath, -1, "the run kept no logits (--topk-logits 0): nothing to score");
    if (!rc)
        rc = el_dmodel_load(&sc.s, p->student, false, err);
    if (!rc && strcmp(sc.s.vocab_sha256, vocab) != 0)
        rc = EL_FAIL(err, EL_EUSAGE, p->student, -1,
                     "its vocabulary (sha256 %.12s...) is not the teacher's (%.12s... in %s): the logits would not line up",
                     sc.s.vocab_sha256, vocab, mpath);
    if (!rc) {
        sc.n_vocab = sc.s.m->hp.n_vocab;
        el_context_params cp = el_context_default_params();
        cp.n_ctx = (int)n_ctx;
        cp.n_batch = (int)n_ctx;
        cp.n_outputs = (int)n_ctx;
        cp.n_threads = p->threads;
        rc = el_context_new(&sc.c, sc.s.m, &cp, err);
    }
    if (!rc) {
        sc.pos = malloc((size_t)n_ctx * sizeof *sc.pos);
        sc.want = malloc((size_t)n_ctx);
        if (!sc.pos || !sc.want)
            rc = EL_NOMEM(err);
    }
    if (!rc && p->records_out)
        rc = el_out_open(&sc.rec_out, p->records_out, err);
    if (!rc && p->progress) {
        int64_t total = 0;
        el_json_get_i64(json_object_get(man, "counts"), "scored_tokens", &total);
        el_progress_begin(p->progress, "distill score", "tokens", (uint64_t)total);
    }
    size_t i;
    json_t *e;
    json_array_foreach(files, i, e) {
        if (rc)
            break;
        if (json_object_get(e, "records")) /* the logits shards (the lines file has none) */
            rc = score_shard(&sc, p->dir, e, err);
    }
    if (p->progress)
        el_progress_end(p->progress);
    if (!rc && sc.n == 0)
        rc = EL_FAIL(err, EL_EUSAGE, p->dir, -1, "no scored tokens in this folder");
    if (!rc && sc.rec_out) {
        rc = el_out_commit(sc.rec_out, err);
        sc.rec_out = NULL;
    }
    if (!rc) {
        const double n = (double)sc.n;
        res->kl_mean = sc.kl / n;
        const double var = sc.kl2 / n - res->kl_mean * res->kl_mean;
        res->kl_err = sc.n > 1 ? sqrt(fmax(var, 0) / (n - 1)) : 0;
        res->kl_max = sc.kl_max;
        res->ce_mean = sc.ce / n;
        res->ppl = exp(res->ce_mean);
        res->top1 = (double)sc.top1 / n;
        res->n_tokens = sc.n;
        res->n_records = sc.n_rec;
        res->seconds = el_now() - t0;
        const char *tn = el_json_get_str(json_object_get(man, "teacher"), "file");
        snprintf(res->teacher, sizeof res->teacher, "%s", tn ? tn : "?");
        snprintf(res->vocab_sha256, sizeof res->vocab_sha256, "%s", vocab);
    }
    el_out_abort(sc.rec_out);
    free(sc.pos);
    free(sc.want);
    el_context_free(sc.c);
    el_dmodel_free(&sc.s);
    json_decref(man);
    free(mpath);
    return rc;
}
