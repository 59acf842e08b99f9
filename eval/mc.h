/*
 * eval/mc.h - multiple-choice accuracy by log-likelihood, as lm-evaluation-harness's
 * loglikelihood requests score it.
 *
 * Each choice is scored by the sum of log p of its continuation's tokens given its context. The
 * continuation's tokens are those of tokenize(context + continuation) after tokenize(context)'s
 * (the harness's _encode_pair; spaces that end the context move to the continuation), and the
 * sequence starts with BOS when the model adds one. acc takes the choice with the highest sum;
 * acc_norm divides each sum by its continuation's length in bytes first. Ties go to the first.
 *
 * Sequences of several questions go through the model side by side, so the weights are read once
 * for a batch of them.
 */
#ifndef EL_EVAL_MC_H
#define EL_EVAL_MC_H

#include "core/error.h"
#include "core/progress.h"
#include "datasets/tasks.h"
#include "engine/model_info.h"
#include "eval/calib.h"

typedef struct el_mc_opts {
    const char *model_path;
    el_mc_task task;
    const char *data;
    int limit;                /* 0: all questions */
    int threads;
    double confidence;        /* threshold of the confidence view (0.7) */
    el_progress *progress;
    const el_mc_set *set;     /* questions already loaded (task, data and limit then only name them); or NULL */
    bool timed;               /* one question per pass, its wall time into latency[] (slower: for routing) */
} el_mc_opts;

typedef struct el_mc_result {
    int n;
    double acc, acc_stderr, acc_ci[2];
    double acc_norm, acc_norm_stderr, acc_norm_ci[2];
    double coverage, conf_acc;  /* answers whose probability >= threshold: their share, their accuracy */
    int conf_n;
    double seconds;
    double *ll;                 /* per question, EL_MC_MAX_CHOICES log-likelihoods (malloc'd) */
    int *pred, *pred_norm;      /* per question: the choice acc and acc_norm take */
    int *label;                 /* per question: the right one */
    int *n_choices;             /* per question */
    double *ll_norm;            /* as ll, each divided by its continuation's length in bytes (acc_norm's scores) */
    double *latency;            /* per question, seconds to score its choices (o->timed only; else NULL) */
    el_model_info model;        /* the model evaluated */
} el_mc_result;

int el_eval_mc(const el_mc_opts *o, el_mc_result *r, el_error *err);
void el_mc_result_free(el_mc_result *r);

/* The result's scores for eval/calib.h: acc's (the log-likelihoods) or acc_norm's. */
el_scores el_mc_scores(const el_mc_result *r, bool norm);

/* Wilson score interval at 95% for k successes in n. */
void el_wilson95(int k, int n, double ci[2]);

#endif
