/*
 * distill/merge.c - joining shard runs (see merge.h).
 */
#include "distill/merge.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "core/json.h"
#include "core/lines.h"
#include "distill/outdir.h"
#include "distill/run.h"
#include "distill/shard.h"

/* One input folder, read in order. */
typedef struct input {
    const char *dir;
    json_t *man;
    el_line_reader *lines;
    char *line;              /* the current line (copy), NULL at the end */
    int64_t id, sub, ntok;
    const json_t *files;
    size_t file;             /* next entry of files to look at */
    el_dshard *shard;
    int64_t rec;             /* next record of shard */
} input;

static const char *const head_keys[] = {"format", "version", "command", "teacher", "vocab_sha256", "input", "params"};

/* Parse the current line's key and token count. */
static int read_line(input *in, bool gen, el_error *err)
{
    const char *l;
    size_t n;
    free(in->line);
    in->line = NULL;
    int rc = el_line_reader_next(in->lines, &l, &n, err);
    if (rc || !l)
        return rc;
    if (!(in->line = strndup(l, n)))
        return EL_NOMEM(err);
    json_t *j = NULL;
    rc = el_json_parse(l, n, in->dir, &j, err);
    if (rc)
        return rc;
    int64_t np = 0, nc = 0;
    const char *fin = el_json_get_str(j, "finish_reason");
    bool ok = el_json_get_i64(j, "id", &in->id) == 1 && el_json_get_i64(j, gen ? "sample" : "chunk", &in->sub) == 1;
    if (gen)
        ok = ok && fin && el_json_get_i64(j, "n_prompt_tokens", &np) == 1 && el_json_get_i64(j, "n_completion_tokens", &nc) == 1;
    else
        ok = ok && el_json_get_i64(j, "n_tokens", &in->ntok) == 1;
    if (gen && ok)
        in->ntok = np + nc + (strcmp(fin, "stop") == 0);
    json_decref(j);
    return ok ? EL_OK : EL_FAIL(err, EL_EFORMAT, in->dir, -1, "a line of its records lacks id, sample/chunk or token counts");
}

/* The next shard record of in (opening the next shard file as needed). */
static int next_rec(input *in, int64_t k, int64_t n_vocab, el_dshard_rec *r, el_error *err)
{
    while (!in->shard || in->rec >= el_dshard_records(in->shard)) {
        el_dshard_close(in->shard);
        in->shard = NULL;
        in->rec = 0;
        const json_t *e = NULL;
        while (in->file < json_array_size(in->files) && !json_object_get(e = json_array_get(in->files, in->file++), "records"))
            e = NULL;
        if (!e)
            return EL_FAIL(err, EL_EFORMAT, in->dir, -1, "its logits shards hold fewer records than its lines");
        char *p = el_path_join(in->dir, el_json_get_str(e, "file") ? el_json_get_str(e, "file") : "?");
        int rc = p ? el_dshard_open(&in->shard, p, err) : EL_NOMEM(err);
        if (!rc && (el_dshard_k(in->shard) != k || el_dshard_vocab(in->shard) != n_vocab)) /* records are copied at k */
            rc = EL_FAIL(err, EL_EFORMAT, p, -1, "its top-k is %d over a vocabulary of %d; the manifest says %lld over %lld",
                         el_dshard_k(in->shard), el_dshard_vocab(in->shard), (long long)k, (long long)n_vocab);
        free(p);
        if (rc)
            return rc;
    }
    el_dshard_get(in->shard, in->rec++, r);
    return EL_OK;
}

static int check_inputs(input *in, int n, el_error *err)
{
    for (int i = 0; i < n; i++) {
        char *mp = el_path_join(in[i].dir, "manifest.json");
        int rc = mp ? el_json_load(mp, 64u << 20, &in[i].man, err) : EL_NOMEM(err);
        const char *status = rc ? NULL : el_json_get_str(in[i].man, "status");
        int64_t idx = -1, cnt = -1;
        const json_t *sh = rc ? NULL : json_object_get(in[i].man, "shard");
        if (!rc && (!status || strcmp(status, "complete") != 0))
            rc = EL_FAIL(err, EL_EUSAGE, mp, -1, "the run is not complete: finish it with --resume first");
        if (!rc && (el_json_get_i64(sh, "index", &idx) != 1 || el_json_get_i64(sh, "count", &cnt) != 1 || cnt != n ||
                    idx < 0 || idx >= n))
            rc = EL_FAIL(err, EL_EUSAGE, mp, -1, "shard %lld of %lld, but %d folders are merged", (long long)idx,
                         (long long)cnt, n);
        if (!rc)
            rc = el_dout_check_files(in[i].man, mp, err);
        for (size_t k = 0; !rc && i > 0 && k < sizeof head_keys / sizeof *head_keys; k++) {
            const json_t *a = json_object_get(in[0].man, head_keys[k]), *b = json_object_get(in[i].man, head_keys[k]);
            if (!a || !b || !json_equal(a, b))
                rc = EL_FAIL(err, EL_EUSAGE, mp, -1, "its %s differs from %s's: not shards of one run", head_keys[k],
                             in[0].dir);
        }
        for (int j = 0; !rc && j < i; j++) {
            int64_t other = -1;
            el_json_get_i64(json_object_get(in[j].man, "shard"), "index", &other);
            if (other == idx)
                rc = EL_FAIL(err, EL_EUSAGE, mp, -1, "shard %lld also comes from %s", (long long)idx, in[j].dir);
        }
        free(mp);
        if (rc)
            return rc;
        in[i].files = json_object_get(in[i].man, "files");
    }
    return EL_OK;
}

int el_distill_merge(const char *const *dirs, int n, const char *out_dir, el_progress *progress, json_t **manifest,
                     el_error *err)
{
    *manifest = NULL;
    input *in = calloc((size_t)n, sizeof *in);
    if (!in)
        return EL_NOMEM(err);
    for (int i = 0; i < n; i++)
        in[i].dir = dirs[i];
    el_dout *out = NULL;
    json_t *head = NULL, *counts = NULL;
    int rc = check_inputs(in, n, err);
    const char *cmd = rc ? NULL : el_json_get_str(in[0].man, "command");
    const bool gen = cmd && strcmp(cmd, "gen") == 0;
    if (!rc && !gen && (!cmd || strcmp(cmd, "logits") != 0))
        rc = EL_FAIL(err, EL_EFORMAT, dirs[0], -1, "manifest.json: unknown command");
    const char *lines_name = gen ? "completions.jsonl" : "records.jsonl";
    int64_t k = 0, n_vocab = 0, shard_tokens = 0;
    const json_t *params = rc ? NULL : json_object_get(in[0].man, "params");
    if (!rc && (el_json_get_i64(params, "topk_logits", &k) != 1 || el_json_get_i64(params, "shard_tokens", &shard_tokens) != 1 ||
                el_json_get_i64(json_object_get(in[0].man, "teacher"), "n_vocab", &n_vocab) != 1))
        rc = EL_FAIL(err, EL_EJSON, dirs[0], -1, "manifest.json lacks params.topk_logits, params.shard_tokens or teacher.n_vocab");
    else if (!rc && (n_vocab < 1 || n_vocab > INT32_MAX || k < 0 || k > n_vocab || shard_tokens < 0))
        rc = EL_FAIL(err, EL_EFORMAT, dirs[0], -1, "manifest.json: params.topk_logits %lld, params.shard_tokens %lld or teacher.n_vocab %lld out of range",
                     (long long)k, (long long)shard_tokens, (long long)n_vocab);
    /* the single run's head: the shards' own, as shard 0 of 1 */
    if (!rc) {
        head = json_object();
        bool ok = head != NULL;
        for (size_t i = 0; ok && i < sizeof head_keys / sizeof *head_keys; i++)
            ok = json_object_set(head, head_keys[i], json_object_get(in[0].man, head_keys[i])) == 0; /* a failure lost a key */
        if (!ok || json_object_set_new(head, "shard", json_pack("{s:i, s:i}", "index", 0, "count", 1)))
            rc = EL_NOMEM(err);
    }
    int64_t first = 0;
    el_dout_params op = {out_dir, lines_name, (int)k, (int)n_vocab, shard_tokens, false, head};
    if (!rc)
        rc = el_dout_open(&out, &op, &first, err);
    for (int i = 0; i < n && !rc; i++) {
        char *lp = el_path_join(in[i].dir, lines_name);
        rc = lp ? el_line_reader_open(&in[i].lines, lp, err) : EL_NOMEM(err);
        free(lp);
        if (!rc)
            rc = read_line(&in[i], gen, err);
    }
    if (!rc && progress)
        el_progress_begin(progress, "distill merge", "units", 0);
    while (!rc) {
        int best = -1;
        for (int i = 0; i < n; i++)
            if (in[i].line && (best < 0 || in[i].id < in[best].id || (in[i].id == in[best].id && in[i].sub < in[best].sub)))
                best = i;
        if (best < 0)
            break;
        input *b = &in[best];
        el_dshard_rec r;
        if (k > 0) {
            rc = next_rec(b, k, n_vocab, &r, err);
            if (!rc && (r.id != b->id || r.sub != b->sub))
                rc = EL_FAIL(err, EL_EFORMAT, b->dir, -1, "its logits shards and its lines disagree at record %lld",
                             (long long)b->id);
        }
        if (!rc)
            rc = el_dout_add(out, b->line, k > 0 ? &r : NULL, b->ntok, err);
        if (!rc)
            rc = read_line(b, gen, err);
        if (!rc && progress)
            el_progress_add(progress, 1);
    }
    if (progress)
        el_progress_end(progress);
    el_distill_counts c = {0};
    for (int i = 0; i < n && !rc; i++) {
        const json_t *ci = json_object_get(in[i].man, "counts");
        int64_t v = 0;
        if (el_json_get_i64(ci, "records", &v) == 1)
            c.records = v;
        if (el_json_get_i64(ci, "records_in_shard", &v) == 1)
            c.records_in_shard += v;
        if (el_json_get_i64(ci, "skipped_empty", &v) == 1)
            c.skipped_empty += v;
        if (el_json_get_i64(ci, "skipped_too_long", &v) == 1)
            c.skipped_too_long += v;
        if (el_json_get_i64(ci, "truncated", &v) == 1)
            c.truncated += v;
    }
    if (!rc)
        rc = el_dout_flush(out, err);
    if (!rc)
        rc = gen ? el_distill_gen_counts(el_dout_lines_path(out), &c, &counts, err)
                 : el_distill_logits_counts(el_dout_lines_path(out), &c, &counts, err);
    if (!rc)
        rc = el_dout_finish(out, counts, manifest, err);
    json_decref(counts);
    json_decref(head);
    el_dout_free(out);
    for (int i = 0; i < n; i++) {
        json_decref(in[i].man);
        el_line_reader_close(in[i].lines);
        free(in[i].line);
        el_dshard_close(in[i].shard);
    }
    free(in);
    return rc;
}
