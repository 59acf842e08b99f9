/*
 * tests/test_calib.c - calibration, selective prediction and temperature scaling (eval/calib.h) and
 * eval mc's figures.
 *
 *  - constructed cases worked out by hand: a perfectly calibrated set has ECE 0; an over-confident
 *    one (confidence 0.9, 6 of 10 right) has ECE 0.3, Brier 0.66 and the NLL of its probabilities;
 *    its best temperature is ln 9 / ln 1.5 (the one making the confidence 0.6); a four-question
 *    risk-coverage curve and its AURC;
 *  - stories260K F32 and Q2_K on the sample tasks and on the cloze sets (tests/oracle/make_cloze.py):
 *    every figure equals tests/oracle/calib_oracle.py's (numpy) on the same per-question scores to
 *    1e-6, the fitted temperature to 1e-3 (relative), the risk-coverage points to 1e-9
 *    (the JSON has 17 digits with --per-question; the oracle takes edgelm's probabilities for the figures
 *    at T = 1, so that ties a few ulps apart are the same ties, and softmaxes the scores itself for T).
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eval/calib.h"
#include "tests/testutil.h"

/* n two-choice questions whose answer (choice 0) has probability p; the first n_right are right */
static el_scores two_choice(int n, double p, int n_right, double *z, int *k, int *y)
{
    for (int i = 0; i < n; i++) {
        z[2 * i] = log(p);
        z[2 * i + 1] = log(1 - p);
        k[i] = 2;
        y[i] = i < n_right ? 0 : 1;
    }
    return (el_scores){n, 2, z, k, y};
}

Test(calib, perfectly_calibrated_has_zero_ece)
{
    double z[20];
    int k[10], y[10];
    const el_scores s = two_choice(10, 0.8, 8, z, k, y);
    el_calib c;
    el_error e;
    el_error_clear(&e);
    cr_assert_eq(el_calib_compute(&s, 1, &c, &e), 0);
    cr_assert_float_eq(c.ece, 0, 1e-12, "ECE %g", c.ece);
    /* 10 questions in 15 equal-mass bins: one each, so |right - conf| averaged: (8 x 0.2 + 2 x 0.8) / 10 */
    cr_assert_float_eq(c.ece_mass, 0.32, 1e-12, "equal mass %g", c.ece_mass);
    cr_assert_float_eq(c.mce, 0, 1e-12);
    cr_assert_float_eq(c.acc, 0.8, 1e-12);
    cr_assert_eq(c.bins[11].n, 10); /* 0.8 lies in (11/15, 12/15] */
    el_calib_free(&c);
}

Test(calib, over_confident_by_hand)
{
    double z[20];
    int k[10], y[10];
    const el_scores s = two_choice(10, 0.9, 6, z, k, y);
    el_calib c;
    el_error e;
    el_error_clear(&e);
    cr_assert_eq(el_calib_compute(&s, 1, &c, &e), 0);
    cr_assert_float_eq(c.ece, 0.3, 1e-12, "ECE %g", c.ece);       /* |0.6 - 0.9| */
    cr_assert_float_eq(c.ece_mass, 0.42, 1e-12, "equal mass %g", c.ece_mass); /* (6 x 0.1 + 4 x 0.9) / 10 */
    cr_assert_float_eq(c.mce, 0.3, 1e-12);
    cr_assert_float_eq(c.brier, 0.66, 1e-12, "Brier %g", c.brier); /* (6 x 0.02 + 4 x 1.62) / 10 */
    cr_assert_float_eq(c.nll, -(6 * log(0.9) + 4 * log(0.1)) / 10, 1e-12);
    /* one threshold: everything answered at 60% */
    cr_assert_eq(c.n_rc, 1);
    cr_assert_float_eq(c.aurc, 0.4, 1e-12);
    cr_assert_null(el_rc_target(c.rc, c.n_rc, 0.9));
    el_calib_free(&c);
    /* the best T makes the confidence 0.6: ln(9) / T = ln(1.5) */
    bool bound;
    const double T = el_calib_fit_temperature(&s, &bound);
    cr_assert(!bound);
    cr_assert_float_eq(T, log(9) / log(1.5), 1e-9, "T %.12g", T);
    cr_assert_eq(el_calib_compute(&s, T, &c, &e), 0);
    cr_assert_float_eq(c.ece, 0, 1e-9, "ECE after %g", c.ece);
    el_calib_free(&c);
}

Test(calib, risk_coverage_by_hand)
{
    const double conf[] = {0.8, 0.9, 0.6, 0.8};
    const int right[] = {0, 1, 0, 1};
    el_rc_point *p;
    int n;
    double aurc;
    el_error e;
    el_error_clear(&e);
    cr_assert_eq(el_risk_coverage(conf, right, 4, &p, &n, &aurc, &e), 0);
    cr_assert_eq(n, 3);
    const double want[3][3] = {{0.9, 0.25, 1}, {0.8, 0.75, 2.0 / 3}, {0.6, 1, 0.5}};
    for (int i = 0; i < 3; i++) {
        cr_assert_float_eq(p[i].threshold, want[i][0], 1e-15);
        cr_assert_float_eq(p[i].coverage, want[i][1], 1e-15);
        cr_assert_float_eq(p[i].acc, want[i][2], 1e-15);
    }
    /* the risk at each question's own threshold: 1/3, 0, 1/2, 1/3 */
    cr_assert_float_eq(aurc, (1.0 / 3 + 0 + 0.5 + 1.0 / 3) / 4, 1e-15, "AURC %g", aurc);
    cr_assert_float_eq(el_rc_target(p, n, 0.6)->coverage, 0.75, 1e-15);
    free(p);
    /* a margin and an entropy signal by hand: p = (0.7, 0.2, 0.1) */
    const double z[3] = {log(0.7), log(0.2), log(0.1)};
    const int k3 = 3, y0 = 0;
    const el_scores s = {1, 3, z, &k3, &y0};
    double c;
    int pred;
    el_calib_answers(&s, 1, EL_CONF_MARGIN, &pred, &c);
    cr_assert_eq(pred, 0);
    cr_assert_float_eq(c, 0.5, 1e-12);
    el_calib_answers(&s, 1, EL_CONF_ENTROPY, &pred, &c);
    const double h = -(0.7 * log(0.7) + 0.2 * log(0.2) + 0.1 * log(0.1));
    cr_assert_float_eq(c, 1 - h / log(3), 1e-12);
}

Test(calib, non_finite_scores_and_degenerate_fits)
{
    /* a NaN or infinite score is refused by name; the curve over a NaN confidence still ends */
    const double z[4] = {NAN, -1, -1, -INFINITY};
    const int k[2] = {2, 2}, y[2] = {0, 1};
    el_scores s = {2, 2, z, k, y};
    el_error e;
    el_error_clear(&e);
    cr_assert_eq(el_scores_check(&s, "x.jsonl", &e), EL_EFORMAT);
    cr_assert(strstr(e.msg, "question 1, choice 1: the score is not a finite number"), "%s", e.msg);
    cr_assert_str_eq(e.path, "x.jsonl");
    el_calib c;
    cr_assert_neq(el_calib_compute(&s, 1, &c, &e), 0);
    const double conf[3] = {NAN, 0.5, NAN};
    const int right[3] = {1, 0, 1};
    el_rc_point *p;
    int n;
    double aurc;
    cr_assert_eq(el_risk_coverage(conf, right, 3, &p, &n, &aurc, &e), 0);
    cr_assert(n >= 1 && n <= 3, "%d points", n);
    free(p);
    /* scores all tied: no temperature changes anything, so 1 */
    const double tied[4] = {-2, -2, -3, -3};
    s = (el_scores){2, 2, tied, k, y};
    bool bound;
    cr_assert_float_eq(el_calib_fit_temperature(&s, &bound), 1, 1e-15);
    cr_assert(!bound);
    /* one question, answered right: sharper is always better, the bound is returned and said */
    const double one[2] = {-1, -3};
    s = (el_scores){1, 2, one, k, y};
    cr_assert_float_eq(el_calib_fit_temperature(&s, &bound), 1e-3, 1e-15);
    cr_assert(bound);
}

/* ---- eval mc against the numpy oracle ------------------------------------------------------------------ */

static json_t *load_json(const char *path)
{
    json_t *j = json_load_file(path, 0, NULL);
    cr_assert(j, "%s is not JSON", path);
    return j;
}

static double num(const json_t *j, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *save = NULL, *p = strtok_r(buf, ".", &save); p; p = strtok_r(NULL, ".", &save))
        j = json_object_get(j, p);
    cr_assert(json_is_number(j), "no number at %s", path);
    return json_number_value(j);
}

/* edgelm's calibration object (of one variant) against the oracle's */
static void same_figures(const json_t *ours, const json_t *theirs, const char *what)
{
    static const char *const keys[] = {"ece", "ece_mass", "mce", "brier", "nll", "aurc", "acc"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        cr_assert_float_eq(num(ours, keys[i]), num(theirs, keys[i]), 1e-6, "%s %s: %.9g, numpy %.9g", what, keys[i],
                           num(ours, keys[i]), num(theirs, keys[i]));
    const json_t *rc = json_object_get(ours, "risk_coverage"), *orc = json_object_get(theirs, "risk_coverage");
    cr_assert_eq(json_array_size(rc), json_array_size(orc), "%s: %zu risk-coverage points, numpy %zu", what,
                 json_array_size(rc), json_array_size(orc));
    /* the oracle's points go threshold descending, ours coverage ascending: the same order */
    for (size_t i = 0; i < json_array_size(rc); i++) {
        const json_t *p = json_array_get(rc, i), *o = json_array_get(orc, i);
        cr_assert_float_eq(num(p, "threshold"), json_number_value(json_array_get(o, 0)), 1e-12, "%s point %zu", what, i);
        cr_assert_float_eq(num(p, "coverage"), json_number_value(json_array_get(o, 1)), 1e-9, "%s point %zu", what, i);
        cr_assert_float_eq(num(p, "acc"), json_number_value(json_array_get(o, 2)), 1e-9, "%s point %zu", what, i);
    }
    const json_t *t = json_object_get(ours, "target"), *ot = json_object_get(theirs, "target");
    cr_assert_eq(json_is_null(t), json_is_null(ot), "%s: target", what);
    if (!json_is_null(t)) {
        cr_assert_float_eq(num(t, "threshold"), json_number_value(json_array_get(ot, 0)), 1e-12);
        cr_assert_float_eq(num(t, "coverage"), json_number_value(json_array_get(ot, 1)), 1e-9);
    }
}

/* The first n lines of src into dst: the cloze sets cut to a size a sanitizer build gets through in
 * minutes (the figures are compared with the oracle on whatever the set holds). */
static const char *head_lines(const char *src, const char *dst, int n)
{
    FILE *in = fopen(src, "r"), *out = fopen(dst, "w");
    cr_assert(in && out, "%s -> %s", src, dst);
    char line[65536];
    for (int i = 0; i < n && fgets(line, sizeof line, in); i++)
        fputs(line, out);
    fclose(in);
    cr_assert_eq(fclose(out), 0);
    return dst;
}

static void check_task(const char *dir, const char *model, const char *task, const char *data, const char *calib)
{
    char *ev = KF("%s/ev.json", dir), *ca = KF("%s/ca.json", dir), *or = KF("%s/or.json", dir);
    const char *args[] = {tu_bin(), "eval", "mc", model, "--task", task, "--data", data, "--per-question", "--json",
                          "--target-acc", "0.95", calib ? "--calibrate" : NULL, calib, NULL};
    tu_run r = tu_exec(args, NULL, ev);
    cr_assert_eq(r.status, 0, "%s", r.err);
    tu_run_free(&r);
    if (calib) {
        const char *cargs[] = {tu_bin(), "eval", "mc", model, "--task", task, "--data", calib, "--per-question", "--json", NULL};
        r = tu_exec(cargs, NULL, ca);
        cr_assert_eq(r.status, 0, "%s", r.err);
        tu_run_free(&r);
    }
    r = tu_exec((const char *const[]){"/usr/bin/python3", "tests/oracle/calib_oracle.py", ev, calib ? ca : "-", "0.95", NULL},
                NULL, or);
    cr_assert_eq(r.status, 0, "oracle: %s", r.err);
    tu_run_free(&r);
    json_t *ours = load_json(ev), *theirs = load_json(or);
    const json_t *cal = json_object_get(ours, "calibration");
    same_figures(json_object_get(cal, "acc"), json_object_get(theirs, "acc"), data);
    same_figures(json_object_get(cal, "acc_norm"), json_object_get(theirs, "acc_norm"), data);
    cr_assert_float_eq(num(ours, "ece"), num(theirs, "acc.ece"), 1e-6);
    if (calib) {
        const json_t *t = json_object_get(ours, "temperature");
        cr_log_info("%s on %s: ECE %.4f -> %.4f with T %.4f", model, data, num(t, "ece_before"), num(t, "ece_after"),
                    num(t, "T"));
        cr_assert_float_eq(num(t, "T") / num(theirs, "T"), 1, 1e-3, "T %.6g, numpy %.6g", num(t, "T"), num(theirs, "T"));
        cr_assert_float_eq(num(t, "T_norm") / num(theirs, "T_norm"), 1, 1e-3, "T_norm %.6g, numpy %.6g", num(t, "T_norm"),
                           num(theirs, "T_norm"));
        /* the figures after scaling: at edgelm's T against numpy's at its own T (so 1e-4, not 1e-6) */
        const json_t *after = json_object_get(json_object_get(t, "calibration"), "acc");
        cr_assert_float_eq(num(after, "ece"), num(theirs, "after.acc.ece"), 1e-4);
        cr_assert_float_eq(num(after, "nll"), num(theirs, "after.acc.nll"), 1e-6);
        cr_assert_float_eq(num(t, "ece_after"), num(after, "ece"), 1e-12);
    }
    json_decref(ours);
    json_decref(theirs);
}

Test(calib, eval_mc_equals_the_numpy_oracle, .timeout = 300)
{
    if (!tu_have_numpy())
        cr_skip_test("/usr/bin/python3 with numpy (python3-numpy) is needed for the oracle");
    char *src = KS("models/stories260K");
    if (!src)
        cr_skip_test("../shared is absent");
    char *dir = KT("calib"), *f32 = KF("%s/f32.gguf", dir), *q2 = KF("%s/q2k.gguf", dir);
    tu_ok("convert", "-q", src, "-o", f32, "--outtype", "f32", NULL);
    tu_ok("quantize", "-q", f32, q2, "Q2_K", NULL);
    static const struct {
        const char *task, *file;
    } small[] = {{"hellaswag", "hellaswag.jsonl"}, {"arc", "arc.jsonl"}, {"piqa", "piqa.jsonl"},
                 {"winogrande", "winogrande.jsonl"}, {"mmlu", "mmlu_kids_stories_test.csv"}};
    for (size_t i = 0; i < sizeof small / sizeof small[0]; i++)
        check_task(dir, f32, small[i].task, KF("tests/data/tasks/%s", small[i].file), NULL);
    const char *models[] = {f32, q2};
    for (int m = 0; m < 2; m++)
        check_task(dir, models[m], "hellaswag", head_lines("tests/data/tasks/cloze_eval.jsonl", KF("%s/eval.jsonl", dir), 200),
                   head_lines("tests/data/tasks/cloze_calib.jsonl", KF("%s/calib.jsonl", dir), 200));
    tu_rmtree(dir);
    tu_release();
}

/* ---- eval route ----------------------------------------------------------------------------------------- */

/* Per question from `eval mc --per-question`: right or not, and the answer's probability among the choices. */
static int per_question(const char *path, int *right, double *conf, int cap)
{
    json_t *j = load_json(path);
    const json_t *qs = json_object_get(j, "questions");
    const int n = (int)json_array_size(qs);
    cr_assert(n > 0 && n <= cap);
    for (int i = 0; i < n; i++) {
        const json_t *q = json_array_get(qs, (size_t)i), *ll = json_object_get(q, "ll");
        right[i] = num(q, "pred") == num(q, "label");
        double best = -INFINITY, z = 0;
        for (size_t k = 0; k < json_array_size(ll); k++)
            best = fmax(best, json_number_value(json_array_get(ll, k)));
        for (size_t k = 0; k < json_array_size(ll); k++)
            z += exp(json_number_value(json_array_get(ll, k)) - best);
        conf[i] = 1 / z;
    }
    json_decref(j);
    return n;
}

static int by_conf_then_index(const void *a, const void *b, void *arg)
{
    const double *c = arg;
    const int x = *(const int *)a, y = *(const int *)b;
    return c[x] < c[y] ? -1 : c[x] > c[y] ? 1 : x - y;
}

Test(route, hybrid_accuracy_equals_the_answers_of_both_models, .timeout = 300)
{
    char *src = KS("models/stories260K");
    if (!src)
        cr_skip_test("../shared is absent");
    char *dir = KT("route"), *f32 = KF("%s/f32.gguf", dir), *q2 = KF("%s/q2k.gguf", dir);
    const char *data = head_lines("tests/data/tasks/cloze_eval.jsonl", KF("%s/eval.jsonl", dir), 200);
    tu_ok("convert", "-q", src, "-o", f32, "--outtype", "f32", NULL);
    tu_ok("quantize", "-q", f32, q2, "Q2_K", NULL);
    /* the oracle: each model's answers by eval mc, routed by hand */
    enum { CAP = 1000 };
    static int er[CAP], cr_[CAP], order[CAP];
    static double ec[CAP], cc[CAP];
    char *ej = KF("%s/e.json", dir), *cj = KF("%s/c.json", dir);
    const char *ea[] = {tu_bin(), "eval", "mc", q2, "--task", "hellaswag", "--data", data, "--per-question", "--json", NULL};
    const char *ca[] = {tu_bin(), "eval", "mc", f32, "--task", "hellaswag", "--data", data, "--per-question", "--json", NULL};
    tu_run r = tu_exec(ea, NULL, ej);
    cr_assert_eq(r.status, 0, "%s", r.err);
    tu_run_free(&r);
    r = tu_exec(ca, NULL, cj);
    cr_assert_eq(r.status, 0, "%s", r.err);
    tu_run_free(&r);
    const int n = per_question(ej, er, ec, CAP);
    cr_assert_eq(per_question(cj, cr_, cc, CAP), n);
    for (int i = 0; i < n; i++)
        order[i] = i;
    qsort_r(order, (size_t)n, sizeof *order, by_conf_then_index, ec);
    int edge_right = 0, cloud_right = 0, gain = 0, loss = 0;
    for (int i = 0; i < n; i++) {
        edge_right += er[i];
        cloud_right += cr_[i];
        gain += !er[i] && cr_[i];
        loss += er[i] && !cr_[i];
    }

    json_t *j = tu_edgelm_json(0, "eval", "route", "--edge", q2, "--cloud", f32, "--task", "hellaswag", "--data", data, "--sweep",
                               NULL);
    cr_assert_eq(tu_jnum(j, "n"), n);
    cr_assert_float_eq(tu_jnum(j, "edge_acc"), (double)edge_right / n, 1e-12);
    cr_assert_float_eq(tu_jnum(j, "cloud_acc"), (double)cloud_right / n, 1e-12);
    const double t_edge = tu_jnum(j, "edge_latency_ms"), t_cloud = tu_jnum(j, "cloud_latency_ms");
    cr_assert(t_edge > 0 && t_cloud > 0, "measured times %g %g ms", t_edge, t_cloud);
    const json_t *sw = json_object_get(j, "sweep");
    const size_t np = json_array_size(sw);
    cr_assert(np >= 2);
    double best_so_far = 0, worst_drop = 0;
    for (size_t p = 0; p < np; p++) {
        const json_t *pt = json_array_get(sw, p);
        const int m = (int)num(pt, "n_routed");
        int right = 0;
        for (int i = 0; i < n; i++) /* the m least confident go to the cloud */
            right += i < m ? cr_[order[i]] : er[order[i]];
        cr_assert_float_eq(num(pt, "hybrid_acc"), (double)right / n, 1e-12, "point %zu: %d routed", p, m);
        /* a perfect router sending m: the gains, then the questions both agree on, the losses last */
        const int m_loss = m > n - loss ? m - (n - loss) : 0;
        cr_assert_float_eq(num(pt, "oracle_acc"), (double)(edge_right + (m < gain ? m : gain) - m_loss) / n, 1e-12);
        cr_assert(num(pt, "oracle_acc") >= num(pt, "hybrid_acc"));
        cr_assert_float_eq(num(pt, "routed"), (double)m / n, 1e-12);
        best_so_far = fmax(best_so_far, num(pt, "hybrid_acc"));
        worst_drop = fmax(worst_drop, best_so_far - num(pt, "hybrid_acc"));
    }
    const json_t *first = json_array_get(sw, 0), *last = json_array_get(sw, np - 1);
    /* 0% routed is the edge alone, 100% the cloud alone, in accuracy and in time */
    cr_assert_eq(num(first, "n_routed"), 0);
    cr_assert_float_eq(num(first, "hybrid_acc"), tu_jnum(j, "edge_acc"), 1e-12);
    cr_assert_float_eq(num(first, "hybrid_latency_ms"), t_edge, 1e-6);
    cr_assert_eq(num(last, "n_routed"), n);
    cr_assert_float_eq(num(last, "hybrid_acc"), tu_jnum(j, "cloud_acc"), 1e-12);
    cr_assert_float_eq(num(last, "oracle_acc"), tu_jnum(j, "cloud_acc"), 1e-12, "routing everything, a router has no choice");
    cr_assert_float_eq(num(last, "hybrid_latency_ms"), t_edge + t_cloud, 1e-6);
    /* rising with the share routed, within noise: never more than 2% below the best so far */
    cr_log_info("route: edge %.4f, cloud %.4f, worst drop %.4f over %zu points", tu_jnum(j, "edge_acc"), tu_jnum(j, "cloud_acc"),
                worst_drop, np);
    cr_assert(worst_drop <= 0.02, "hybrid accuracy falls %.4f below its best", worst_drop);
    json_decref(j);

    /* at a threshold: only the questions below it are asked of the cloud */
    j = tu_edgelm_json(0, "eval", "route", "--edge", q2, "--cloud", f32, "--task", "hellaswag", "--data", data, "--threshold",
                       "0.7", NULL);
    int below = 0, right = 0;
    for (int i = 0; i < n; i++) {
        below += ec[i] < 0.7;
        right += ec[i] < 0.7 ? cr_[i] : er[i];
    }
    cr_assert_eq(tu_jnum(j, "cloud_n"), below);
    cr_assert_eq(tu_jnum(j, "n_routed"), below);
    cr_assert_float_eq(tu_jnum(j, "hybrid_acc"), (double)right / n, 1e-12);
    cr_assert(json_is_null(json_object_get(j, "cloud_acc")) && json_is_null(json_object_get(j, "oracle_acc")));
    /* report takes such a record (no sweep) without a chart */
    char *rj = KF("%s/route.json", dir), *rep = KF("%s/rep", dir);
    cr_assert_eq(json_dump_file(j, rj, 0), 0);
    tu_ok("report", "-q", ej, rj, "-o", rep, NULL);
    cr_assert_neq(access(KF("%s/route.svg", rep), F_OK), 0, "no sweep, no route chart");
    json_decref(j);
    /* a target no threshold reaches: the point routing everything, said so */
    j = tu_edgelm_json(0, "eval", "route", "--edge", q2, "--cloud", f32, "--task", "hellaswag", "--data", data, "--target-acc",
                       "1", NULL);
    cr_assert(json_is_false(json_object_get(j, "reached")));
    cr_assert_eq(tu_jnum(j, "n_routed"), n);
    cr_assert_float_eq(tu_jnum(j, "hybrid_acc"), (double)cloud_right / n, 1e-12);
    json_decref(j);

    /* a target accuracy: the least routing that reaches it */
    j = tu_edgelm_json(0, "eval", "route", "--edge", q2, "--cloud", f32, "--task", "hellaswag", "--data", data, "--target-acc",
                       "0.76", NULL);
    cr_assert(json_is_true(json_object_get(j, "reached")));
    cr_assert(tu_jnum(j, "hybrid_acc") >= 0.76);
    const json_t *tsw = json_object_get(j, "sweep");
    for (size_t p = 0; p < json_array_size(tsw); p++) {
        const json_t *pt = json_array_get(tsw, p);
        if (num(pt, "n_routed") < tu_jnum(j, "n_routed"))
            cr_assert(num(pt, "hybrid_acc") < 0.76, "point %zu routes less and reaches 0.76", p);
    }
    json_decref(j);

    /* errors */
    tu_run e = tu_edgelm("eval", "route", "--edge", q2, "--task", "hellaswag", "--data", data, NULL);
    cr_assert_eq(e.status, 2, "%s", e.err);
    tu_run_free(&e);
    e = tu_edgelm("eval", "route", "--edge", q2, "--cloud", f32, "--task", "hellaswag", "--data", data, "--signal", "vibes", NULL);
    cr_assert_eq(e.status, 2, "%s", e.err);
    cr_assert(strstr(e.err, "vibes"), "%s", e.err);
    tu_run_free(&e);
    e = tu_edgelm("eval", "route", "--edge", q2, "--cloud", f32, "--task", "hellaswag", "--data", data, "--threshold", "0.7",
                  "--target-acc", "0.8", NULL);
    cr_assert_eq(e.status, 2, "%s", e.err);
    cr_assert(strstr(e.err, "give one of --threshold and --target-acc"), "%s", e.err);
    tu_run_free(&e);
    static const char *const bad[][2] = {{"--threshold", "-1"}, {"--target-acc", "0"}, {"--threshold", "1.5"}};
    for (int b = 0; b < 3; b++) {
        e = tu_edgelm("eval", "route", "--edge", q2, "--cloud", f32, "--task", "hellaswag", "--data", data, bad[b][0], bad[b][1],
                      NULL);
        cr_assert_eq(e.status, 2, "%s %s: %s", bad[b][0], bad[b][1], e.err);
        cr_assert(strstr(e.err, "out of range"), "%s", e.err);
        tu_run_free(&e);
    }
    /* a calibration file that cannot be read fails before the evaluation's work and output */
    e = tu_edgelm("eval", "mc", f32, "--task", "hellaswag", "--data", data, "--calibrate", KF("%s/none.jsonl", dir), NULL);
    cr_assert_eq(e.status, 1, "%s", e.err);
    cr_assert_eq(e.out_len, 0, "printed before failing: %s", e.out);
    cr_assert(strstr(e.err, "none.jsonl"), "%s", e.err);
    tu_run_free(&e);
    char *missing = KF("%s/none.gguf", dir);
    e = tu_edgelm("eval", "route", "--edge", q2, "--cloud", missing, "--task", "hellaswag", "--data", data, "--threshold", "0",
                  NULL);
    cr_assert_eq(e.status, 1, "%s", e.err);
    cr_assert(strstr(e.err, missing), "%s", e.err);
    tu_run_free(&e);
    tu_rmtree(dir);
    tu_release();
}
