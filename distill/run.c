/*
 * distill/run.c - manifest head and counts (see run.h).
 */
#include "distill/run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "core/json.h"
#include "core/lines.h"

double el_real6(float v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%.6g", (double)v);
    return strtod(buf, NULL);
}

json_t *el_distill_head(const char *command, const el_dmodel *t, const char *input, const char *input_sha,
                        json_t *params, int shard_i, int shard_n)
{
    if (!params)
        return NULL;
    return json_pack("{s:s, s:i, s:s, s:o, s:s, s:{s:s, s:s}, s:o, s:{s:i, s:i}}", "format", "edgelm.distill", "version", 1,
                     "command", command, "teacher", el_dmodel_json(t), "vocab_sha256", t->vocab_sha256, "input", "file",
                     el_basename(input), "sha256", input_sha, "params", params, "shard", "index", shard_i, "count",
                     shard_n);
}

typedef struct {
    const char *path;
    int64_t units, prompt, completion, scored, tokens, stop, length, context;
    double conf;
} tally;

static int gen_line(void *ud, char *line, size_t n, int64_t no, el_error *err)
{
    tally *t = ud;
    json_t *j = NULL;
    int rc = el_json_parse(line, n, t->path, &j, err);
    if (rc)
        return rc;
    int64_t np = 0, nc = 0;
    double conf = 0;
    const char *fin = el_json_get_str(j, "finish_reason");
    if (el_json_get_i64(j, "n_prompt_tokens", &np) != 1 || el_json_get_i64(j, "n_completion_tokens", &nc) != 1 || !fin ||
        el_json_get_f64(j, "mean_confidence", &conf) != 1)
        rc = EL_FAIL(err, EL_EFORMAT, t->path, -1, "line %lld: not a completion record", (long long)no);
    else {
        t->units++;
        t->prompt += np;
        t->completion += nc;
        t->conf += conf;
        bool stop = strcmp(fin, "stop") == 0;
        t->scored += nc + (stop ? 1 : 0);
        t->stop += stop;
        t->length += strcmp(fin, "length") == 0;
        t->context += strcmp(fin, "context") == 0;
    }
    json_decref(j);
    return rc;
}

static json_t *base_counts(const el_distill_counts *c)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:I}", "records", (json_int_t)c->records, "records_in_shard",
                     (json_int_t)c->records_in_shard, "skipped_empty", (json_int_t)c->skipped_empty, "skipped_too_long",
                     (json_int_t)c->skipped_too_long, "truncated", (json_int_t)c->truncated);
}

/* The base counts, then `more` (stolen). */
static int with_base(const el_distill_counts *c, json_t *more, json_t **out, el_error *err)
{
    json_t *j = base_counts(c);
    if (!j || !more || json_object_update(j, more)) {
        json_decref(j);
        json_decref(more);
        return EL_NOMEM(err);
    }
    json_decref(more);
    *out = j;
    return EL_OK;
}

int el_distill_gen_counts(const char *lines_path, const el_distill_counts *c, json_t **out, el_error *err)
{
    *out = NULL;
    tally t = {.path = lines_path};
    int rc = el_lines_each(lines_path, gen_line, &t, err);
    if (rc)
        return rc;
    json_t *more = json_pack("{s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I}, s:f}", "completions", (json_int_t)t.units,
                             "prompt_tokens", (json_int_t)t.prompt, "completion_tokens", (json_int_t)t.completion,
                             "scored_tokens", (json_int_t)t.scored, "finish", "stop", (json_int_t)t.stop, "length",
                             (json_int_t)t.length, "context", (json_int_t)t.context, "mean_confidence",
                             t.units ? t.conf / (double)t.units : 0.0);
    return with_base(c, more, out, err);
}

static int logits_line(void *ud, char *line, size_t n, int64_t no, el_error *err)
{
    tally *t = ud;
    json_t *j = NULL;
    int rc = el_json_parse(line, n, t->path, &j, err);
    if (rc)
        return rc;
    int64_t nt = 0, ns = 0;
    if (el_json_get_i64(j, "n_tokens", &nt) != 1 || el_json_get_i64(j, "n_scored", &ns) != 1)
        rc = EL_FAIL(err, EL_EFORMAT, t->path, -1, "line %lld: not a chunk record", (long long)no);
    else {
        t->units++;
        t->tokens += nt;
        t->scored += ns;
    }
    json_decref(j);
    return rc;
}

int el_distill_logits_counts(const char *lines_path, const el_distill_counts *c, json_t **out, el_error *err)
{
    *out = NULL;
    tally t = {.path = lines_path};
    int rc = el_lines_each(lines_path, logits_line, &t, err);
    if (rc)
        return rc;
    json_t *more = json_pack("{s:I, s:I, s:I}", "chunks", (json_int_t)t.units, "tokens", (json_int_t)t.tokens,
                             "scored_tokens", (json_int_t)t.scored);
    return with_base(c, more, out, err);
}
