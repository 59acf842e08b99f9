/*
 * eval/calib.h - is a model's confidence worth routing on: calibration, selective prediction and
 * temperature scaling, from per-question scores over a few choices.
 *
 * Each question i has scores z[i][0..k_i) (log-likelihoods, or their length-normalised form) and a
 * right choice y_i. Its probabilities are p = softmax(z / T) (T = 1 unless fitted); the answer is the
 * argmax (the first on ties) and its confidence c_i is a signal of p:
 *   prob     max_k p_k (the default)
 *   margin   p_(1) - p_(2), the two largest
 *   entropy  1 - H(p) / ln k_i (1: certain, 0: uniform; 1 when k_i = 1)
 * The figures (every one a mean over the n questions):
 *   ECE      sum_b |B_b|/n * |acc(B_b) - conf(B_b)|. Equal width: 15 bins, question i in bin
 *            ceil(15 c_i) - 1 clamped to 0..14 (bins (0,1/15], .., (14/15,1]). Equal mass: the questions
 *            sorted by c (ties by index) cut at floor(b n / 15).
 *   MCE      max over the non-empty equal-width bins of |acc - conf|
 *   Brier    mean of sum_k (p_k - [k = y])^2 over the choices (Brier's multi-class score)
 *   NLL      mean of -ln p_y
 *   risk-coverage: for every distinct confidence t (descending), the questions with c >= t: their
 *            share (coverage) and accuracy. AURC = mean over i of the risk (1 - accuracy) of the
 *            questions with c >= c_i (ties count as one threshold, so the order among them is moot).
 *   target   the point of largest coverage whose accuracy >= the target.
 * Temperature scaling fits T > 0 minimising the NLL on a calibration set (convex in 1/T: bisection on
 * the derivative in ln(1/T) over [1e-3, 1e3]; the bound is returned when the minimum lies beyond it).
 */
#ifndef EL_EVAL_CALIB_H
#define EL_EVAL_CALIB_H

#include <jansson.h>
#include <stdbool.h>

#include "core/error.h"

enum { EL_CALIB_BINS = 15 };

typedef enum el_conf_signal { EL_CONF_PROB, EL_CONF_MARGIN, EL_CONF_ENTROPY } el_conf_signal;

bool el_conf_signal_from_name(const char *name, el_conf_signal *out);
const char *el_conf_signal_name(el_conf_signal s);

/* n questions; question i's k[i] scores at z + i * stride, its right choice y[i]. */
typedef struct el_scores {
    int n, stride;
    const double *z;
    const int *k, *y;
} el_scores;

/* Question i's probabilities over its choices at temperature T (p: k[i] of them); returns the argmax. */
int el_calib_probs(const el_scores *s, int i, double T, double *p);

/* The answer of each question (argmax) and its confidence under signal, at temperature T. */
void el_calib_answers(const el_scores *s, double T, el_conf_signal signal, int *pred, double *conf);

typedef struct el_rc_point {
    double threshold, coverage, acc;
    int n;
} el_rc_point;

typedef struct el_reliability_bin {
    double lo, hi, conf, acc; /* the bin's edges, its mean confidence and accuracy (0 when empty) */
    int n;
} el_reliability_bin;

typedef struct el_calib {
    int n;
    double acc, ece, ece_mass, mce, brier, nll, aurc;
    el_reliability_bin bins[EL_CALIB_BINS];
    el_rc_point *rc;  /* risk-coverage points, coverage ascending (malloc'd) */
    int n_rc;
} el_calib;

/* Every figure above of the scores at temperature T with the prob signal (el_scores_check first). */
int el_calib_compute(const el_scores *s, double T, el_calib *out, el_error *err);
void el_calib_free(el_calib *c);

/* ECE over (conf, right) pairs, equal-width (max_err: MCE, may be NULL; bins: may be NULL) or equal
 * mass; and the risk-coverage curve. Used by el_calib_compute and by eval route for any signal. */
double el_ece_width(const double *conf, const int *right, int n, double *mce, el_reliability_bin *bins);
int el_ece_mass(const double *conf, const int *right, int n, double *ece, el_error *err);
int el_risk_coverage(const double *conf, const int *right, int n, el_rc_point **pts, int *n_pts, double *aurc,
                     el_error *err);

/* The point reaching target accuracy with the largest coverage; NULL when none does. */
const el_rc_point *el_rc_target(const el_rc_point *pts, int n_pts, double target);

/* The mean NLL of the right choices at temperature T. */
double el_calib_nll(const el_scores *s, double T);

/* EL_EFORMAT naming `what` when a score is NaN or infinite, a question has no choice, or a right
 * choice is out of range (the figures above assume none). */
int el_scores_check(const el_scores *s, const char *what, el_error *err);

/* The temperature minimising el_calib_nll; *at_bound (may be NULL) set when the minimum lies at or
 * beyond 1e-3 or 1e3 (a set the model gets all right, or all wrong, with margin). Scores all tied
 * (no temperature changes anything) give 1. */
double el_calib_fit_temperature(const el_scores *s, bool *at_bound);

/* {n, acc, ece, ece_mass, mce, brier, nll, aurc, reliability: [{lo, hi, n, conf, acc}], risk_coverage:
 * [{threshold, coverage, acc, n}], target: {acc, threshold, coverage, n} or null}; NULL when out of memory. */
json_t *el_calib_json(const el_calib *c, double target);

#endif
