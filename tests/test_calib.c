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
 *    1e-6, the fitted temperature to 1e-3 (relative), the risk-coverage points to 1e-9 (1e-7 for thresholds: the JSON's 9 digits).
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
    const double T = el_calib_fit_temperature(&s);
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

/* ---- eval mc against the numpy oracle ------------------------------------------------------------------ */

static bool have_numpy(void)
{
    if (access("/usr/bin/python3", X_OK) != 0)
        return false;
    tu_run np = tu_exec((const char *const[]){"/usr/bin/python3", "-c", "import numpy", NULL}, NULL, NULL);
    const bool ok = np.status == 0;
    tu_run_free(&np);
    return ok;
}

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
    /* the oracle's points go threshold descending, ours coverage ascending: the same order. The JSON
     * carries 9 significant digits, and the oracle's probabilities come from the printed scores. */
    for (size_t i = 0; i < json_array_size(rc); i++) {
        const json_t *p = json_array_get(rc, i), *o = json_array_get(orc, i);
        cr_assert_float_eq(num(p, "threshold"), json_number_value(json_array_get(o, 0)), 1e-7, "%s point %zu", what, i);
        cr_assert_float_eq(num(p, "coverage"), json_number_value(json_array_get(o, 1)), 1e-9, "%s point %zu", what, i);
        cr_assert_float_eq(num(p, "acc"), json_number_value(json_array_get(o, 2)), 1e-9, "%s point %zu", what, i);
    }
    const json_t *t = json_object_get(ours, "target"), *ot = json_object_get(theirs, "target");
    cr_assert_eq(json_is_null(t), json_is_null(ot), "%s: target", what);
    if (!json_is_null(t)) {
        cr_assert_float_eq(num(t, "threshold"), json_number_value(json_array_get(ot, 0)), 1e-7);
        cr_assert_float_eq(num(t, "coverage"), json_number_value(json_array_get(ot, 1)), 1e-9);
    }
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
    if (!have_numpy())
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
        check_task(dir, models[m], "hellaswag", "tests/data/tasks/cloze_eval.jsonl", "tests/data/tasks/cloze_calib.jsonl");
    tu_rmtree(dir);
    tu_release();
}
