/*
 * eval/calib.c - calibration and selective prediction (see calib.h).
 */
#include "eval/calib.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const signal_names[] = {"prob", "margin", "entropy"};

bool el_conf_signal_from_name(const char *name, el_conf_signal *out)
{
    for (int i = 0; i < 3; i++)
        if (!strcmp(name, signal_names[i])) {
            *out = (el_conf_signal)i;
            return true;
        }
    return false;
}

const char *el_conf_signal_name(el_conf_signal s)
{
    return signal_names[s];
}

/* p = softmax(z / T) over k scores; returns the argmax (the first on ties). */
static int softmax(const double *z, int k, double T, double *p)
{
    int best = 0;
    for (int j = 1; j < k; j++)
        if (z[j] > z[best])
            best = j;
    double sum = 0;
    for (int j = 0; j < k; j++)
        sum += p[j] = exp((z[j] - z[best]) / T);
    for (int j = 0; j < k; j++)
        p[j] /= sum;
    return best;
}

static double signal_of(const double *p, int k, int best, el_conf_signal s)
{
    if (s == EL_CONF_PROB)
        return p[best];
    if (s == EL_CONF_MARGIN) {
        double second = 0;
        for (int j = 0; j < k; j++)
            if (j != best && p[j] > second)
                second = p[j];
        return p[best] - second;
    }
    if (k < 2)
        return 1;
    double h = 0;
    for (int j = 0; j < k; j++)
        if (p[j] > 0)
            h -= p[j] * log(p[j]);
    return 1 - h / log((double)k);
}

int el_calib_probs(const el_scores *s, int i, double T, double *p)
{
    return softmax(s->z + (size_t)i * (size_t)s->stride, s->k[i], T, p);
}

void el_calib_answers(const el_scores *s, double T, el_conf_signal signal, int *pred, double *conf)
{
    for (int i = 0; i < s->n; i++) {
        double p[64];
        const int k = s->k[i] < 64 ? s->k[i] : 64;
        const int best = softmax(s->z + (size_t)i * (size_t)s->stride, k, T, p);
        if (pred)
            pred[i] = best;
        conf[i] = signal_of(p, k, best, signal);
    }
}

double el_ece_width(const double *conf, const int *right, int n, double *mce, el_reliability_bin *bins)
{
    double sum_c[EL_CALIB_BINS] = {0}, sum_a[EL_CALIB_BINS] = {0};
    int cnt[EL_CALIB_BINS] = {0};
    for (int i = 0; i < n; i++) {
        int b = (int)ceil(conf[i] * EL_CALIB_BINS) - 1;
        b = b < 0 ? 0 : b >= EL_CALIB_BINS ? EL_CALIB_BINS - 1 : b;
        sum_c[b] += conf[i];
        sum_a[b] += right[i] != 0;
        cnt[b]++;
    }
    double ece = 0, worst = 0;
    for (int b = 0; b < EL_CALIB_BINS; b++) {
        const double c = cnt[b] ? sum_c[b] / cnt[b] : 0, a = cnt[b] ? sum_a[b] / cnt[b] : 0;
        if (cnt[b]) {
            ece += (double)cnt[b] / n * fabs(a - c);
            worst = fabs(a - c) > worst ? fabs(a - c) : worst;
        }
        if (bins)
            bins[b] = (el_reliability_bin){(double)b / EL_CALIB_BINS, (double)(b + 1) / EL_CALIB_BINS, c, a, cnt[b]};
    }
    if (mce)
        *mce = worst;
    return n ? ece : 0;
}

/* qsort over indices into a confidence array: ascending confidence, ties by index. */
typedef struct ranked {
    double c;
    int i;
} ranked;

static int by_conf(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    return x->c < y->c ? -1 : x->c > y->c ? 1 : x->i - y->i;
}

static ranked *rank(const double *conf, int n)
{
    ranked *r = malloc((size_t)(n ? n : 1) * sizeof *r);
    if (!r)
        return NULL;
    for (int i = 0; i < n; i++)
        r[i] = (ranked){conf[i], i};
    qsort(r, (size_t)n, sizeof *r, by_conf);
    return r;
}

int el_ece_mass(const double *conf, const int *right, int n, double *ece, el_error *err)
{
    ranked *r = rank(conf, n);
    if (!r)
        return EL_NOMEM(err);
    double e = 0;
    for (int b = 0; b < EL_CALIB_BINS; b++) {
        const int lo = (int)((long long)b * n / EL_CALIB_BINS), hi = (int)((long long)(b + 1) * n / EL_CALIB_BINS);
        if (hi <= lo)
            continue;
        double c = 0, a = 0;
        for (int j = lo; j < hi; j++) {
            c += r[j].c;
            a += right[r[j].i] != 0;
        }
        e += fabs(a - c) / n;
    }
    free(r);
    *ece = e;
    return 0;
}

int el_risk_coverage(const double *conf, const int *right, int n, el_rc_point **pts, int *n_pts, double *aurc,
                     el_error *err)
{
    *pts = NULL;
    *n_pts = 0;
    *aurc = 0;
    ranked *r = rank(conf, n);
    el_rc_point *p = malloc((size_t)(n ? n : 1) * sizeof *p);
    if (!r || !p) {
        free(r);
        free(p);
        return EL_NOMEM(err);
    }
    int np = 0, cum = 0, cum_right = 0;
    double area = 0;
    for (int j = n - 1; j >= 0;) { /* descending confidence, a group of ties at a time */
        int g = j;
        do { /* at least one, so that a NaN (equal to nothing) cannot stall it */
            cum_right += right[r[g].i] != 0;
            cum++;
            g--;
        } while (g >= 0 && r[g].c == r[j].c);
        const double acc = (double)cum_right / cum;
        area += (double)(j - g) / n * (1 - acc);
        p[np++] = (el_rc_point){r[j].c, (double)cum / n, acc, cum};
        j = g;
    }
    free(r);
    *pts = p;
    *n_pts = np;
    *aurc = area;
    return 0;
}

const el_rc_point *el_rc_target(const el_rc_point *pts, int n_pts, double target)
{
    const el_rc_point *best = NULL;
    for (int i = 0; i < n_pts; i++)
        if (pts[i].acc >= target)
            best = &pts[i]; /* coverage ascends, so the last one reaching it covers most */
    return best;
}

double el_calib_nll(const el_scores *s, double T)
{
    double sum = 0;
    for (int i = 0; i < s->n; i++) {
        const int k = s->k[i] < 64 ? s->k[i] : 64;
        const double *z = s->z + (size_t)i * (size_t)s->stride;
        int best = 0;
        for (int j = 1; j < k; j++)
            best = z[j] > z[best] ? j : best;
        double lse = 0; /* ln sum exp((z - z_best) / T), exact where p_y underflows */
        for (int j = 0; j < k; j++)
            lse += exp((z[j] - z[best]) / T);
        sum += log(lse) - (z[s->y[i]] - z[best]) / T;
    }
    return s->n ? sum / s->n : 0;
}

/* d NLL / d beta at beta = 1/T: the mean of E_p[z] - z_y. Increasing in beta (NLL is convex in it). */
static double nll_slope(const el_scores *s, double beta)
{
    double sum = 0;
    for (int i = 0; i < s->n; i++) {
        double p[64];
        const int k = s->k[i] < 64 ? s->k[i] : 64;
        const double *z = s->z + (size_t)i * (size_t)s->stride;
        softmax(z, k, 1 / beta, p);
        double ez = 0;
        for (int j = 0; j < k; j++)
            ez += p[j] * z[j];
        sum += ez - z[s->y[i]];
    }
    return sum;
}

int el_scores_check(const el_scores *s, const char *what, el_error *err)
{
    for (int i = 0; i < s->n; i++) {
        if (s->k[i] < 1 || s->k[i] > 64 || s->y[i] < 0 || s->y[i] >= s->k[i])
            return EL_FAIL(err, EL_EFORMAT, what, -1, "question %d: %d choices, the right one %d", i + 1, s->k[i], s->y[i] + 1);
        for (int j = 0; j < s->k[i]; j++)
            if (!isfinite(s->z[(size_t)i * (size_t)s->stride + (size_t)j]))
                return EL_FAIL(err, EL_EFORMAT, what, -1, "question %d, choice %d: the score is not a finite number", i + 1,
                               j + 1);
    }
    return 0;
}

double el_calib_fit_temperature(const el_scores *s, bool *at_bound)
{
    double lo = log(1e-3), hi = log(1e3);
    const double s_hi = nll_slope(s, exp(hi)), s_lo = nll_slope(s, exp(lo));
    if (at_bound)
        *at_bound = false;
    if (fabs(s_hi) < 1e-12 * (s->n ? s->n : 1) && fabs(s_lo) < 1e-12 * (s->n ? s->n : 1))
        return 1; /* every question's scores tied: no temperature changes anything */
    if (s_hi <= 0 || s_lo >= 0) { /* still falling at beta = 1e3 (or rising at 1e-3): the bound */
        if (at_bound)
            *at_bound = true;
        return s_hi <= 0 ? 1e-3 : 1e3;
    }
    for (int it = 0; it < 200 && hi - lo > 1e-12; it++) {
        const double mid = (lo + hi) / 2;
        if (nll_slope(s, exp(mid)) < 0)
            lo = mid;
        else
            hi = mid;
    }
    return 1 / exp((lo + hi) / 2);
}

int el_calib_compute(const el_scores *s, double T, el_calib *out, el_error *err)
{
    memset(out, 0, sizeof *out);
    if (el_scores_check(s, "scores", err))
        return err->code;
    const int n = s->n;
    double *conf = malloc((size_t)(n ? n : 1) * sizeof *conf);
    int *pred = malloc((size_t)(n ? n : 1) * sizeof *pred), *right = malloc((size_t)(n ? n : 1) * sizeof *right);
    int rc = !conf || !pred || !right ? EL_NOMEM(err) : 0;
    if (!rc) {
        double brier = 0;
        int n_right = 0;
        for (int i = 0; i < n; i++) {
            double p[64];
            const int k = s->k[i] < 64 ? s->k[i] : 64;
            pred[i] = softmax(s->z + (size_t)i * (size_t)s->stride, k, T, p);
            conf[i] = p[pred[i]];
            right[i] = pred[i] == s->y[i];
            n_right += right[i];
            for (int j = 0; j < k; j++)
                brier += (p[j] - (j == s->y[i])) * (p[j] - (j == s->y[i]));
        }
        out->n = n;
        out->acc = n ? (double)n_right / n : 0;
        out->brier = n ? brier / n : 0;
        out->nll = el_calib_nll(s, T);
        out->ece = el_ece_width(conf, right, n, &out->mce, out->bins);
        rc = el_ece_mass(conf, right, n, &out->ece_mass, err);
    }
    if (!rc)
        rc = el_risk_coverage(conf, right, n, &out->rc, &out->n_rc, &out->aurc, err);
    free(conf);
    free(pred);
    free(right);
    return rc;
}

void el_calib_free(el_calib *c)
{
    free(c->rc);
    c->rc = NULL;
    c->n_rc = 0;
}

json_t *el_calib_json(const el_calib *c, double target)
{
    json_t *bins = json_array(), *rc = json_array(), *t = json_null();
    for (int b = 0; bins && b < EL_CALIB_BINS; b++) {
        const el_reliability_bin *x = &c->bins[b];
        json_array_append_new(bins, json_pack("{s:f, s:f, s:i, s:f, s:f}", "lo", x->lo, "hi", x->hi, "n", x->n, "conf",
                                              x->conf, "acc", x->acc));
    }
    for (int i = 0; rc && i < c->n_rc; i++)
        json_array_append_new(rc, json_pack("{s:f, s:f, s:f, s:i}", "threshold", c->rc[i].threshold, "coverage",
                                            c->rc[i].coverage, "acc", c->rc[i].acc, "n", c->rc[i].n));
    const el_rc_point *p = el_rc_target(c->rc, c->n_rc, target);
    if (p) {
        json_decref(t);
        t = json_pack("{s:f, s:f, s:f, s:f, s:i}", "target", target, "threshold", p->threshold, "coverage", p->coverage,
                      "acc", p->acc, "n", p->n);
    }
    if (!bins || !rc || !t) {
        json_decref(bins);
        json_decref(rc);
        json_decref(t);
        return NULL;
    }
    return json_pack("{s:i, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:o, s:o, s:o}", "n", c->n, "acc", c->acc, "ece", c->ece,
                     "ece_mass", c->ece_mass, "mce", c->mce, "brier", c->brier, "nll", c->nll, "aurc", c->aurc,
                     "reliability", bins, "risk_coverage", rc, "target", t);
}
