/*
 * eval/route.h - a hybrid edge/cloud system, measured end to end on a multiple-choice task.
 *
 * The edge (small) model answers every question, timed one question at a time on this machine; a
 * question goes to the cloud (large) model when the edge's confidence is below the threshold (signal:
 * eval/calib.h's prob, margin or entropy of the edge's choice probabilities). The cloud model answers
 * the routed questions only, or every question for a sweep (or a target accuracy), which then gives,
 * at every threshold that changes the routing (each distinct edge confidence, and one routing all:
 * 1, or 2 when a confidence is exactly 1):
 *   hybrid_acc      the routed questions scored by the cloud's answers, the others by the edge's
 *   routed          the share routed
 *   oracle_acc      a perfect router sending the same number m of questions: first those the edge
 *                   gets wrong and the cloud right (A of them), then those both get right or both
 *                   wrong, last those only the edge gets right (D): edge right + min(m, A)
 *                   - max(0, m - (n - D)); at 100% routed it is the cloud's accuracy
 *   hybrid_latency  the mean over the questions of the edge's time, plus the cloud's where routed
 * Times are each question's scoring (every choice through the model), measured, not estimated;
 * loading the models is not in them.
 */
#ifndef EL_EVAL_ROUTE_H
#define EL_EVAL_ROUTE_H

#include <stdbool.h>

#include "core/error.h"
#include "core/progress.h"
#include "datasets/tasks.h"
#include "engine/model_info.h"
#include "eval/calib.h"

typedef struct el_route_opts {
    const char *edge, *cloud;
    el_mc_task task;
    const char *data;
    int limit, threads;
    el_conf_signal signal;
    bool sweep;          /* the cloud answers everything: the curve over every threshold */
    double threshold;    /* route below it (without sweep) */
    double target_acc;   /* > 0: implies sweep; the threshold routing least that reaches it (unreached: routing all) */
    el_progress *progress;
} el_route_opts;

typedef struct el_route_point {
    double threshold, routed, hybrid_acc, oracle_acc, hybrid_latency; /* oracle_acc < 0: unknown */
    int n_routed;
} el_route_point;

typedef struct el_route_result {
    int n;
    double edge_acc, cloud_acc;           /* cloud_acc < 0: the cloud did not answer everything */
    double edge_latency, cloud_latency;   /* mean seconds per question of each path */
    int cloud_n;                          /* questions the cloud answered */
    el_route_point at;                    /* at the threshold (given, or the target's) */
    bool reached;                         /* target_acc: whether any threshold reaches it */
    el_route_point *sweep;                /* sweep: threshold ascending (routed ascending); malloc'd */
    int n_sweep;
    el_model_info edge_model, cloud_model;
    double seconds;
} el_route_result;

int el_eval_route(const el_route_opts *o, el_route_result *r, el_error *err);
void el_route_result_free(el_route_result *r);

#endif
