/*
 * eval/route.c - the hybrid edge/cloud evaluation (see route.h).
 */
#include "eval/route.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "engine/lm.h"
#include "eval/mc.h"

void el_route_result_free(el_route_result *r)
{
    free(r->sweep);
    r->sweep = NULL;
    r->n_sweep = 0;
}

/* Per question: whether each model is right, its time, the edge's confidence. cloud_right < 0: not asked. */
typedef struct route_q {
    double conf, t_edge, t_cloud;
    int edge_right, cloud_right;
} route_q;

/* The routing at threshold t: everything below it goes to the cloud. */
static el_route_point point_at(const route_q *q, int n, double t, bool all_known)
{
    int routed = 0, right = 0, edge_right = 0, gain = 0, loss = 0;
    double time = 0;
    for (int i = 0; i < n; i++) {
        const bool go = q[i].conf < t;
        routed += go;
        right += go ? q[i].cloud_right == 1 : q[i].edge_right;
        edge_right += q[i].edge_right;
        gain += !q[i].edge_right && q[i].cloud_right == 1;
        loss += q[i].edge_right && q[i].cloud_right == 0;
        time += q[i].t_edge + (go ? q[i].t_cloud : 0);
    }
    el_route_point p = {t, (double)routed / n, (double)right / n, -1, time / n, routed};
    if (all_known) /* a perfect router sending `routed`: the gains first, then those where both agree, the losses last */
        p.oracle_acc = (double)(edge_right + EL_MIN(routed, gain) - EL_MAX(0, routed - (n - loss))) / n;
    return p;
}

static int by_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Every threshold that changes the routing, ascending: each distinct confidence, then one above all. */
static int sweep(const route_q *q, int n, el_route_result *r, el_error *err)
{
    double *c = malloc((size_t)n * sizeof *c);
    r->sweep = malloc(((size_t)n + 1) * sizeof *r->sweep);
    if (!c || !r->sweep) {
        free(c);
        return EL_NOMEM(err);
    }
    for (int i = 0; i < n; i++)
        c[i] = q[i].conf;
    qsort(c, (size_t)n, sizeof *c, by_double);
    int m = 0;
    for (int i = 0; i < n; i++)
        if (i == 0 || c[i] != c[i - 1])
            r->sweep[m++] = point_at(q, n, c[i], true);
    /* routing everything: every signal is at most 1, so 1 does unless a confidence is exactly 1 */
    r->sweep[m++] = point_at(q, n, c[n - 1] < 1 ? 1 : 2, true);
    r->n_sweep = m;
    free(c);
    return 0;
}

/* The edge's answers: right or not, time, confidence under the signal. */
static int run_edge(const el_route_opts *o, const el_mc_set *set, route_q *q, el_route_result *r, el_error *err)
{
    el_mc_opts mo = {o->edge, o->task, o->data, 0, o->threads, 0.7, o->progress, set, true};
    el_mc_result mr;
    int rc = el_eval_mc(&mo, &mr, err);
    if (rc)
        return rc;
    double *conf = malloc((size_t)set->n * sizeof *conf);
    int *pred = malloc((size_t)set->n * sizeof *pred);
    if (!conf || !pred)
        rc = EL_NOMEM(err);
    if (!rc) {
        const el_scores s = el_mc_scores(&mr, false);
        el_calib_answers(&s, 1, o->signal, pred, conf);
        double t = 0;
        for (int i = 0; i < set->n; i++) {
            q[i] = (route_q){conf[i], mr.latency[i], 0, pred[i] == mr.label[i], -1};
            t += mr.latency[i];
        }
        r->edge_acc = mr.acc;
        r->edge_latency = t / set->n;
        r->edge_model = mr.model;
    }
    free(conf);
    free(pred);
    el_mc_result_free(&mr);
    return rc;
}

/* The cloud's answers to the questions routed at o->threshold, or to all of them. */
static int run_cloud(const el_route_opts *o, const el_mc_set *set, bool all, route_q *q, el_route_result *r,
                     el_error *err)
{
    el_mc_set sub = {malloc((size_t)set->n * sizeof *sub.items), 0};
    int *from = malloc((size_t)set->n * sizeof *from);
    if (!sub.items || !from) {
        free(sub.items);
        free(from);
        return EL_NOMEM(err);
    }
    for (int i = 0; i < set->n; i++)
        if (all || q[i].conf < o->threshold) {
            from[sub.n] = i;
            sub.items[sub.n++] = set->items[i]; /* borrowed: freed with set */
        }
    int rc = 0;
    r->cloud_n = sub.n;
    if (!sub.n) { /* nothing routed: the cloud model still has to load, and its figures are reported */
        el_lm lm;
        if (!(rc = el_lm_open(&lm, o->cloud, err))) {
            el_model_info_of(lm.model, &r->cloud_model);
            el_lm_close(&lm);
        }
    } else {
        el_mc_opts mo = {o->cloud, o->task, o->data, 0, o->threads, 0.7, o->progress, &sub, true};
        el_mc_result mr;
        if (!(rc = el_eval_mc(&mo, &mr, err))) {
            double t = 0;
            for (int j = 0; j < sub.n; j++) {
                q[from[j]].cloud_right = mr.pred[j] == mr.label[j];
                q[from[j]].t_cloud = mr.latency[j];
                t += mr.latency[j];
            }
            r->cloud_latency = t / sub.n;
            r->cloud_acc = all ? mr.acc : -1;
            r->cloud_model = mr.model;
            el_mc_result_free(&mr);
        }
    }
    free(sub.items);
    free(from);
    return rc;
}

int el_eval_route(const el_route_opts *o, el_route_result *r, el_error *err)
{
    memset(r, 0, sizeof *r);
    r->cloud_acc = -1;
    const double t0 = el_now();
    el_mc_set set = {0};
    route_q *q = NULL;
    const bool all = o->sweep || o->target_acc > 0;
    int rc = el_mc_load(o->task, o->data, o->limit, &set, err);
    if (!rc && set.n == 0)
        rc = EL_FAIL(err, EL_EFORMAT, o->data, -1, "no questions");
    if (!rc && !(q = malloc((size_t)set.n * sizeof *q)))
        rc = EL_NOMEM(err);
    if (!rc)
        rc = run_edge(o, &set, q, r, err);
    if (!rc)
        rc = run_cloud(o, &set, all, q, r, err);
    r->n = set.n;
    if (!rc && all)
        rc = sweep(q, set.n, r, err);
    if (!rc) {
        r->at = point_at(q, set.n, o->threshold, all);
        if (o->target_acc > 0) { /* unreached: the point routing everything, the closest there is */
            r->reached = false;
            r->at = r->sweep[r->n_sweep - 1];
            for (int i = 0; i < r->n_sweep && !r->reached; i++)
                if (r->sweep[i].hybrid_acc >= o->target_acc) {
                    r->at = r->sweep[i];
                    r->reached = true;
                }
        }
    }
    r->seconds = el_now() - t0;
    if (rc)
        el_route_result_free(r);
    free(q);
    el_mc_set_free(&set);
    return rc;
}
