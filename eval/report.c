/*
 * eval/report.c - report.md and its SVG charts from eval/bench results (see report.h).
 */
#include "eval/report.h"

#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"
#include "core/atomic.h"
#include "core/file.h"
#include "core/json.h"
#include "core/sha256.h"
#include "core/utf8.h"
#include "datasets/records.h"
#include "formats/ggml_type.h"
#include "formats/gguf.h"
#include "quant/recipe.h"

enum { MAX_TASKS = 8 };

typedef struct variant {
    char model[1024], name[256], type[32];
    double size, bpw;
    double ppl, ppl_err, ppl_kld; /* ppl_kld: from a kld record, used when there is no ppl record */
    double kld, kld_err, same_top;
    double acc[MAX_TASKS], acc_lo[MAX_TASKS], acc_hi[MAX_TASKS];
    int acc_n[MAX_TASKS];
    double pp_ts, tg_ts, pp_sd, tg_sd, ttft_ms, peak_rss, roofline;
    bool pp_noisy, tg_noisy;
    /* from the GGUF itself: matrices whose rows do not fit the mix's blocks, and what they became */
    bool fell_back;
    char fallback_note[160];
    bool has_hash;
    uint8_t tensors_sha[32]; /* names, types, shapes and data of every tensor */
    int same_as;             /* index of a variant with the same tensors, -1: none */
    double peak_kv, kv_per_pos; /* of the record with the peak RSS: its KV cache and per-position bytes */
    int pp_threads, tg_threads;
    bool has_ppl, has_ppl_kld, has_kld, has_acc[MAX_TASKS], has_pp, has_tg;
} variant;

/* An `eval mc` record's calibration (of acc): its reliability bins and its risk-coverage curve. */
typedef struct rel_bin {
    double lo, hi, conf, acc;
    long long n;
} rel_bin;

typedef struct rc_pt {
    double threshold, coverage, acc;
    long long n;
} rc_pt;

typedef struct cal_series {
    char model[1024], task[32];
    long long n; /* -1: not said */
    /* the record's top-level figures, NAN when absent or null */
    double acc, ece, brier, aurc, target_acc, target_threshold, target_coverage;
    double chart_ece, chart_aurc; /* calibration.acc.ece and .aurc */
    rel_bin *bin;
    rc_pt *rc;
    size_t n_bin, n_rc;
    int order, task_i; /* its variant's index once sorted, its task's column */
} cal_series;

/* An `eval route` record's sweep: the hybrid's accuracy at each share routed to the cloud model. */
typedef struct route_pt {
    double threshold, routed, hybrid_acc, oracle_acc, latency_ms; /* oracle_acc, latency_ms NAN: null */
    long long n_routed;
} route_pt;

typedef struct route_rec {
    char edge[1024], cloud[1024], task[32], signal[32];
    double edge_acc, cloud_acc, threshold, routed, hybrid_acc; /* all but edge_acc NAN when null */
    route_pt *pt;
    size_t n_pt;
} route_rec;

typedef struct report {
    variant *v;
    int n, cap;
    cal_series *cal;
    int n_cal, cap_cal;
    route_rec *route;
    int n_route, cap_route;
    char cpu_info[128];
    int n_cpus, threads_lo, threads_hi;
    bool cpu_mixed;
    char tasks[MAX_TASKS][32];
    int n_tasks;
    int n_records;
} report;

static double num(const json_t *o, const char *k) { return json_number_value(json_object_get(o, k)); }

/* ---- strings from result files --------------------------------------------------------------------- */

/*
 * Names, types and task names come from result files, which anyone may have written: they are text,
 * never markup. Both writers below walk them one UTF-8 character at a time; a byte that is not valid
 * UTF-8 becomes U+FFFD and a control character (newlines too) a space, so a string can neither break
 * the output's encoding nor its lines.
 */

/* src into dst (cap bytes), cut at a character boundary when it does not fit. */
static void copy_text(char *dst, size_t cap, const char *src)
{
    const unsigned char *u = (const unsigned char *)src;
    const size_t n = strlen(src);
    size_t i = 0;
    for (size_t l; i < n && (l = el_utf8_len(u + i, n - i)) && i + l < cap;)
        i += l;
    memcpy(dst, src, i);
    dst[i] = '\0';
}

typedef enum { TEXT_MD, TEXT_XML } text_kind;

static bool is_alnum(int c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/*
 * s as text of a report.md table cell (TEXT_MD) or of an SVG <text> element (TEXT_XML).
 * Markdown: <, > and & as entities (no HTML); a backslash before |, \, `, *, [, ], ~ and $ (no cell
 * split, emphasis, code, link, strikethrough or math), and before _ unless it sits between two letters
 * or digits, where CommonMark never reads it as emphasis (Q4_K_M stays readable).
 * XML: <, >, &, " and ' as entities; U+FFFE and U+FFFF, which XML refuses, become U+FFFD.
 */
static void put_text(FILE *f, const char *s, text_kind kind)
{
    const unsigned char *u = (const unsigned char *)s;
    const size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        const size_t l = el_utf8_len(u + i, n - i);
        const int c = u[i];
        if (l == 0 || (l == 3 && c == 0xef && u[i + 1] == 0xbf && u[i + 2] >= 0xbe)) {
            fputs("\xef\xbf\xbd", f);
            i += l ? l : 1;
            continue;
        }
        if (l > 1)
            fwrite(u + i, 1, l, f);
        else if (c < 0x20 || c == 0x7f)
            fputc(' ', f);
        else if (c == '<')
            fputs("&lt;", f);
        else if (c == '>')
            fputs("&gt;", f);
        else if (c == '&')
            fputs("&amp;", f);
        else if (kind == TEXT_XML && c == '"')
            fputs("&quot;", f);
        else if (kind == TEXT_XML && c == '\'')
            fputs("&apos;", f);
        else if (kind == TEXT_MD && (strchr("|\\`*[]~$", c) ||
                                     (c == '_' && !(i > 0 && is_alnum(u[i - 1]) && is_alnum(u[i + 1])))))
            fprintf(f, "\\%c", c);
        else
            fputc(c, f);
        i += l;
    }
}

/* The variant of model path `model`, made when new (name its base name, type "?"); NULL on OOM. */
static variant *variant_at(report *r, const char *model, bool *made, el_error *err)
{
    *made = false;
    for (int i = 0; i < r->n; i++)
        if (!strcmp(r->v[i].model, model))
            return &r->v[i];
    if (r->n == r->cap) {
        const int c = r->cap ? r->cap * 2 : 8;
        variant *nv = realloc(r->v, (size_t)c * sizeof *nv);
        if (!nv) {
            EL_NOMEM(err);
            return NULL;
        }
        r->v = nv;
        r->cap = c;
    }
    variant *v = memset(&r->v[r->n++], 0, sizeof *v);
    copy_text(v->model, sizeof v->model, model);
    copy_text(v->name, sizeof v->name, el_basename(model));
    copy_text(v->type, sizeof v->type, "?");
    v->same_as = -1;
    *made = true;
    return v;
}

static variant *variant_of(report *r, const json_t *rec, const char *file, el_error *err)
{
    const char *model = json_string_value(json_object_get(rec, "model"));
    if (!model) {
        EL_FAIL(err, EL_EFORMAT, file, -1, "a record without \"model\": not an edgelm eval/bench result");
        return NULL;
    }
    bool made;
    variant *v = variant_at(r, model, &made, err);
    if (!v || (!made && (v->size > 0 || strcmp(v->type, "?"))))
        return v;
    const char *name = json_string_value(json_object_get(rec, "model_name"));
    const char *type = json_string_value(json_object_get(rec, "model_type"));
    copy_text(v->name, sizeof v->name, name ? name : el_basename(model));
    copy_text(v->type, sizeof v->type, type ? type : "?");
    v->size = num(rec, "model_size");
    v->bpw = num(rec, "bpw");
    return v;
}

/* ---- calibration (eval mc) and routing (eval route) records ------------------------------------------ */

/*
 * Their figures are checked as they are read: a number out of its range (an accuracy above 1, a share
 * below 0, a count that is not a whole number) or of the wrong type is an error naming the file and
 * the field, never a point drawn off the chart. JSON cannot hold NaN or infinities (jansson refuses
 * them), so a value that parses is finite.
 */

/* o[k] as a number in lo..hi into *out; null_ok: absent or null gives NAN. where: the field's path so far. */
static int get_num(const json_t *o, const char *where, const char *k, double lo, double hi, bool null_ok, double *out,
                   const char *file, el_error *err)
{
    const json_t *x = json_object_get(o, k);
    if (null_ok && (!x || json_is_null(x))) {
        *out = NAN;
        return 0;
    }
    const double v = json_number_value(x);
    if (!json_is_number(x) || !isfinite(v) || v < lo || v > hi) {
        if (isinf(hi))
            return EL_FAIL(err, EL_EFORMAT, file, -1, "%s%s is not a number >= %g%s", where, k, lo, x ? "" : " (absent)");
        return EL_FAIL(err, EL_EFORMAT, file, -1, "%s%s is not a number in %g..%g%s", where, k, lo, hi, x ? "" : " (absent)");
    }
    *out = v;
    return 0;
}

/* o[k] as a count (a whole number >= 0); null_ok: absent or null gives -1. */
static int get_count(const json_t *o, const char *where, const char *k, bool null_ok, long long *out, const char *file,
                     el_error *err)
{
    const json_t *x = json_object_get(o, k);
    if (null_ok && (!x || json_is_null(x))) {
        *out = -1;
        return 0;
    }
    if (!json_is_integer(x) || json_integer_value(x) < 0)
        return EL_FAIL(err, EL_EFORMAT, file, -1, "%s%s is not a count (a whole number >= 0)%s", where, k, x ? "" : " (absent)");
    *out = (long long)json_integer_value(x);
    return 0;
}

/* rec[k], an array of objects (n of them), or an error naming it. */
static int get_array(const json_t *o, const char *where, const char *k, const json_t **arr, size_t *n, const char *file,
                     el_error *err)
{
    const json_t *a = json_object_get(o, k);
    if (!json_is_array(a))
        return EL_FAIL(err, EL_EFORMAT, file, -1, "%s%s is not an array", where, k);
    for (size_t i = 0; i < json_array_size(a); i++)
        if (!json_is_object(json_array_get(a, i)))
            return EL_FAIL(err, EL_EFORMAT, file, -1, "%s%s[%zu] is not an object", where, k, i);
    *arr = a;
    *n = json_array_size(a);
    return 0;
}

static void cal_free(cal_series *c)
{
    free(c->bin);
    free(c->rc);
}

static void route_free(route_rec *q) { free(q->pt); }

/* Grow an array of `size`-byte items to hold one more; false on OOM. */
static bool grow(void **arr, int n, int *cap, size_t size)
{
    if (n < *cap)
        return true;
    const int c = *cap ? *cap * 2 : 4;
    void *p = realloc(*arr, (size_t)c * size);
    if (!p)
        return false;
    *arr = p;
    *cap = c;
    return true;
}

/* An mc record's "calibration", when it has one: a series for (model, task), replacing an earlier one. */
static int add_calibration(report *r, const json_t *rec, const char *model, int task, const char *file, el_error *err)
{
    const json_t *cal = json_object_get(rec, "calibration");
    if (!cal || json_is_null(cal))
        return 0;
    const json_t *ca = json_object_get(cal, "acc");
    if (!json_is_object(cal) || !json_is_object(ca))
        return EL_FAIL(err, EL_EFORMAT, file, -1, "\"calibration\" of an mc record has no \"acc\" object");
    cal_series c;
    memset(&c, 0, sizeof c);
    copy_text(c.model, sizeof c.model, model);
    copy_text(c.task, sizeof c.task, r->tasks[task]);
    c.task_i = task;
    const json_t *bins, *rcs;
    size_t nb, nr;
    int rc = get_count(rec, "", "n", true, &c.n, file, err);
    if (!rc)
        rc = get_num(rec, "", "acc", 0, 1, true, &c.acc, file, err);
    if (!rc)
        rc = get_num(rec, "", "ece", 0, 1, true, &c.ece, file, err);
    if (!rc) /* over all the options: (1 - p)^2 + the others' p^2 sums to at most 2 */
        rc = get_num(rec, "", "brier", 0, 2, true, &c.brier, file, err);
    if (!rc)
        rc = get_num(rec, "", "aurc", 0, 1, true, &c.aurc, file, err);
    if (!rc)
        rc = get_num(rec, "", "target_acc", 0, 1, true, &c.target_acc, file, err);
    if (!rc)
        rc = get_num(rec, "", "target_threshold", 0, 1, true, &c.target_threshold, file, err);
    if (!rc)
        rc = get_num(rec, "", "target_coverage", 0, 1, true, &c.target_coverage, file, err);
    if (!rc)
        rc = get_num(ca, "calibration.acc.", "ece", 0, 1, false, &c.chart_ece, file, err);
    if (!rc)
        rc = get_num(ca, "calibration.acc.", "aurc", 0, 1, false, &c.chart_aurc, file, err);
    if (!rc)
        rc = get_array(ca, "calibration.acc.", "reliability", &bins, &nb, file, err);
    if (!rc)
        rc = get_array(ca, "calibration.acc.", "risk_coverage", &rcs, &nr, file, err);
    if (rc)
        return rc;
    c.bin = calloc(nb + 1, sizeof *c.bin);
    c.rc = calloc(nr + 1, sizeof *c.rc);
    if (!c.bin || !c.rc) {
        cal_free(&c);
        return EL_NOMEM(err);
    }
    char where[64];
    for (size_t i = 0; i < nb && !rc; i++) {
        const json_t *b = json_array_get(bins, i);
        rel_bin *o = &c.bin[c.n_bin++];
        snprintf(where, sizeof where, "calibration.acc.reliability[%zu].", i);
        rc = get_num(b, where, "lo", 0, 1, false, &o->lo, file, err);
        if (!rc)
            rc = get_num(b, where, "hi", o->lo, 1, false, &o->hi, file, err);
        if (!rc)
            rc = get_count(b, where, "n", false, &o->n, file, err);
        if (!rc && o->n > 0) /* an empty bin has no mean: whatever it says is not read */
            rc = get_num(b, where, "conf", 0, 1, false, &o->conf, file, err);
        if (!rc && o->n > 0)
            rc = get_num(b, where, "acc", 0, 1, false, &o->acc, file, err);
    }
    for (size_t i = 0; i < nr && !rc; i++) {
        const json_t *p = json_array_get(rcs, i);
        rc_pt *o = &c.rc[c.n_rc++];
        snprintf(where, sizeof where, "calibration.acc.risk_coverage[%zu].", i);
        rc = get_num(p, where, "threshold", 0, 1, false, &o->threshold, file, err);
        if (!rc)
            rc = get_num(p, where, "coverage", 0, 1, false, &o->coverage, file, err);
        if (!rc && i > 0 && o->coverage < c.rc[i - 1].coverage)
            rc = EL_FAIL(err, EL_EFORMAT, file, -1, "%scoverage %g is below the point before's %g: coverage must ascend", where,
                         o->coverage, c.rc[i - 1].coverage);
        if (!rc)
            rc = get_num(p, where, "acc", 0, 1, false, &o->acc, file, err);
        if (!rc)
            rc = get_count(p, where, "n", false, &o->n, file, err);
    }
    if (rc) {
        cal_free(&c);
        return rc;
    }
    int k = 0;
    while (k < r->n_cal && !(strcmp(r->cal[k].model, c.model) == 0 && strcmp(r->cal[k].task, c.task) == 0))
        k++;
    if (k == r->n_cal) {
        if (!grow((void **)&r->cal, r->n_cal, &r->cap_cal, sizeof *r->cal)) {
            cal_free(&c);
            return EL_NOMEM(err);
        }
        r->n_cal++;
    } else {
        cal_free(&r->cal[k]);
    }
    r->cal[k] = c;
    return 0;
}

/* A route record: kept when it has a "sweep" (eval route without --sweep or --target-acc writes null). */
static int add_route(report *r, const json_t *rec, const char *file, el_error *err)
{
    const json_t *given = json_object_get(rec, "sweep");
    if (!given || json_is_null(given))
        return 0;
    route_rec q;
    memset(&q, 0, sizeof q);
    const char *edge = json_string_value(json_object_get(rec, "edge")), *cloud = json_string_value(json_object_get(rec, "cloud"));
    const char *task = json_string_value(json_object_get(rec, "task")), *sig = json_string_value(json_object_get(rec, "signal"));
    if (!edge || !cloud)
        return EL_FAIL(err, EL_EFORMAT, file, -1, "a route record without \"edge\" and \"cloud\" (model paths)");
    copy_text(q.edge, sizeof q.edge, edge);
    copy_text(q.cloud, sizeof q.cloud, cloud);
    copy_text(q.task, sizeof q.task, task ? task : "?");
    copy_text(q.signal, sizeof q.signal, sig ? sig : "?");
    const json_t *sw;
    size_t ns;
    int rc = get_num(rec, "", "edge_acc", 0, 1, false, &q.edge_acc, file, err);
    if (!rc)
        rc = get_num(rec, "", "cloud_acc", 0, 1, true, &q.cloud_acc, file, err);
    if (!rc)
        rc = get_num(rec, "", "threshold", -INFINITY, INFINITY, true, &q.threshold, file, err);
    if (!rc)
        rc = get_num(rec, "", "routed", 0, 1, true, &q.routed, file, err);
    if (!rc)
        rc = get_num(rec, "", "hybrid_acc", 0, 1, true, &q.hybrid_acc, file, err);
    if (!rc)
        rc = get_array(rec, "", "sweep", &sw, &ns, file, err);
    if (rc)
        return rc;
    q.pt = calloc(ns + 1, sizeof *q.pt);
    if (!q.pt)
        return EL_NOMEM(err);
    char where[48];
    for (size_t i = 0; i < ns && !rc; i++) {
        const json_t *p = json_array_get(sw, i);
        route_pt *o = &q.pt[q.n_pt++];
        snprintf(where, sizeof where, "sweep[%zu].", i);
        rc = get_num(p, where, "threshold", -INFINITY, INFINITY, false, &o->threshold, file, err);
        if (!rc)
            rc = get_num(p, where, "routed", 0, 1, false, &o->routed, file, err);
        if (!rc && i > 0 && o->routed < q.pt[i - 1].routed)
            rc = EL_FAIL(err, EL_EFORMAT, file, -1, "%srouted %g is below the point before's %g: routed must ascend", where,
                         o->routed, q.pt[i - 1].routed);
        if (!rc)
            rc = get_num(p, where, "hybrid_acc", 0, 1, false, &o->hybrid_acc, file, err);
        if (!rc)
            rc = get_num(p, where, "oracle_acc", 0, 1, true, &o->oracle_acc, file, err);
        if (!rc)
            rc = get_num(p, where, "hybrid_latency_ms", 0, INFINITY, true, &o->latency_ms, file, err);
        if (!rc)
            rc = get_count(p, where, "n_routed", false, &o->n_routed, file, err);
    }
    if (!rc && !grow((void **)&r->route, r->n_route, &r->cap_route, sizeof *r->route))
        rc = EL_NOMEM(err);
    if (rc) {
        route_free(&q);
        return rc;
    }
    r->route[r->n_route++] = q;
    return 0;
}

static int add_record(report *r, const json_t *rec, const char *file, el_error *err)
{
    if (!json_is_object(rec))
        return EL_FAIL(err, EL_EFORMAT, file, -1, "a result must be a JSON object (or a list of them)");
    if (json_object_get(rec, "error"))
        return EL_FAIL(err, EL_EFORMAT, file, -1, "holds an error, not a result");
    const char *test = json_string_value(json_object_get(rec, "test"));
    if (!test)
        return EL_FAIL(err, EL_EFORMAT, file, -1, "a record without \"test\": not an edgelm eval/bench result");
    if (!strcmp(test, "route")) { /* two models, edge and cloud: no variant row of its own */
        r->n_records++;
        return add_route(r, rec, file, err);
    }
    variant *v = variant_of(r, rec, file, err);
    if (!v)
        return err->code;
    r->n_records++;
    if (!strcmp(test, "ppl")) {
        v->has_ppl = true;
        v->ppl = num(rec, "ppl");
        v->ppl_err = num(rec, "ppl_err");
    } else if (!strcmp(test, "kld")) {
        v->has_kld = v->has_ppl_kld = true;
        v->kld = num(rec, "kld_mean");
        v->kld_err = num(rec, "kld_err");
        v->same_top = num(rec, "same_top");
        v->ppl_kld = num(rec, "ppl");
        /* the base's perplexity, for the base's row when no ppl record of its own says it */
        const char *base = json_string_value(json_object_get(rec, "base"));
        const size_t bl = base ? strlen(base) : 0;
        bool known = false; /* a row for the base: one it has already, or a new one for a model (not a logits file) */
        for (int i = 0; i < r->n && base && !known; i++)
            known = !strcmp(r->v[i].model, base);
        if (base && (known || (bl > 5 && !strcasecmp(base + bl - 5, ".gguf"))) && json_is_number(json_object_get(rec, "ppl_base"))) {
            bool made;
            variant *b = variant_at(r, base, &made, err);
            if (!b)
                return err->code;
            if (!b->has_ppl && !b->has_ppl_kld) {
                b->has_ppl_kld = true;
                b->ppl_kld = num(rec, "ppl_base");
            }
        }
    } else if (!strcmp(test, "mc")) {
        const char *task = json_string_value(json_object_get(rec, "task"));
        int t = 0;
        while (t < r->n_tasks && strcmp(r->tasks[t], task ? task : "?"))
            t++;
        if (t == r->n_tasks) {
            if (t == MAX_TASKS)
                return EL_FAIL(err, EL_ERANGE, file, -1, "more than %d tasks", MAX_TASKS);
            copy_text(r->tasks[r->n_tasks++], sizeof r->tasks[0], task ? task : "?");
        }
        v->has_acc[t] = true;
        v->acc[t] = num(rec, "acc");
        v->acc_n[t] = (int)json_integer_value(json_object_get(rec, "n"));
        const json_t *ci = json_object_get(rec, "acc_ci95");
        v->acc_lo[t] = json_array_size(ci) == 2 ? json_number_value(json_array_get(ci, 0)) : NAN;
        v->acc_hi[t] = json_array_size(ci) == 2 ? json_number_value(json_array_get(ci, 1)) : NAN;
        return add_calibration(r, rec, v->model, t, file, err);
    } else if (json_object_get(rec, "avg_ts")) { /* bench: keep the highest thread count */
        const int th = (int)json_integer_value(json_object_get(rec, "n_threads"));
        const char *cpu = json_string_value(json_object_get(rec, "cpu_info"));
        if (cpu && !r->cpu_info[0])
            copy_text(r->cpu_info, sizeof r->cpu_info, cpu);
        else if (cpu && strcmp(r->cpu_info, cpu))
            r->cpu_mixed = true;
        const int ncpu = (int)json_integer_value(json_object_get(json_object_get(rec, "device"), "n_cpus"));
        if (ncpu > r->n_cpus)
            r->n_cpus = ncpu;
        const bool pp = json_integer_value(json_object_get(rec, "n_prompt")) > 0;
        if (pp && th >= v->pp_threads) {
            v->has_pp = true;
            v->pp_threads = th;
            v->pp_ts = num(rec, "avg_ts");
            v->pp_sd = num(rec, "stddev_ts");
            v->pp_noisy = json_is_true(json_object_get(rec, "noisy"));
            v->ttft_ms = num(rec, "ttft_ms");
        } else if (!pp && th >= v->tg_threads) {
            v->has_tg = true;
            v->tg_threads = th;
            v->tg_ts = num(rec, "avg_ts");
            v->tg_sd = num(rec, "stddev_ts");
            v->tg_noisy = json_is_true(json_object_get(rec, "noisy"));
            v->roofline = num(rec, "roofline_pct");
        }
        if (num(rec, "peak_rss_bytes") > v->peak_rss) {
            v->peak_rss = num(rec, "peak_rss_bytes");
            v->peak_kv = num(rec, "kv_bytes");
            v->kv_per_pos = num(rec, "kv_bytes_per_pos");
        }
    }
    return 0;
}

static int load_input(report *r, const char *path, el_error *err)
{
    char *text;
    uint64_t len;
    int rc = el_read_file(path, (uint64_t)1 << 30, &text, &len, err);
    if (rc)
        return rc;
    json_error_t je;
    bool oom;
    json_t *j = el_json_loadb(text, (size_t)len, 0, &je, &oom);
    if (oom) {
        free(text);
        return EL_NOMEM(err);
    }
    if (j) {
        if (json_is_array(j)) {
            for (size_t i = 0; i < json_array_size(j) && !rc; i++)
                rc = add_record(r, json_array_get(j, i), path, err);
        } else {
            rc = add_record(r, j, path, err);
        }
        json_decref(j);
    } else { /* bench -o jsonl */
        el_ds_records recs;
        rc = el_ds_records_parse(path, text, (size_t)len, EL_DS_JSONL, &recs, err);
        for (size_t i = 0; !rc && i < recs.n; i++)
            rc = add_record(r, recs.rec[i], path, err);
        el_ds_records_free(&recs); /* parse leaves it empty when it fails */
    }
    free(text);
    return rc;
}

/* ---- what the files really hold ---------------------------------------------------------------------- */

static const char *short_type(const variant *v) { return strcmp(v->type, "?") ? v->type : v->name; }

static void upper(char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++)
        dst[i] = src[i] >= 'a' && src[i] <= 'z' ? (char)(src[i] - 32) : src[i];
    dst[i] = 0;
}

/*
 * The variant's GGUF, when it is there: its type when no record said it, and the matrices whose rows
 * do not fit the blocks of the mix's base type (quant/recipe.h's fallback), with the types they got.
 * A file that cannot be read leaves the records' word.
 */
static void inspect_file(variant *v)
{
    gguf_file *g = NULL;
    el_error e;
    el_error_clear(&e);
    if (gguf_open(&g, v->model, &e))
        return;
    uint32_t ft;
    if (!strcmp(v->type, "?") && gguf_get_u32(g, "general.file_type", &ft) == 1) {
        int n;
        const el_qmix *all = el_qmix_all(&n);
        for (int i = 0; i < n; i++)
            if (all[i].ftype == ft)
                copy_text(v->type, sizeof v->type, all[i].name);
    }
    if (!(v->size > 0)) {
        double size = 0, params = 0;
        for (uint64_t i = 0; i < g->n_tensors; i++)
            size += (double)g->tensors[i].size, params += (double)g->tensors[i].n_elements;
        v->size = size;
        v->bpw = params > 0 ? size * 8 / params : 0;
    }
    const el_qmix *mix = el_qmix_find(v->type);
    int n_mat = 0, n_base = 0, n_fb = 0;
    int count[64] = {0};
    for (uint64_t i = 0; mix && i < g->n_tensors; i++) {
        const gguf_tensor *t = &g->tensors[i];
        if (!el_recipe_quantizable(t->name, t->n_dims))
            continue;
        n_mat++;
        n_base += t->type == mix->base;
        if (t->type != mix->base && el_recipe_fallback(mix->base, t->ne[0]) != mix->base) {
            n_fb++;
            if (t->type < 64)
                count[t->type]++;
        }
    }
    if (n_fb > 0) {
        char list[96] = "", name[24];
        size_t at = 0;
        for (;;) { /* the types they got, most tensors first */
            uint32_t k = 0;
            for (uint32_t c = 1; c < 64; c++)
                k = count[c] > count[k] ? c : k;
            if (!count[k] || at + sizeof name + 2 >= sizeof list)
                break;
            count[k] = 0;
            upper(name, sizeof name, el_type_name(k));
            at += (size_t)snprintf(list + at, sizeof list - at, "%s%s", at ? "/" : "", name);
        }
        v->fell_back = true;
        if (n_base == 0)
            snprintf(v->fallback_note, sizeof v->fallback_note, "all tensors fell back to %s", list);
        else
            snprintf(v->fallback_note, sizeof v->fallback_note, "%d of %d tensors fell back to %s", n_fb, n_mat, list);
    }
    gguf_close(g);
}

/* The fingerprint of a variant's tensors: names, types, shapes and data, in the file's order. */
static void hash_tensors(variant *v)
{
    gguf_file *g = NULL;
    el_error e;
    el_error_clear(&e);
    if (gguf_open(&g, v->model, &e))
        return;
    el_sha256 h;
    el_sha256_init(&h);
    bool ok = true;
    for (uint64_t i = 0; i < g->n_tensors && ok; i++) {
        const gguf_tensor *t = &g->tensors[i];
        ok = t->data != NULL;
        el_sha256_update(&h, t->name, strlen(t->name) + 1);
        el_sha256_update(&h, &t->type, sizeof t->type);
        el_sha256_update(&h, t->ne, sizeof t->ne);
        if (ok)
            el_sha256_update(&h, t->data, (size_t)t->size);
    }
    el_sha256_final(&h, v->tensors_sha);
    v->has_hash = ok;
    gguf_close(g);
}

/* Variants of the same size are fingerprinted, and those with the same tensors point at each other. */
static void find_identical(report *r)
{
    for (int i = 0; i < r->n; i++)
        for (int j = 0; j < r->n; j++)
            if (j != i && r->v[i].size > 0 && r->v[i].size == r->v[j].size && !r->v[i].has_hash)
                hash_tensors(&r->v[i]);
    for (int i = 0; i < r->n; i++)
        for (int j = 0; j < r->n && r->v[i].same_as < 0; j++)
            if (j != i && r->v[i].has_hash && r->v[j].has_hash && !memcmp(r->v[i].tensors_sha, r->v[j].tensors_sha, 32))
                r->v[i].same_as = j;
}

static int by_size_desc(const void *a, const void *b)
{
    const variant *x = a, *y = b;
    return (x->size < y->size) - (x->size > y->size);
}

/* Pareto front of (size, kld): no other variant is at most as large and at most as far, and better
 * in one of them. */
static bool on_front(const report *r, int i)
{
    const variant *a = &r->v[i];
    if (!a->has_kld)
        return false;
    for (int j = 0; j < r->n; j++) {
        const variant *b = &r->v[j];
        if (j != i && b->has_kld && b->size <= a->size && b->kld <= a->kld && (b->size < a->size || b->kld < a->kld))
            return false;
    }
    return true;
}

/* ---- SVG ------------------------------------------------------------------------------------------- */

static void svg_text(FILE *f, double x, double y, const char *anchor, int size, const char *fill, const char *s)
{
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\" fill=\"%s\">", x, y, anchor, size, fill);
    put_text(f, s, TEXT_XML);
    fputs("</text>\n", f);
}

/* A "nice" tick step for a range (1, 2 or 5 times a power of ten). */
static double tick_step(double range, int want)
{
    const double raw = range / want, p = pow(10, floor(log10(raw))), m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

static const char *svg_head =
    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" height=\"440\" viewBox=\"0 0 720 440\" "
    "font-family=\"Helvetica, Arial, sans-serif\">\n<rect width=\"720\" height=\"440\" fill=\"white\"/>\n";

/* ---- layout of size_kld.svg ------------------------------------------------------------------------ */

double el_report_text_width(const char *s, double px)
{
    /* Helvetica's advance widths (per 1000 em) for ' ' .. '~' */
    static const short w[95] = {278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556,
                                556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667,
                                667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722,
                                667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500,
                                556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278,
                                556, 500, 722, 500, 500, 500, 334, 260, 334, 584};
    const unsigned char *u = (const unsigned char *)s;
    const size_t n = strlen(s);
    double em = 0;
    for (size_t i = 0; i < n;) {
        const size_t l = el_utf8_len(u + i, n - i);
        em += l == 1 && u[i] >= 32 && u[i] < 127 ? w[u[i] - 32] : 1000;
        i += l ? l : 1;
    }
    /* 12% more: where neither Helvetica nor Arial is installed, renderers use wider fonts (DejaVu Sans) */
    return em * px / 1000.0 * 1.12;
}

void el_report_axes_of(const el_report_pt *p, int n, el_report_axes *a)
{
    double xmin = INFINITY, xmax = 0, ymin = INFINITY, ymax = 0;
    for (int i = 0; i < n; i++) {
        xmin = fmin(xmin, p[i].mib);
        xmax = fmax(xmax, p[i].mib);
        ymax = fmax(ymax, p[i].kld);
        if (p[i].kld > 0)
            ymin = fmin(ymin, p[i].kld);
    }
    a->L = 80, a->R = 690, a->T = 66, a->B = 380;
    a->logy = isfinite(ymin) && ymax / ymin > 20;
    a->y0 = a->logy ? floor(log10(ymin)) : 0;
    a->y1 = a->logy ? ceil(log10(ymax)) : (ymax > 0 ? ymax * 1.1 : 1);
    a->x0 = 0, a->x1 = xmax > 0 ? xmax * 1.08 : 1;
    if (xmin > 0.3 * xmax && xmax > xmin) { /* the sizes sit far from 0: start the axis at a tick below the smallest */
        const double st = tick_step(xmax - xmin > 0 ? (xmax - xmin) * 1.3 : xmax, 6);
        a->x0 = floor((xmin - (xmax - xmin) * 0.1) / st) * st;
        a->x1 = xmax + (xmax - a->x0) * 0.08;
    }
}

double el_report_px(const el_report_axes *a, double x) { return a->L + (x - a->x0) / (a->x1 - a->x0) * (a->R - a->L); }

double el_report_py(const el_report_axes *a, double y)
{
    return a->logy ? a->B - (log10(fmax(y, pow(10, a->y0))) - a->y0) / (a->y1 - a->y0) * (a->B - a->T)
                   : a->B - y / a->y1 * (a->B - a->T);
}

static bool boxes_meet(const el_report_box *a, double x, double y, double w, double h)
{
    return a->w > 0 && x < a->x + a->w && a->x < x + w && y < a->y + a->h && a->y < y + h;
}

/* Whether a label box at (x, y) fits the frame and misses the boxes placed so far (and, with circles,
 * every point's circle). */
static bool free_at(const el_report_axes *a, const el_report_pt *p, int n, const el_report_box *box, int placed,
                    double x, double y, double w, double h, bool circles)
{
    if (x < a->L + 2 || x + w > a->R - 2 || y < a->T + 2 || y + h > a->B - 2)
        return false;
    for (int b = 0; b < placed; b++) /* with a gap, so that two labels never read as one */
        if (boxes_meet(&box[b], x - 4, y - 1, w + 8, h + 2))
            return false;
    for (int i = 0; circles && i < n; i++) {
        const el_report_box c = {el_report_px(a, p[i].mib) - 7, el_report_py(a, p[i].kld) - 7, 14, 14};
        if (boxes_meet(&c, x, y, w, h))
            return false;
    }
    return true;
}

int el_report_place_labels(const el_report_axes *a, const el_report_pt *p, int n, el_report_box *box)
{
    int lost = 0;
    for (int i = 0; i < n; i++)
        box[i] = (el_report_box){0, 0, 0, 0};
    for (int i = 0; i < n; i++) {
        if (!p[i].label)
            continue;
        const double x = el_report_px(a, p[i].mib), y = el_report_py(a, p[i].kld);
        const double w = el_report_text_width(p[i].label, 12) + 2, h = 14;
        /* beside the point: right, left, then above and below each; then the free place nearest to it,
         * first clear of every circle, then of the other labels only */
        static const double off[6][2] = {{9, -7}, {-9, -7}, {9, -17}, {-9, -17}, {9, 3}, {-9, 3}};
        bool done = false;
        for (int k = 0; k < 6 && !done; k++) {
            const double bx = off[k][0] > 0 ? x + off[k][0] : x + off[k][0] - w, by = y + off[k][1];
            if (free_at(a, p, n, box, i, bx, by, w, h, true)) {
                box[i] = (el_report_box){bx, by, w, h};
                done = true;
            }
        }
        for (int pass = 0; pass < 2 && !done; pass++) {
            double best = INFINITY, bx = 0, by = 0;
            for (double gy = a->T + 2; gy + h <= a->B - 2; gy += 3)
                for (double gx = a->L + 2; gx + w <= a->R - 2; gx += 3) {
                    const double dx = fmax(fmax(gx - x, x - (gx + w)), 0), dy = fmax(fmax(gy - y, y - (gy + h)), 0);
                    const double d = dx * dx + dy * dy;
                    if (d < best && free_at(a, p, n, box, i, gx, gy, w, h, pass == 0))
                        best = d, bx = gx, by = gy;
                }
            if (isfinite(best)) {
                box[i] = (el_report_box){bx, by, w, h};
                done = true;
            }
        }
        lost += !done;
    }
    return lost;
}

/* A point's name in size_kld.svg: its type, or its file name where another variant elsewhere has that type. */
static const char *point_name(const report *r, int i)
{
    const variant *v = &r->v[i];
    for (int j = 0; j < r->n; j++)
        if (j != i && r->v[j].has_kld && !(r->v[j].size == v->size && r->v[j].kld == v->kld) &&
            !strcmp(short_type(&r->v[j]), short_type(v)))
            return v->name;
    return short_type(v);
}

static char *chart_size_kld(const report *r, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f)
        return NULL;
    el_report_pt *pt = calloc((size_t)r->n + 1, sizeof *pt);
    el_report_box *box = calloc((size_t)r->n + 1, sizeof *box);
    char (*labs)[300] = calloc((size_t)r->n + 1, sizeof *labs);
    if (!pt || !box || !labs) {
        free(pt), free(box), free(labs);
        fclose(f);
        free(buf);
        return NULL;
    }
    int np = 0;
    int *idx = calloc((size_t)r->n + 1, sizeof *idx);
    if (!idx) {
        free(pt), free(box), free(labs);
        fclose(f);
        free(buf);
        return NULL;
    }
    for (int i = 0; i < r->n; i++) {
        const variant *v = &r->v[i];
        if (!v->has_kld)
            continue;
        /* variants at the same spot share one label ("Q8_0, Q6_K*") */
        bool first = true;
        for (int j = 0; j < i && first; j++)
            first = !(r->v[j].has_kld && r->v[j].size == v->size && r->v[j].kld == v->kld);
        size_t n = 0;
        labs[np][0] = 0;
        for (int j = i; first && j < r->n && n < sizeof labs[0] - 80; j++)
            if (r->v[j].has_kld && r->v[j].size == v->size && r->v[j].kld == v->kld)
                n += (size_t)snprintf(labs[np] + n, sizeof labs[0] - n, "%s%s%s", n ? ", " : "", point_name(r, j),
                                      r->v[j].fell_back ? "*" : "");
        pt[np] = (el_report_pt){v->size / 1048576.0, v->kld, first ? labs[np] : NULL};
        idx[np++] = i;
    }
    el_report_axes ax;
    el_report_axes_of(pt, np, &ax);
    el_report_place_labels(&ax, pt, np, box);
    const double L = ax.L, R = ax.R, T = ax.T, B = ax.B, x0 = ax.x0, x1 = ax.x1, y0 = ax.y0, y1 = ax.y1;
    const bool logy = ax.logy;
#define PX(x) el_report_px(&ax, (x))
#define PY(y) el_report_py(&ax, (y))
    fputs(svg_head, f);
    svg_text(f, 360, 28, "middle", 18, "#222", "Model size vs KL divergence from the base (lower left is better)");
    fprintf(f, "<g stroke=\"#ddd\" stroke-width=\"1\">\n");
    const double xs = tick_step(x1 - x0, 6);
    for (double x = ceil(x0 / xs - 1e-9) * xs; x <= x1 + 1e-9; x += xs)
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", PX(x), T, PX(x), B);
    if (logy) {
        for (double e = y0; e <= y1 + 1e-9; e += 1)
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", L, PY(pow(10, e)), R, PY(pow(10, e)));
    } else {
        for (double y = 0; y <= y1 + 1e-12; y += tick_step(y1, 5))
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", L, PY(y), R, PY(y));
    }
    fprintf(f, "</g>\n<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#444\"/>\n", L, T,
            R - L, B - T);
    char lab[300];
    for (double x = ceil(x0 / xs - 1e-9) * xs; x <= x1 + 1e-9; x += xs) {
        snprintf(lab, sizeof lab, "%g", fabs(x) < xs * 1e-6 ? 0 : x);
        svg_text(f, PX(x), B + 18, "middle", 12, "#444", lab);
    }
    if (logy) {
        for (double e = y0; e <= y1 + 1e-9; e += 1) {
            snprintf(lab, sizeof lab, "%g", pow(10, e));
            svg_text(f, L - 6, PY(pow(10, e)) + 4, "end", 12, "#444", lab);
        }
    } else {
        for (double y = 0; y <= y1 + 1e-12; y += tick_step(y1, 5)) {
            snprintf(lab, sizeof lab, "%g", y);
            svg_text(f, L - 6, PY(y) + 4, "end", 12, "#444", lab);
        }
    }
    svg_text(f, (L + R) / 2, B + 40, "middle", 13, "#222", "model size (MiB)");
    fprintf(f, "<text x=\"20\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"13\" fill=\"#222\" transform=\"rotate(-90 20 %.1f)\">"
               "mean KL divergence%s</text>\n", (T + B) / 2, (T + B) / 2, logy ? " (log scale)" : "");
    /* the front: variants on it, by size, joined */
    fprintf(f, "<polyline fill=\"none\" stroke=\"#d62728\" stroke-width=\"2\" stroke-dasharray=\"6 4\" points=\"");
    for (int i = r->n - 1; i >= 0; i--) /* sorted by size, largest first */
        if (on_front(r, i))
            fprintf(f, "%.1f,%.1f ", PX(r->v[i].size / 1048576.0), PY(r->v[i].kld));
    fprintf(f, "\"/>\n");
    /* points, each with its label (placed by el_report_place_labels), then the legend: only the classes
     * that have a member, and the front's only when some variant is dominated */
    int n_front = 0, n_dom = 0;
    for (int k = 0; k < np; k++) {
        const int i = idx[k];
        const double x = PX(pt[k].mib), y = PY(pt[k].kld);
        const bool front = on_front(r, i);
        n_front += front, n_dom += !front;
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"6\" fill=\"%s\" stroke=\"#222\"/>\n", x, y, front ? "#d62728" : "#9e9e9e");
        const el_report_box *b = &box[k];
        if (!(b->w > 0))
            continue;
        const double cx = fmax(b->x, fmin(x, b->x + b->w)), cy = fmax(b->y, fmin(y, b->y + b->h));
        if (hypot(cx - x, cy - y) > 14) /* away from its point: a leader line */
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\" stroke-width=\"1\"/>\n", x, y, cx, cy);
        svg_text(f, b->x + 1, b->y + 11, "start", 12, "#222", pt[k].label);
    }
    const double lx = L + 6, ly = T - 18;
    if (n_dom > 0) {
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"6\" fill=\"#d62728\" stroke=\"#222\"/>\n", lx, ly);
        svg_text(f, lx + 10, ly + 4, "start", 12, "#222", "on the Pareto front (no other variant is smaller and closer)");
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"6\" fill=\"#9e9e9e\" stroke=\"#222\"/>\n", lx + 380, ly);
        svg_text(f, lx + 390, ly + 4, "start", 12, "#222", "dominated");
    } else if (n_front > 0) {
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"6\" fill=\"#d62728\" stroke=\"#222\"/>\n", lx, ly);
        svg_text(f, lx + 10, ly + 4, "start", 12, "#222", "every variant is on the Pareto front: none is both larger and farther");
    }
    free(pt), free(box), free(labs), free(idx);
    fputs("</svg>\n", f);
#undef PX
#undef PY
    if (fclose(f))
        return NULL;
    return buf;
}

/* lab cut (at a character boundary, with an ellipsis) to at most max_w px at font size px. */
static void fit_text(char *lab, size_t cap, double px, double max_w)
{
    if (el_report_text_width(lab, px) <= max_w)
        return;
    static const char ell[] = "…";
    char tmp[600] = "";
    for (size_t n = EL_MIN(strlen(lab), sizeof tmp - sizeof ell); n > 0;) {
        n--;
        while (n > 0 && ((unsigned char)lab[n] & 0xc0) == 0x80) /* back to a character's first byte */
            n--;
        memcpy(tmp, lab, n); /* n + sizeof ell <= sizeof tmp: the prefix, the ellipsis and its NUL fit */
        memcpy(tmp + n, ell, sizeof ell);
        if (el_report_text_width(tmp, px) <= max_w)
            break;
    }
    snprintf(lab, cap, "%s", tmp);
}

/* The decode chart's bar label: the type (cut to fit left of the bars), "*" when it fell back. */
static void bar_label(const variant *v, char *lab, size_t cap, double max_w)
{
    snprintf(lab, cap, "%s%s", short_type(v), v->fell_back ? "*" : "");
    fit_text(lab, cap, 13, max_w);
}

static char *chart_decode(const report *r, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f)
        return NULL;
    int n = 0;
    double mx = 0;
    for (int i = 0; i < r->n; i++)
        if (r->v[i].has_tg) {
            n++;
            mx = fmax(mx, r->v[i].tg_ts + fmax(r->v[i].tg_sd, 0));
        }
    const double L = 170, R = 640, T = 56, bar = 26, gap = 12, H = T + n * (bar + gap) + 50, W = 720;
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" height=\"%.0f\" viewBox=\"0 0 720 %.0f\" "
            "font-family=\"Helvetica, Arial, sans-serif\">\n<rect width=\"720\" height=\"%.0f\" fill=\"white\"/>\n",
            H, H, H);
    svg_text(f, 360, 28, "middle", 18, "#222", "Decode speed per variant (tokens/s ± one sd, higher is better)");
    char lab[300];
    /* the scale: every bar, its error bar and its value label inside the frame */
    double x1 = mx > 0 ? mx * 1.1 : 1;
    for (int it = 0; it < 200; it++) {
        bool fits = true;
        for (int i = 0; i < r->n && fits; i++) {
            const variant *v = &r->v[i];
            if (!v->has_tg)
                continue;
            snprintf(lab, sizeof lab, v->tg_sd > 0 ? "%.1f ± %.1f" : "%.1f", v->tg_ts, v->tg_sd);
            fits = L + (v->tg_ts + fmax(v->tg_sd, 0)) / x1 * (R - L) + 6 + el_report_text_width(lab, 12) <= W - 4;
        }
        if (fits)
            break;
        x1 *= 1.05;
    }
    const double st = tick_step(x1, 5);
    for (double x = 0; x <= x1 + 1e-9; x += st) {
        const double px = L + x / x1 * (R - L);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", px, T - 6, px, H - 40);
        snprintf(lab, sizeof lab, "%g", x);
        svg_text(f, px, H - 24, "middle", 12, "#444", lab);
    }
    int k = 0;
    for (int i = 0; i < r->n; i++) {
        const variant *v = &r->v[i];
        if (!v->has_tg)
            continue;
        const double y = T + k++ * (bar + gap), w = v->tg_ts / x1 * (R - L);
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#1f77b4\"/>\n", L, y, w, bar);
        double end = L + w;
        if (v->tg_sd > 0) { /* the error bar: mean ± one standard deviation, with caps */
            const double lo = L + fmax(v->tg_ts - v->tg_sd, 0) / x1 * (R - L), hi = L + (v->tg_ts + v->tg_sd) / x1 * (R - L);
            const double cy = y + bar / 2;
            fprintf(f, "<g stroke=\"#222\" stroke-width=\"1.5\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                       "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/></g>\n",
                    lo, cy, hi, cy, lo, cy - 6, lo, cy + 6, hi, cy - 6, hi, cy + 6);
            end = fmax(end, hi);
        }
        bar_label(v, lab, sizeof lab, L - 14);
        svg_text(f, L - 8, y + bar / 2 + 4, "end", 13, "#222", lab);
        snprintf(lab, sizeof lab, v->tg_sd > 0 ? "%.1f ± %.1f" : "%.1f", v->tg_ts, v->tg_sd);
        svg_text(f, end + 6, y + bar / 2 + 4, "start", 12, "#222", lab);
    }
    snprintf(lab, sizeof lab, "tokens/s (tg, %d threads)", r->threads_hi);
    svg_text(f, (L + R) / 2, H - 6, "middle", 13, "#222", lab);
    fputs("</svg>\n", f);
    if (fclose(f))
        return NULL;
    return buf;
}

/* ---- calibration and routing charts ------------------------------------------------------------------ */

enum { MAX_SERIES = 6, MAX_VERTICES = 500 };

static const char *const series_colour[MAX_SERIES] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};

int el_report_route_front(const double *routed, const double *acc, int n, bool *front)
{
    int n_front = 0;
    double best = -INFINITY; /* the best accuracy of the points routing less than the current group */
    for (int i = 0; i < n;) {
        if (i > 0 && !(routed[i] >= routed[i - 1]))
            return -1;
        int j = i;
        double group = -INFINITY; /* the points routing exactly this share */
        for (; j < n && routed[j] == routed[i]; j++)
            group = fmax(group, acc[j]);
        for (int k = i; k < j; k++) {
            front[k] = acc[k] > best && acc[k] >= group;
            n_front += front[k];
        }
        best = fmax(best, group);
        i = j;
    }
    return n_front;
}

/* The k-th of at most MAX_VERTICES indices spread over 0..n-1, the first and the last among them. */
static size_t thin_at(size_t k, size_t n)
{
    if (n <= MAX_VERTICES)
        return k;
    return (size_t)llround((double)k * (double)(n - 1) / (MAX_VERTICES - 1));
}

static size_t thin_count(size_t n) { return n <= MAX_VERTICES ? n : MAX_VERTICES; }

typedef struct unit_plot {
    double L, R, T, B, y0, y1, H;
} unit_plot;

static double ux(const unit_plot *p, double x) { return p->L + x * (p->R - p->L); }
static double uy(const unit_plot *p, double y) { return p->B - (y - p->y0) / (p->y1 - p->y0) * (p->B - p->T); }

/* A y range for accuracies in lo..hi: tenths around them, inside 0..1. */
static void acc_range(unit_plot *p, double lo, double hi)
{
    if (!(lo <= hi))
        lo = 0, hi = 1;
    p->y0 = fmax(0, floor((lo - 0.02) * 10) / 10);
    p->y1 = fmin(1, ceil((hi + 0.02) * 10) / 10);
    if (p->y1 - p->y0 < 0.1)
        p->y0 = fmax(0, p->y1 - 0.1), p->y1 = p->y0 + 0.1;
}

/*
 * The frame of a chart with x 0..1: its head (the height grown for n_legend rows of legend below the
 * plot), title, grid, ticks and axis names.
 */
static void unit_frame(FILE *f, unit_plot *p, int n_legend, const char *title, const char *xname, const char *yname)
{
    p->L = 80, p->R = 690, p->T = 56, p->B = 370;
    p->H = p->B + 56 + n_legend * 18 + 8;
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" height=\"%.0f\" viewBox=\"0 0 720 %.0f\" "
            "font-family=\"Helvetica, Arial, sans-serif\">\n<rect width=\"720\" height=\"%.0f\" fill=\"white\"/>\n",
            p->H, p->H, p->H);
    svg_text(f, 360, 28, "middle", 18, "#222", title);
    const double ys = tick_step(p->y1 - p->y0, 5);
    char lab[32];
    fprintf(f, "<g stroke=\"#ddd\" stroke-width=\"1\">\n");
    for (int k = 0; k <= 10; k++)
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", ux(p, k / 10.0), p->T, ux(p, k / 10.0), p->B);
    for (double y = ceil(p->y0 / ys - 1e-9) * ys; y <= p->y1 + 1e-9; y += ys)
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", p->L, uy(p, y), p->R, uy(p, y));
    fprintf(f, "</g>\n<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#444\"/>\n", p->L,
            p->T, p->R - p->L, p->B - p->T);
    for (int k = 0; k <= 10; k += 2) {
        snprintf(lab, sizeof lab, "%g", k / 10.0);
        svg_text(f, ux(p, k / 10.0), p->B + 18, "middle", 12, "#444", lab);
    }
    for (double y = ceil(p->y0 / ys - 1e-9) * ys; y <= p->y1 + 1e-9; y += ys) {
        snprintf(lab, sizeof lab, "%g", fabs(y) < 1e-9 ? 0 : y);
        svg_text(f, p->L - 6, uy(p, y) + 4, "end", 12, "#444", lab);
    }
    svg_text(f, (p->L + p->R) / 2, p->B + 40, "middle", 13, "#222", xname);
    fprintf(f, "<text x=\"20\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"13\" fill=\"#222\" transform=\"rotate(-90 20 %.1f)\">",
            (p->T + p->B) / 2, (p->T + p->B) / 2);
    put_text(f, yname, TEXT_XML);
    fputs("</text>\n", f);
}

/* Legend row `row` below the plot: a swatch (a bar, or a line with dasharray `dash`) and its text. */
static void legend_row(FILE *f, const unit_plot *p, int row, const char *colour, const char *dash, const char *text)
{
    const double y = p->B + 62 + row * 18;
    if (!colour)
        ;
    else if (dash)
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"%s%s%s/>\n", p->L,
                y - 4, p->L + 24, y - 4, colour, *dash ? " stroke-dasharray=\"" : "", dash, *dash ? "\"" : "");
    else
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"24\" height=\"10\" fill=\"%s\"/>\n", p->L, y - 9, colour);
    char lab[600];
    copy_text(lab, sizeof lab, text); /* cut between characters; then to the width */
    fit_text(lab, sizeof lab, 12, p->R - p->L - 32);
    svg_text(f, p->L + 32, y, "start", 12, "#222", lab);
}

/* The name of a calibration series: its variant's name and the task. */
static void cal_name(const report *r, const cal_series *c, char *out, size_t cap)
{
    snprintf(out, cap, "%s, %s", c->order >= 0 ? r->v[c->order].name : el_basename(c->model), c->task);
}

static char *chart_reliability(const report *r, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f)
        return NULL;
    const int ns = EL_MIN(r->n_cal, MAX_SERIES);
    unit_plot p;
    acc_range(&p, 0, 1);
    unit_frame(f, &p, ns + 1 + (r->n_cal > ns), "Reliability: accuracy vs confidence (on the diagonal is calibrated)",
               "confidence (the probability of the answer chosen)", "accuracy");
    char lab[600], name[400];
    for (int s = 0; s < ns; s++) { /* in each bin the series side by side */
        const cal_series *c = &r->cal[s];
        cal_name(r, c, name, sizeof name);
        fprintf(f, "<g fill=\"%s\" fill-opacity=\"0.85\">\n", series_colour[s]);
        for (size_t i = 0; i < c->n_bin; i++) {
            const rel_bin *b = &c->bin[i];
            if (b->n <= 0)
                continue;
            const double x0 = ux(&p, b->lo), w = (ux(&p, b->hi) - x0) * 0.84 / ns;
            const double x = x0 + (ux(&p, b->hi) - x0) * 0.08 + s * w, y = uy(&p, b->acc);
            fprintf(f, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\">", x, y, w, p.B - y);
            snprintf(lab, sizeof lab, "%s: confidence %.3f–%.3f, n %lld, mean confidence %.3f, accuracy %.3f", name, b->lo,
                     b->hi, b->n, b->conf, b->acc);
            fputs("<title>", f);
            put_text(f, lab, TEXT_XML);
            fputs("</title></rect>\n", f);
        }
        fputs("</g>\n", f);
    }
    /* the diagonal over the bars */
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>\n",
            ux(&p, 0), uy(&p, 0), ux(&p, 1), uy(&p, 1));
    legend_row(f, &p, 0, "#444", "6 4", "perfect calibration: accuracy equals confidence");
    for (int s = 0; s < ns; s++) {
        const cal_series *c = &r->cal[s];
        cal_name(r, c, name, sizeof name);
        snprintf(lab, sizeof lab, "%s (ECE %.4f, n %lld)", name, c->chart_ece, c->n >= 0 ? c->n : 0);
        if (c->n < 0)
            snprintf(lab, sizeof lab, "%s (ECE %.4f)", name, c->chart_ece);
        legend_row(f, &p, 1 + s, series_colour[s], NULL, lab);
    }
    if (r->n_cal > ns) {
        snprintf(lab, sizeof lab, "and %d more series, not drawn (the first %d are): see report.md", r->n_cal - ns, ns);
        legend_row(f, &p, 1 + ns, NULL, NULL, lab);
    }
    fputs("</svg>\n", f);
    if (fclose(f))
        return NULL;
    return buf;
}

static char *chart_risk_coverage(const report *r, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f)
        return NULL;
    const int ns = EL_MIN(r->n_cal, MAX_SERIES);
    double lo = INFINITY, hi = -INFINITY;
    for (int s = 0; s < ns; s++)
        for (size_t i = 0; i < r->cal[s].n_rc; i++)
            lo = fmin(lo, r->cal[s].rc[i].acc), hi = fmax(hi, r->cal[s].rc[i].acc);
    unit_plot p;
    acc_range(&p, lo, hi);
    p.y1 = 1; /* answering fewer questions can reach 1 */
    unit_frame(f, &p, ns + (r->n_cal > ns),
               "Accuracy vs coverage (answering only the most confident questions)",
               "coverage (share of the questions answered, the most confident first)", "accuracy of those answered");
    char lab[600], name[400];
    for (int s = 0; s < ns; s++) {
        const cal_series *c = &r->cal[s];
        fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" stroke-linejoin=\"round\" points=\"", series_colour[s]);
        for (size_t k = 0; k < thin_count(c->n_rc); k++) {
            const rc_pt *q = &c->rc[thin_at(k, c->n_rc)];
            fprintf(f, "%s%.1f,%.1f", k ? " " : "", ux(&p, q->coverage), uy(&p, q->acc));
        }
        fputs("\"/>\n", f);
        if (c->n_rc > 0) { /* the end: every question answered */
            const rc_pt *q = &c->rc[c->n_rc - 1];
            fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>\n", ux(&p, q->coverage), uy(&p, q->acc),
                    series_colour[s]);
        }
    }
    for (int s = 0; s < ns; s++) {
        const cal_series *c = &r->cal[s];
        cal_name(r, c, name, sizeof name);
        snprintf(lab, sizeof lab, "%s (AURC %.4f, %zu points)", name, c->chart_aurc, c->n_rc);
        legend_row(f, &p, s, series_colour[s], "", lab);
    }
    if (r->n_cal > ns) {
        snprintf(lab, sizeof lab, "and %d more series, not drawn (the first %d are): see report.md", r->n_cal - ns, ns);
        legend_row(f, &p, ns, NULL, NULL, lab);
    }
    fputs("</svg>\n", f);
    if (fclose(f))
        return NULL;
    return buf;
}

/* A route record's name: its models' file names, the task and the signal. */
static void route_name(const route_rec *q, char *out, size_t cap)
{
    snprintf(out, cap, "%s → %s (%s, %s)", el_basename(q->edge), el_basename(q->cloud), q->task, q->signal);
}

/* The Pareto front of route record q's sweep into front (q->n_pt of them); false on OOM. */
static bool route_front(const route_rec *q, bool *front)
{
    double *x = calloc(q->n_pt + 1, sizeof *x), *y = calloc(q->n_pt + 1, sizeof *y);
    const bool ok = x && y && q->n_pt <= INT32_MAX;
    for (size_t i = 0; ok && i < q->n_pt; i++)
        x[i] = q->pt[i].routed, y[i] = q->pt[i].hybrid_acc;
    if (ok) /* routed is ascending (add_route) */
        el_report_route_front(x, y, (int)q->n_pt, front);
    free(x), free(y);
    return ok;
}

static char *chart_route(const report *r, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f)
        return NULL;
    const int ns = EL_MIN(r->n_route, MAX_SERIES);
    double lo = INFINITY, hi = -INFINITY;
    for (int s = 0; s < ns; s++) {
        const route_rec *q = &r->route[s];
        lo = fmin(lo, q->edge_acc), hi = fmax(hi, q->edge_acc);
        if (isfinite(q->cloud_acc))
            lo = fmin(lo, q->cloud_acc), hi = fmax(hi, q->cloud_acc);
        for (size_t i = 0; i < q->n_pt; i++) {
            lo = fmin(lo, q->pt[i].hybrid_acc), hi = fmax(hi, q->pt[i].hybrid_acc);
            if (isfinite(q->pt[i].oracle_acc))
                lo = fmin(lo, q->pt[i].oracle_acc), hi = fmax(hi, q->pt[i].oracle_acc);
        }
    }
    unit_plot p;
    acc_range(&p, lo, hi);
    unit_frame(f, &p, ns + 2 + (r->n_route > ns), "Routing: accuracy vs share of questions sent to the cloud model",
               "share of the questions routed to the cloud model", "accuracy");
    char lab[2400], name[2300];
    int ok = 1;
    for (int s = 0; s < ns && ok; s++) {
        const route_rec *q = &r->route[s];
        const char *col = series_colour[s];
        /* the models alone: dotted (edge) and dash-dot (cloud) across the plot */
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1.5\" stroke-dasharray=\"2 3\"/>\n",
                p.L, uy(&p, q->edge_acc), p.R, uy(&p, q->edge_acc), col);
        if (isfinite(q->cloud_acc))
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1.5\" "
                       "stroke-dasharray=\"9 3 2 3\"/>\n", p.L, uy(&p, q->cloud_acc), p.R, uy(&p, q->cloud_acc), col);
        /* the oracle router: dashed, through the points that have it */
        size_t n_or = 0;
        for (size_t i = 0; i < q->n_pt; i++)
            n_or += isfinite(q->pt[i].oracle_acc);
        if (n_or > 0) {
            fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\" points=\"", col);
            for (size_t i = 0, m = 0, k = 0; i < q->n_pt; i++) {
                if (!isfinite(q->pt[i].oracle_acc))
                    continue;
                if (m++ == thin_at(k, n_or)) {
                    fprintf(f, "%s%.1f,%.1f", k ? " " : "", ux(&p, q->pt[i].routed), uy(&p, q->pt[i].oracle_acc));
                    k++;
                }
            }
            fputs("\"/>\n", f);
        }
        /* the hybrid: a line through the sweep, a point at each (thinned) step, the front's points larger */
        fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" stroke-linejoin=\"round\" points=\"", col);
        for (size_t k = 0; k < thin_count(q->n_pt); k++) {
            const route_pt *o = &q->pt[thin_at(k, q->n_pt)];
            fprintf(f, "%s%.1f,%.1f", k ? " " : "", ux(&p, o->routed), uy(&p, o->hybrid_acc));
        }
        fputs("\"/>\n", f);
        bool *front = calloc(q->n_pt + 1, sizeof *front);
        if (!front || !route_front(q, front)) {
            free(front);
            ok = 0;
            break;
        }
        for (size_t i = 0, k = 0; i < q->n_pt; i++) {
            const route_pt *o = &q->pt[i];
            const bool thin = k < thin_count(q->n_pt) && thin_at(k, q->n_pt) == i;
            k += thin;
            if (!thin && !front[i])
                continue;
            if (front[i])
                fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\" fill=\"%s\" stroke=\"#222\">", ux(&p, o->routed),
                        uy(&p, o->hybrid_acc), col);
            else
                fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"white\" stroke=\"%s\">", ux(&p, o->routed),
                        uy(&p, o->hybrid_acc), col);
            snprintf(lab, sizeof lab, "routed %.4f (%lld), threshold %.6g, hybrid accuracy %.4f%s", o->routed, o->n_routed,
                     o->threshold, o->hybrid_acc, front[i] ? ", on the Pareto front" : "");
            fputs("<title>", f);
            put_text(f, lab, TEXT_XML);
            fputs("</title></circle>\n", f);
        }
        free(front);
    }
    for (int s = 0; s < ns; s++) {
        const route_rec *q = &r->route[s];
        route_name(q, name, sizeof name);
        if (isfinite(q->cloud_acc))
            snprintf(lab, sizeof lab, "%s: edge alone %.4f, cloud alone %.4f", name, q->edge_acc, q->cloud_acc);
        else
            snprintf(lab, sizeof lab, "%s: edge alone %.4f", name, q->edge_acc);
        legend_row(f, &p, s, series_colour[s], "", lab);
    }
    /* the key to the line styles, on one row, then the front's marker */
    static const struct {
        const char *dash, *text;
    } key[4] = {{"", "hybrid, a point per threshold"}, {"6 4", "oracle router"}, {"2 3", "edge model alone"},
                {"9 3 2 3", "cloud model alone"}};
    double kx = p.L;
    const double ky = p.B + 62 + ns * 18;
    for (int k = 0; k < 4; k++) {
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444\" stroke-width=\"2\"%s%s%s/>\n", kx,
                ky - 4, kx + 24, ky - 4, *key[k].dash ? " stroke-dasharray=\"" : "", key[k].dash, *key[k].dash ? "\"" : "");
        svg_text(f, kx + 30, ky, "start", 12, "#222", key[k].text);
        kx += 30 + el_report_text_width(key[k].text, 12) + 12;
    }
    fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\" fill=\"#444\" stroke=\"#222\"/>\n", p.L + 12, ky + 14);
    svg_text(f, p.L + 32, ky + 18, "start", 12, "#222", "on the Pareto front: more accurate than every point that routes less");
    if (r->n_route > ns) {
        snprintf(lab, sizeof lab, "and %d more route records, not drawn (the first %d are): see report.md", r->n_route - ns, ns);
        legend_row(f, &p, ns + 2, NULL, NULL, lab);
    }
    fputs("</svg>\n", f);
    if (fclose(f) || !ok) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* ---- markdown -------------------------------------------------------------------------------------- */

static void cell(FILE *f, bool has, int prec, double v, const char *suffix)
{
    if (has)
        fprintf(f, " | %.*f%s", prec, v, suffix);
    else
        fputs(" | –", f);
}

/* The memory a variant needs on the device (el_report_device); 0 when bench did not measure it. */
static double need_on(const variant *v, const el_report_device *dev)
{
    if (!(v->peak_rss > 0) || !(v->kv_per_pos > 0))
        return 0;
    const double need = v->peak_rss - v->peak_kv + v->kv_per_pos * (double)dev->n_ctx;
    return need > 0 ? need : 0;
}

/* A figure in 0..1 or "–" when NAN (absent or null). */
static void cell_opt(FILE *f, int prec, double v, double scale, const char *suffix) { cell(f, isfinite(v), prec, v * scale, suffix); }

static void markdown_calibration(FILE *f, const report *r)
{
    fprintf(f, "\n## Calibration\n\nHow far each variant's confidence (the probability it gives the answer it chose) "
               "can be trusted: ECE, the mean gap between confidence and accuracy over 15 equal-width bins of "
               "confidence (0: calibrated); the Brier score; AURC, the area under the risk-coverage curve (lower is "
               "better); and the lowest confidence threshold that keeps the accuracy of the questions answered at the "
               "target, with the share of questions it answers (– when no threshold reaches it).\n\n"
               "| variant | task | n | acc | ECE | Brier | AURC | target acc | threshold | coverage |\n"
               "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|\n");
    for (int i = 0; i < r->n_cal; i++) {
        const cal_series *c = &r->cal[i];
        fputs("| ", f);
        put_text(f, c->order >= 0 ? r->v[c->order].name : el_basename(c->model), TEXT_MD);
        fputs(" | ", f);
        put_text(f, c->task, TEXT_MD);
        if (c->n >= 0)
            fprintf(f, " | %lld", c->n);
        else
            cell(f, false, 0, 0, "");
        cell_opt(f, 3, c->acc, 1, "");
        cell_opt(f, 4, c->ece, 1, "");
        cell_opt(f, 4, c->brier, 1, "");
        cell_opt(f, 4, c->aurc, 1, "");
        cell_opt(f, 3, c->target_acc, 1, "");
        cell_opt(f, 4, c->target_threshold, 1, "");
        cell_opt(f, 1, c->target_coverage, 100, "%");
        fputs(" |\n", f);
    }
    if (r->n_cal > MAX_SERIES)
        fprintf(f, "\nThe charts draw the first %d of these %d.\n", MAX_SERIES, r->n_cal);
    fprintf(f, "\n![reliability: accuracy vs confidence](reliability.svg)\n"
               "\n![accuracy vs coverage](risk_coverage.svg)\n");
}

static void markdown_routing(FILE *f, const report *r)
{
    fprintf(f, "\n## Routing\n\nA hybrid answers on the edge model and sends a question to the cloud model when the "
               "signal says the edge model is unsure; routed is the share of questions sent, "
               "oracle acc the accuracy the record gives an oracle router sending the same share.\n\n"
               "| edge | cloud | task | signal | edge acc | cloud acc | threshold | routed | hybrid acc |\n"
               "|---|---|---|---|--:|--:|--:|--:|--:|\n");
    for (int i = 0; i < r->n_route; i++) {
        const route_rec *q = &r->route[i];
        const char *s[4] = {el_basename(q->edge), el_basename(q->cloud), q->task, q->signal};
        for (int k = 0; k < 4; k++) {
            fputs(k ? " | " : "| ", f);
            put_text(f, s[k], TEXT_MD);
        }
        fprintf(f, " | %.4f", q->edge_acc);
        cell_opt(f, 4, q->cloud_acc, 1, "");
        if (isfinite(q->threshold))
            fprintf(f, " | %.6g", q->threshold);
        else
            cell(f, false, 0, 0, "");
        cell_opt(f, 1, q->routed, 100, "%");
        cell_opt(f, 4, q->hybrid_acc, 1, "");
        fputs(" |\n", f);
    }
    for (int i = 0; i < r->n_route; i++) {
        const route_rec *q = &r->route[i];
        if (q->n_pt == 0)
            continue;
        char name[2300];
        route_name(q, name, sizeof name);
        fputs("\n", f);
        put_text(f, name, TEXT_MD);
        fprintf(f, ": the sweep at the shares routed nearest 0, 25, 50, 75 and 100%%\n\n"
                   "| routed | threshold | hybrid acc | oracle acc | latency ms | n routed |\n|--:|--:|--:|--:|--:|--:|\n");
        size_t last = SIZE_MAX;
        for (int t = 0; t <= 4; t++) {
            size_t best = 0;
            for (size_t k = 1; k < q->n_pt; k++)
                if (fabs(q->pt[k].routed - t / 4.0) < fabs(q->pt[best].routed - t / 4.0))
                    best = k;
            if (best == last) /* the same point nearest two shares: one row */
                continue;
            last = best;
            const route_pt *o = &q->pt[best];
            fprintf(f, "| %.1f%% | %.6g | %.4f", 100 * o->routed, o->threshold, o->hybrid_acc);
            cell_opt(f, 4, o->oracle_acc, 1, "");
            cell_opt(f, 1, o->latency_ms, 1, "");
            fprintf(f, " | %lld |\n", o->n_routed);
        }
    }
    if (r->n_route > MAX_SERIES)
        fprintf(f, "\nThe chart draws the first %d of these %d.\n", MAX_SERIES, r->n_route);
    fprintf(f, "\n![routing: accuracy vs share routed](route.svg)\n");
}

/* The table of variants, its notes and its charts. */
static void markdown_variants(FILE *f, const report *r, bool have_kld, bool have_tg, const el_report_device *dev)
{
    fprintf(f, "# edgelm report\n\n%d variants from %d results. Sizes are tensor bytes; PPL and KLD as llama-perplexity "
               "computes them; accuracy as lm-evaluation-harness's acc; speeds from `edgelm bench` (the highest thread count "
               "measured, mean ± standard deviation of the runs); accuracy with its questions (n) and 95%% Wilson "
               "interval.\n\n",
            r->n, r->n_records);
    if (r->cpu_info[0] || r->threads_hi) {
        fputs("Machine: ", f);
        put_text(f, r->cpu_info[0] ? r->cpu_info : "unknown CPU", TEXT_MD);
        if (r->cpu_mixed)
            fputs(" (and others: the bench records come from more than one CPU)", f);
        if (r->n_cpus > 0)
            fprintf(f, ", %d CPUs", r->n_cpus);
        if (r->threads_lo && r->threads_lo != r->threads_hi)
            fprintf(f, "; bench at %d-%d threads", r->threads_lo, r->threads_hi);
        else if (r->threads_hi)
            fprintf(f, "; bench at %d thread%s", r->threads_hi, r->threads_hi > 1 ? "s" : "");
        fputs(".\n\n", f);
    }
    bool dominated = false, any_fb = false, any_same = false, any_noisy = false;
    for (int i = 0; i < r->n; i++) {
        dominated |= r->v[i].has_kld && !on_front(r, i);
        any_fb |= r->v[i].fell_back;
        any_same |= r->v[i].same_as >= 0;
        any_noisy |= (r->v[i].has_pp && r->v[i].pp_noisy) || (r->v[i].has_tg && r->v[i].tg_noisy);
    }
    fprintf(f, "| variant | type | size (MiB) | bits/weight | PPL | KLD | same top");
    for (int t = 0; t < r->n_tasks; t++) {
        fputs(" | ", f);
        put_text(f, r->tasks[t], TEXT_MD);
        fputs(" acc", f);
    }
    fprintf(f, " | prefill t/s | decode t/s | TTFT ms | peak RSS (MiB)");
    if (dev)
        fprintf(f, " | fits %.2f GiB at ctx %d (MiB needed)", (double)dev->ram / 1073741824.0, dev->n_ctx);
    fprintf(f, " |\n|---|---|--:|--:|--:|--:|--:");
    for (int t = 0; t < r->n_tasks; t++)
        fprintf(f, "|--:");
    fprintf(f, "|--:|--:|--:|--:%s|\n", dev ? "|--:" : "");
    for (int i = 0; i < r->n; i++) {
        const variant *v = &r->v[i];
        fputs("| ", f);
        put_text(f, v->name, TEXT_MD);
        fputs(dominated && on_front(r, i) ? " ★" : "", f);
        if (v->same_as >= 0) {
            fputs(" ≡ ", f);
            put_text(f, r->v[v->same_as].name, TEXT_MD);
        }
        fputs(" | ", f);
        put_text(f, v->type, TEXT_MD);
        if (v->fell_back) {
            fputs("\\* (", f);
            put_text(f, v->fallback_note, TEXT_MD);
            fputs(")", f);
        }
        cell(f, v->size > 0, 2, v->size / 1048576.0, "");
        cell(f, v->bpw > 0, 2, v->bpw, "");
        if (v->has_ppl)
            fprintf(f, " | %.4f ± %.4f", v->ppl, v->ppl_err);
        else
            cell(f, v->has_ppl_kld, 4, v->ppl_kld, "");
        if (v->has_kld)
            fprintf(f, " | %.5f ± %.5f", v->kld, v->kld_err);
        else
            cell(f, false, 0, 0, "");
        cell(f, v->has_kld, 1, 100 * v->same_top, "%");
        for (int t = 0; t < r->n_tasks; t++) {
            cell(f, v->has_acc[t], 3, v->acc[t], "");
            if (v->has_acc[t] && v->acc_n[t] > 0 && isfinite(v->acc_lo[t]) && isfinite(v->acc_hi[t]))
                fprintf(f, " (n=%d, 95%% CI %.3f–%.3f)", v->acc_n[t], v->acc_lo[t], v->acc_hi[t]);
            else if (v->has_acc[t] && v->acc_n[t] > 0)
                fprintf(f, " (n=%d)", v->acc_n[t]);
        }
        cell(f, v->has_pp, 1, v->pp_ts, "");
        if (v->has_pp && v->pp_sd > 0)
            fprintf(f, " ± %.1f%s", v->pp_sd, v->pp_noisy ? " (noisy)" : "");
        cell(f, v->has_tg, 1, v->tg_ts, "");
        if (v->has_tg && v->tg_sd > 0)
            fprintf(f, " ± %.1f%s", v->tg_sd, v->tg_noisy ? " (noisy)" : "");
        cell(f, v->has_pp && v->ttft_ms > 0, 1, v->ttft_ms, "");
        cell(f, v->peak_rss > 0, 1, v->peak_rss / 1048576.0, "");
        if (dev) {
            const double need = need_on(v, dev);
            if (need > 0)
                fprintf(f, " | %s (%.0f)", need <= (double)dev->ram ? "yes" : "**no**", need / 1048576.0);
            else
                fputs(" | – (no bench record)", f);
        }
        fputs(" |\n", f);
    }
    if (any_fb)
        fprintf(f, "\n\\* Not what the type says: the rows of these matrices are not a multiple of the type's block "
                   "(256 values for the K types, 32 for the others), so they were written in the nearest type that fits "
                   "(quant/recipe.h), read from the GGUF itself.\n");
    if (any_same)
        fprintf(f, "\n≡ the same tensors as the variant named, byte for byte (names, types, shapes and data): one "
                   "model under two names.\n");
    if (any_noisy)
        fprintf(f, "\n(noisy): the runs' standard deviation is above 10%% of their mean; more `-r` or a quieter "
                   "machine.\n");
    if (have_kld && dominated)
        fprintf(f, "\n★ on the size / KL divergence Pareto front: no other variant is both smaller and closer to the "
                   "base.\n");
    else if (have_kld)
        fprintf(f, "\nEvery variant is on the size / KL divergence Pareto front: none is both larger and farther from "
                   "the base than another, so none is starred.\n");
    if (have_kld)
        fprintf(f, "\n![model size vs KL divergence](size_kld.svg)\n");
    if (have_tg)
        fprintf(f, "\n![decode tokens/s per variant](decode.svg)\n");
    if (dev)
        fprintf(f, "\nMemory needed at a context of %d: bench's peak RSS less the KV cache it had, plus %d positions "
                   "of KV cache (kv_bytes_per_pos); a device needs that much free (docs/targets.md).\n",
                dev->n_ctx, dev->n_ctx);
}

static char *markdown(const report *r, bool have_kld, bool have_tg, const el_report_device *dev, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f)
        return NULL;
    if (r->n > 0)
        markdown_variants(f, r, have_kld, have_tg, dev);
    else /* route records only */
        fprintf(f, "# edgelm report\n\n%d result%s, of routing only.\n", r->n_records, r->n_records == 1 ? "" : "s");
    if (r->n_cal > 0)
        markdown_calibration(f, r);
    if (r->n_route > 0)
        markdown_routing(f, r);
    if (fclose(f))
        return NULL;
    return buf;
}

static void report_free(report *r)
{
    for (int i = 0; i < r->n_cal; i++)
        cal_free(&r->cal[i]);
    for (int i = 0; i < r->n_route; i++)
        route_free(&r->route[i]);
    free(r->cal);
    free(r->route);
    free(r->v);
}

static int by_variant_task(const void *a, const void *b)
{
    const cal_series *x = a, *y = b;
    if (x->order != y->order)
        return (x->order > y->order) - (x->order < y->order);
    return (x->task_i > y->task_i) - (x->task_i < y->task_i);
}

int el_report_write(const char *const *inputs, int n_inputs, const char *out_dir, const el_report_device *dev,
                    el_report_summary *s, el_error *err)
{
    if (dev && !dev->ram)
        dev = NULL;
    memset(s, 0, sizeof *s);
    report r = {0};
    int rc = 0;
    for (int i = 0; i < n_inputs && !rc; i++)
        rc = load_input(&r, inputs[i], err);
    if (!rc && r.n == 0 && r.n_route == 0)
        rc = EL_FAIL(err, EL_EFORMAT, inputs[0], -1, "no results in the input");
    if (!rc)
        rc = el_mkdir_p(out_dir, err);
    if (rc) {
        report_free(&r);
        return rc;
    }
    for (int i = 0; i < r.n; i++)
        inspect_file(&r.v[i]);
    if (r.n) /* route records alone leave no variant (and r.v NULL: qsort's pointer must not be) */
        qsort(r.v, (size_t)r.n, sizeof *r.v, by_size_desc);
    find_identical(&r);
    for (int i = 0; i < r.n_cal; i++) { /* the series in the table's order: by variant, then task */
        r.cal[i].order = -1;
        for (int j = 0; j < r.n && r.cal[i].order < 0; j++)
            if (!strcmp(r.v[j].model, r.cal[i].model))
                r.cal[i].order = j;
    }
    if (r.n_cal > 1)
        qsort(r.cal, (size_t)r.n_cal, sizeof *r.cal, by_variant_task);
    for (int i = 0; i < r.n; i++) {
        const int th[2] = {r.v[i].has_pp ? r.v[i].pp_threads : 0, r.v[i].has_tg ? r.v[i].tg_threads : 0};
        for (int k = 0; k < 2; k++)
            if (th[k] > 0) {
                r.threads_lo = r.threads_lo && r.threads_lo < th[k] ? r.threads_lo : th[k];
                r.threads_hi = r.threads_hi > th[k] ? r.threads_hi : th[k];
            }
    }
    bool have_kld = false, have_tg = false;
    for (int i = 0; i < r.n; i++) {
        have_kld |= r.v[i].has_kld;
        have_tg |= r.v[i].has_tg;
        s->n_pareto += on_front(&r, i);
        if (dev) {
            const double need = need_on(&r.v[i], dev);
            s->n_fit += need > 0 && need <= (double)dev->ram;
        }
    }
    static const char *const names[] = {"size_kld.svg", "decode.svg", "reliability.svg", "risk_coverage.svg", "route.svg", "report.md"};
    for (int k = 0; k < 6 && !rc; k++) {
        if ((k == 0 && !have_kld) || (k == 1 && !have_tg) || ((k == 2 || k == 3) && !r.n_cal) || (k == 4 && !r.n_route))
            continue;
        size_t len = 0;
        char *doc = k == 0   ? chart_size_kld(&r, &len)
                    : k == 1 ? chart_decode(&r, &len)
                    : k == 2 ? chart_reliability(&r, &len)
                    : k == 3 ? chart_risk_coverage(&r, &len)
                    : k == 4 ? chart_route(&r, &len)
                             : markdown(&r, have_kld, have_tg, dev, &len);
        char *path = el_path_join(out_dir, names[k]);
        if (!doc || !path)
            rc = EL_NOMEM(err);
        else
            rc = el_write_file(path, doc, len, err);
        free(doc);
        free(path);
    }
    s->n_variants = r.n;
    s->n_records = r.n_records;
    report_free(&r);
    return rc;
}
