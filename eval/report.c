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

#include "core/atomic.h"
#include "core/file.h"
#include "core/json.h"
#include "core/utf8.h"
#include "datasets/records.h"

enum { MAX_TASKS = 8 };

typedef struct variant {
    char model[1024], name[256], type[32];
    double size, bpw;
    double ppl, ppl_err, ppl_kld; /* ppl_kld: from a kld record, used when there is no ppl record */
    double kld, kld_err, same_top;
    double acc[MAX_TASKS];
    double pp_ts, tg_ts, ttft_ms, peak_rss, roofline;
    double peak_kv, kv_per_pos; /* of the record with the peak RSS: its KV cache and per-position bytes */
    int pp_threads, tg_threads;
    bool has_ppl, has_ppl_kld, has_kld, has_acc[MAX_TASKS], has_pp, has_tg;
} variant;

typedef struct report {
    variant *v;
    int n, cap;
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

static variant *variant_of(report *r, const json_t *rec, const char *file, el_error *err)
{
    const char *model = json_string_value(json_object_get(rec, "model"));
    if (!model) {
        EL_FAIL(err, EL_EFORMAT, file, -1, "a record without \"model\": not an edgelm eval/bench result");
        return NULL;
    }
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
    const char *name = json_string_value(json_object_get(rec, "model_name"));
    const char *type = json_string_value(json_object_get(rec, "model_type"));
    copy_text(v->name, sizeof v->name, name ? name : el_basename(model));
    copy_text(v->type, sizeof v->type, type ? type : "?");
    v->size = num(rec, "model_size");
    v->bpw = num(rec, "bpw");
    return v;
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
    } else if (json_object_get(rec, "avg_ts")) { /* bench: keep the highest thread count */
        const int th = (int)json_integer_value(json_object_get(rec, "n_threads"));
        const bool pp = json_integer_value(json_object_get(rec, "n_prompt")) > 0;
        if (pp && th >= v->pp_threads) {
            v->has_pp = true;
            v->pp_threads = th;
            v->pp_ts = num(rec, "avg_ts");
            v->ttft_ms = num(rec, "ttft_ms");
        } else if (!pp && th >= v->tg_threads) {
            v->has_tg = true;
            v->tg_threads = th;
            v->tg_ts = num(rec, "avg_ts");
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

static char *chart_size_kld(const report *r, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f)
        return NULL;
    const double L = 80, R = 690, T = 66, B = 380;
    double xmin = INFINITY, xmax = 0, ymin = INFINITY, ymax = 0;
    for (int i = 0; i < r->n; i++)
        if (r->v[i].has_kld) {
            xmin = fmin(xmin, r->v[i].size / 1048576.0);
            xmax = fmax(xmax, r->v[i].size / 1048576.0);
            ymax = fmax(ymax, r->v[i].kld);
            if (r->v[i].kld > 0)
                ymin = fmin(ymin, r->v[i].kld);
        }
    const bool logy = isfinite(ymin) && ymax / ymin > 20;
    const double y0 = logy ? floor(log10(ymin)) : 0, y1 = logy ? ceil(log10(ymax)) : (ymax > 0 ? ymax * 1.1 : 1);
    double x0 = 0, x1 = xmax > 0 ? xmax * 1.08 : 1;
    if (xmin > 0.3 * xmax) { /* the sizes sit far from 0: start the axis at a tick below the smallest */
        const double st = tick_step(xmax - xmin > 0 ? (xmax - xmin) * 1.3 : xmax, 6);
        x0 = floor((xmin - (xmax - xmin) * 0.1) / st) * st;
        x1 = xmax + (xmax - x0) * 0.08;
    }
#define PX(x) (L + ((x) - x0) / (x1 - x0) * (R - L))
#define PY(y) (logy ? B - (log10(fmax((y), pow(10, y0))) - y0) / (y1 - y0) * (B - T) : B - (y) / y1 * (B - T))
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
    /* points, then their labels: variants at the same spot share one label ("Q8_0, Q6_K"); a label
     * that would overlap one already placed tries below, then left of its point */
    double boxes[64][4];
    int nb = 0;
    for (int i = 0; i < r->n; i++) {
        const variant *v = &r->v[i];
        if (!v->has_kld)
            continue;
        const double x = PX(v->size / 1048576.0), y = PY(v->kld);
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"6\" fill=\"%s\" stroke=\"#222\"/>\n", x, y,
                on_front(r, i) ? "#d62728" : "#9e9e9e");
        bool first = true;
        for (int j = 0; j < i && first; j++)
            first = !(r->v[j].has_kld && r->v[j].size == v->size && r->v[j].kld == v->kld);
        if (!first)
            continue;
        size_t n = 0;
        lab[0] = 0;
        for (int j = i; j < r->n && n < sizeof lab - 40; j++)
            if (r->v[j].has_kld && r->v[j].size == v->size && r->v[j].kld == v->kld)
                n += (size_t)snprintf(lab + n, sizeof lab - n, "%s%s", n ? ", " : "",
                                      strcmp(r->v[j].type, "?") ? r->v[j].type : r->v[j].name);
        const double w = 7.0 * (double)strlen(lab), h = 14;
        static const double off[4][2] = {{9, -8}, {-9, -8}, {9, 18}, {-9, 18}};
        int k = 0;
        double bx = 0, by = 0;
        for (; k < 4; k++) {
            bx = off[k][0] > 0 ? x + off[k][0] : x + off[k][0] - w;
            by = y + off[k][1] - h + 3;
            bool clash = bx + w > R + 25;
            for (int b = 0; b < nb && !clash; b++)
                clash = bx < boxes[b][0] + boxes[b][2] && boxes[b][0] < bx + w && by < boxes[b][1] + boxes[b][3] &&
                        boxes[b][1] < by + h;
            if (!clash)
                break;
        }
        if (k == 4)
            k = 0, bx = x + 9, by = y - 8 - h + 3;
        if (nb < 64) {
            boxes[nb][0] = bx, boxes[nb][1] = by, boxes[nb][2] = w, boxes[nb][3] = h;
            nb++;
        }
        svg_text(f, off[k][0] > 0 ? x + off[k][0] : x + off[k][0], y + off[k][1], off[k][0] > 0 ? "start" : "end", 12,
                 "#222", lab);
    }
    fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"6\" fill=\"#d62728\" stroke=\"#222\"/>\n", L + 6, T - 18);
    svg_text(f, L + 16, T - 14, "start", 12, "#222", "on the Pareto front (no other variant is smaller and closer)");
    fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"6\" fill=\"#9e9e9e\" stroke=\"#222\"/>\n", L + 386, T - 18);
    svg_text(f, L + 396, T - 14, "start", 12, "#222", "dominated");
    fputs("</svg>\n", f);
#undef PX
#undef PY
    if (fclose(f))
        return NULL;
    return buf;
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
            mx = fmax(mx, r->v[i].tg_ts);
        }
    const double L = 170, R = 640, T = 56, bar = 26, gap = 12, H = T + n * (bar + gap) + 50;
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" height=\"%.0f\" viewBox=\"0 0 720 %.0f\" "
            "font-family=\"Helvetica, Arial, sans-serif\">\n<rect width=\"720\" height=\"%.0f\" fill=\"white\"/>\n",
            H, H, H);
    svg_text(f, 360, 28, "middle", 18, "#222", "Decode speed per variant (tokens/s, higher is better)");
    const double x1 = mx > 0 ? mx * 1.1 : 1;
    const double st = tick_step(x1, 5);
    char lab[300];
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
        snprintf(lab, sizeof lab, "%s", strcmp(v->type, "?") ? v->type : v->name);
        svg_text(f, L - 8, y + bar / 2 + 4, "end", 13, "#222", lab);
        snprintf(lab, sizeof lab, "%.1f", v->tg_ts);
        svg_text(f, L + w + 6, y + bar / 2 + 4, "start", 12, "#222", lab);
    }
    snprintf(lab, sizeof lab, "tokens/s (tg, %d threads)", r->n ? r->v[0].tg_threads : 0);
    svg_text(f, (L + R) / 2, H - 6, "middle", 13, "#222", lab);
    fputs("</svg>\n", f);
    if (fclose(f))
        return NULL;
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

static char *markdown(const report *r, bool have_kld, bool have_tg, const el_report_device *dev, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f)
        return NULL;
    fprintf(f, "# edgelm report\n\n%d variants from %d results. Sizes are tensor bytes; PPL and KLD as llama-perplexity "
               "computes them; accuracy as lm-evaluation-harness's acc; speeds from `edgelm bench` (the highest thread count "
               "measured).\n\n",
            r->n, r->n_records);
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
        fputs(on_front(r, i) ? " ★ | " : " | ", f);
        put_text(f, v->type, TEXT_MD);
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
        for (int t = 0; t < r->n_tasks; t++)
            cell(f, v->has_acc[t], 3, v->acc[t], "");
        cell(f, v->has_pp, 1, v->pp_ts, "");
        cell(f, v->has_tg, 1, v->tg_ts, "");
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
    if (have_kld) {
        fprintf(f, "\n★ on the size / KL divergence Pareto front: no other variant is both smaller and closer to the "
                   "base.\n\n![model size vs KL divergence](size_kld.svg)\n");
    }
    if (have_tg)
        fprintf(f, "\n![decode tokens/s per variant](decode.svg)\n");
    if (dev)
        fprintf(f, "\nMemory needed at a context of %d: bench's peak RSS less the KV cache it had, plus %d positions "
                   "of KV cache (kv_bytes_per_pos); a device needs that much free (docs/targets.md).\n",
                dev->n_ctx, dev->n_ctx);
    if (fclose(f))
        return NULL;
    return buf;
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
    if (!rc && r.n == 0)
        rc = EL_FAIL(err, EL_EFORMAT, inputs[0], -1, "no results in the input");
    if (!rc)
        rc = el_mkdir_p(out_dir, err);
    if (rc) {
        free(r.v);
        return rc;
    }
    qsort(r.v, (size_t)r.n, sizeof *r.v, by_size_desc);
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
    static const char *const names[] = {"size_kld.svg", "decode.svg", "report.md"};
    for (int k = 0; k < 3 && !rc; k++) {
        if ((k == 0 && !have_kld) || (k == 1 && !have_tg))
            continue;
        size_t len = 0;
        char *doc = k == 0 ? chart_size_kld(&r, &len) : k == 1 ? chart_decode(&r, &len) : markdown(&r, have_kld, have_tg, dev, &len);
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
    free(r.v);
    return rc;
}
