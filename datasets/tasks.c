/*
 * datasets/tasks.c - multiple-choice task loaders (see tasks.h).
 */
#include "datasets/tasks.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "datasets/records.h"

static const char *const names[] = {"hellaswag", "arc", "piqa", "winogrande", "mmlu"};

bool el_mc_task_from_name(const char *name, el_mc_task *out)
{
    for (int i = 0; i < 5; i++)
        if (!strcasecmp(name, names[i])) {
            *out = (el_mc_task)i;
            return true;
        }
    return false;
}

const char *el_mc_task_name(el_mc_task t) { return names[t]; }

void el_mc_set_free(el_mc_set *s)
{
    for (int i = 0; i < s->n; i++)
        for (int c = 0; c < s->items[i].n_choices; c++) {
            free(s->items[i].context[c]);
            free(s->items[i].cont[c]);
        }
    free(s->items);
    memset(s, 0, sizeof *s);
}

/* ---- small string helpers ------------------------------------------------------------------------ */

static char *dup_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *dup_fmt(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    return s;
}

/* In place: trim spaces at both ends. */
static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        memmove(s, s + 1, strlen(s));
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = 0;
    return s;
}

/* lm-evaluation-harness's HellaSwag preprocess, in place: strip; " [title]" -> ". "; drop [tags];
 * "  " -> " ". */
static char *hellaswag_pre(char *s)
{
    trim(s);
    char *out = s;
    for (const char *p = s; *p;) {
        if (!strncmp(p, " [title]", 8)) {
            *out++ = '.';
            *out++ = ' ';
            p += 8;
        } else if (*p == '[' && strchr(p, ']')) {
            p = strchr(p, ']') + 1;
        } else {
            *out++ = *p++;
        }
    }
    *out = 0;
    for (char *d; (d = strstr(s, "  "));)
        memmove(d, d + 1, strlen(d));
    return s;
}

/* ---- one record per task --------------------------------------------------------------------------- */

typedef struct rec_ctx {
    const el_ds_records *r;
    size_t i;
    el_error *err;
} rec_ctx;

static int bad(const rec_ctx *c, const char *what)
{
    if (c->r->line[c->i] > 0)
        return EL_FAIL(c->err, EL_EFORMAT, c->r->name, -1, "line %lld: %s", (long long)c->r->line[c->i], what);
    return EL_FAIL(c->err, EL_EFORMAT, c->r->name, -1, "record %zu: %s", c->i + 1, what);
}

static const char *str_field(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* An integer label given as a number or a string of digits; -1 when neither. */
static int int_field(const json_t *o, const char *key)
{
    const json_t *j = json_object_get(o, key);
    if (json_is_integer(j)) { /* range first: 4294967296 cast to int was label 0 */
        const json_int_t v = json_integer_value(j);
        return v >= 0 && v <= 99999 ? (int)v : -1;
    }
    const char *s = json_string_value(j);
    if (s && *s && strspn(s, "0123456789") == strlen(s) && strlen(s) < 6)
        return atoi(s);
    return -1;
}

static int set_choice(el_mc_item *it, int c, char *context, char *cont, el_error *err)
{
    it->context[c] = context;
    it->cont[c] = cont;
    if (!context || !cont)
        return EL_NOMEM(err);
    return 0;
}

static int load_hellaswag(const rec_ctx *c, const json_t *o, el_mc_item *it)
{
    const char *ctx = str_field(o, "ctx"), *a = str_field(o, "ctx_a"), *b = str_field(o, "ctx_b");
    const char *act = str_field(o, "activity_label");
    const json_t *ends = json_object_get(o, "endings");
    if (!ctx && !a)
        return bad(c, "missing field 'ctx' (or 'ctx_a')");
    if (!json_is_array(ends) || json_array_size(ends) < 2 || json_array_size(ends) > EL_MC_MAX_CHOICES)
        return bad(c, "'endings' must be an array of 2 to 8 strings");
    it->n_choices = (int)json_array_size(ends);
    it->label = int_field(o, "label");
    if (it->label < 0 || it->label >= it->n_choices)
        return bad(c, "'label' must be the index of one of the endings");
    char *q;
    if (a) { /* the harness: ctx_a + " " + ctx_b.capitalize() */
        char *bb = strdup(b ? b : "");
        if (bb && bb[0])
            bb[0] = (char)toupper((unsigned char)bb[0]);
        for (char *p = bb && bb[0] ? bb + 1 : NULL; p && *p; p++) /* "" has no second byte */
            *p = (char)tolower((unsigned char)*p);
        q = bb ? dup_fmt("%s%s%s %s", act ? act : "", act ? ": " : "", a, bb) : NULL;
        free(bb);
    } else {
        q = dup_fmt("%s%s%s", act ? act : "", act ? ": " : "", ctx);
    }
    if (!q)
        return EL_NOMEM(c->err);
    hellaswag_pre(q);
    int rc = 0;
    for (int k = 0; k < it->n_choices && !rc; k++) {
        const char *e = json_string_value(json_array_get(ends, (size_t)k));
        if (!e) {
            rc = bad(c, "'endings' must be an array of strings");
            break;
        }
        char *ending = strdup(e);
        char *cont = ending ? dup_fmt(" %s", hellaswag_pre(ending)) : NULL;
        free(ending);
        rc = set_choice(it, k, strdup(q), cont, c->err);
    }
    free(q);
    return rc;
}

static int load_arc(const rec_ctx *c, const json_t *o, el_mc_item *it)
{
    const json_t *qj = json_object_get(o, "question");
    const char *stem = json_is_object(qj) ? str_field(qj, "stem") : json_string_value(qj);
    const json_t *ch = json_is_object(qj) ? json_object_get(qj, "choices") : json_object_get(o, "choices");
    const char *key = str_field(o, "answerKey");
    if (!stem)
        return bad(c, "missing 'question.stem' (or a 'question' string)");
    if (!key)
        return bad(c, "missing 'answerKey'");
    const json_t *texts = json_is_object(ch) ? json_object_get(ch, "text") : NULL;
    const json_t *labels = json_is_object(ch) ? json_object_get(ch, "label") : NULL;
    const size_t n = json_is_array(ch) ? json_array_size(ch) : json_is_array(texts) ? json_array_size(texts) : 0;
    if (n < 2 || n > EL_MC_MAX_CHOICES || (texts && (!json_is_array(labels) || json_array_size(labels) != n)))
        return bad(c, "'choices' must hold 2 to 8 choices with a text and a label each");
    it->n_choices = (int)n;
    it->label = -1;
    char *q = dup_fmt("Question: %s\nAnswer:", stem);
    if (!q)
        return EL_NOMEM(c->err);
    int rc = 0;
    for (size_t k = 0; k < n && !rc; k++) {
        const json_t *e = json_is_array(ch) ? json_array_get(ch, k) : NULL;
        const char *text = e ? str_field(e, "text") : json_string_value(json_array_get(texts, k));
        const char *label = e ? str_field(e, "label") : json_string_value(json_array_get(labels, k));
        if (!text || !label) {
            rc = bad(c, "a choice without a 'text' or 'label' string");
            break;
        }
        if (!strcmp(label, key))
            it->label = (int)k;
        rc = set_choice(it, (int)k, strdup(q), dup_fmt(" %s", text), c->err);
    }
    free(q);
    if (!rc && it->label < 0)
        rc = bad(c, "'answerKey' matches no choice's label");
    return rc;
}

static int load_piqa(const rec_ctx *c, const json_t *o, el_mc_item *it)
{
    const char *goal = str_field(o, "goal"), *s1 = str_field(o, "sol1"), *s2 = str_field(o, "sol2");
    if (!goal || !s1 || !s2)
        return bad(c, "missing 'goal', 'sol1' or 'sol2'");
    it->n_choices = 2;
    it->label = int_field(o, "label");
    if (it->label != 0 && it->label != 1)
        return bad(c, "'label' must be 0 or 1");
    int rc = set_choice(it, 0, dup_fmt("Question: %s\nAnswer:", goal), dup_fmt(" %s", s1), c->err);
    if (!rc)
        rc = set_choice(it, 1, dup_fmt("Question: %s\nAnswer:", goal), dup_fmt(" %s", s2), c->err);
    return rc;
}

static int load_winogrande(const rec_ctx *c, const json_t *o, el_mc_item *it)
{
    const char *s = str_field(o, "sentence"), *o1 = str_field(o, "option1"), *o2 = str_field(o, "option2");
    if (!s || !o1 || !o2)
        return bad(c, "missing 'sentence', 'option1' or 'option2'");
    const char *blank = strchr(s, '_');
    if (!blank)
        return bad(c, "the sentence has no '_' to fill");
    const char *ans = str_field(o, "answer");
    it->label = ans && (!strcmp(ans, "1") || !strcmp(ans, "2")) ? ans[0] - '1' : int_field(o, "answer") - 1;
    if (it->label != 0 && it->label != 1)
        return bad(c, "'answer' must be \"1\" or \"2\"");
    it->n_choices = 2;
    char *rest = strdup(blank + 1);
    if (!rest)
        return EL_NOMEM(c->err);
    trim(rest);
    const int pre = (int)(blank - s);
    int rc = set_choice(it, 0, dup_fmt("%.*s%s", pre, s, o1), dup_fmt(" %s", rest), c->err);
    if (!rc)
        rc = set_choice(it, 1, dup_fmt("%.*s%s", pre, s, o2), dup_fmt(" %s", rest), c->err);
    free(rest);
    return rc;
}

/* "abstract_algebra_test.csv" (or a path to it, or ARCHIVE:data/test/abstract_algebra_test.csv) ->
 * "abstract algebra" */
static void mmlu_subject(const char *spec, char *out, size_t cap)
{
    const char *b = strrchr(spec, '/'), *colon = strrchr(spec, ':');
    if (colon && (!b || colon > b))
        b = colon;
    snprintf(out, cap, "%s", b ? b + 1 : spec);
    static const char *const tails[] = {".gz", ".csv", "_test", "_dev", "_val"};
    for (int i = 0; i < 5; i++) {
        const size_t n = strlen(out), k = strlen(tails[i]);
        if (n > k && !strcmp(out + n - k, tails[i]))
            out[n - k] = 0;
    }
    for (char *p = out; *p; p++)
        if (*p == '_')
            *p = ' ';
}

static int load_mmlu(const rec_ctx *c, const json_t *row, el_mc_item *it, const char *subject)
{
    if (!json_is_array(row) || json_array_size(row) != 6)
        return bad(c, "an MMLU row has 6 fields: question, A, B, C, D, answer");
    const char *f[6];
    for (int k = 0; k < 6; k++)
        f[k] = json_string_value(json_array_get(row, (size_t)k));
    const char *ans = f[5];
    if (!ans || strlen(ans) != 1 || ans[0] < 'A' || ans[0] > 'D')
        return bad(c, "the answer (6th field) must be A, B, C or D");
    it->n_choices = 4;
    it->label = ans[0] - 'A';
    char *q = strdup(f[0]);
    char *ctx = q ? dup_fmt("The following are multiple choice questions (with answers) about %s.\n\n%s\nA. %s\nB. %s\nC. "
                            "%s\nD. %s\nAnswer:",
                            subject, trim(q), f[1], f[2], f[3], f[4])
                  : NULL;
    free(q);
    if (!ctx)
        return EL_NOMEM(c->err);
    int rc = 0;
    for (int k = 0; k < 4 && !rc; k++)
        rc = set_choice(it, k, strdup(ctx), dup_fmt(" %c", 'A' + k), c->err);
    free(ctx);
    return rc;
}

int el_mc_load(el_mc_task task, const char *spec, int limit, el_mc_set *out, el_error *err)
{
    memset(out, 0, sizeof *out);
    el_ds_records r;
    el_ds_format fmt = el_ds_format_of(spec);
    if (task == EL_MC_MMLU && fmt != EL_DS_TSV)
        fmt = EL_DS_CSV;
    else if (task != EL_MC_MMLU && fmt != EL_DS_JSON)
        fmt = EL_DS_JSONL;
    int rc = el_ds_records_load_n(spec, fmt, limit > 0 ? (size_t)limit : 0, &r, err);
    if (rc)
        return rc;
    size_t n = r.n;
    if (limit > 0 && (size_t)limit < n)
        n = (size_t)limit;
    if (n == 0) {
        el_ds_records_free(&r);
        return EL_FAIL(err, EL_EFORMAT, spec, -1, "no records");
    }
    out->items = calloc(n, sizeof *out->items);
    if (!out->items) {
        el_ds_records_free(&r);
        return EL_NOMEM(err);
    }
    char subject[256];
    mmlu_subject(spec, subject, sizeof subject);
    for (size_t i = 0; i < n && !rc; i++) {
        const rec_ctx c = {&r, i, err};
        el_mc_item *it = &out->items[i];
        it->line = r.line[i];
        out->n = (int)i + 1;
        switch (task) {
        case EL_MC_HELLASWAG: rc = load_hellaswag(&c, r.rec[i], it); break;
        case EL_MC_ARC: rc = load_arc(&c, r.rec[i], it); break;
        case EL_MC_PIQA: rc = load_piqa(&c, r.rec[i], it); break;
        case EL_MC_WINOGRANDE: rc = load_winogrande(&c, r.rec[i], it); break;
        case EL_MC_MMLU: rc = load_mmlu(&c, r.rec[i], it, subject); break;
        }
    }
    el_ds_records_free(&r);
    if (rc)
        el_mc_set_free(out);
    return rc;
}
