/*
 * cmd/eval.c - `edgelm eval ppl|kld|mc`: what a model variant loses, in the figures llama.cpp and
 * lm-evaluation-harness report.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/json.h"
#include "eval/mc.h"
#include "engine/model_info.h"
#include "eval/perplexity.h"
#include "eval/route.h"

static const char usage[] = "eval ppl|kld|mc MODEL.gguf [options] | eval route --edge S.gguf --cloud L.gguf [options]\n"
                            "           ('edgelm eval SUB --help' for each)";
static const char summary[] =
    "Accuracy of a model on this machine:\n"
    "  ppl  perplexity over a text, llama-perplexity's method\n"
    "  kld  KL divergence from a base model or a llama.cpp logits file (--kl-divergence-base)\n"
    "  mc   multiple-choice tasks (hellaswag, arc, piqa, winogrande, mmlu) scored as\n"
    "       lm-evaluation-harness does, with calibration and the confidence view for routing\n"
    "  route  a hybrid system on a multiple-choice task: the small model answers, the large one\n"
    "       where the small one's confidence is below a threshold; accuracy, share routed, latency\n"
    "--fail-if 'KEY>NUM,...' exits 3 when a condition on the result's numbers holds (CI gates).";

static const char usage_ppl[] = "eval ppl MODEL.gguf -f TEXT [-c 512] [-b 2048] [--chunks N] [-t N] [--save-logits FILE] "
                                "[--fail-if EXPR] [--json]";
static const char summary_ppl[] =
    "Perplexity as llama-perplexity computes it: chunks of -c tokens, BOS at each chunk's start,\n"
    "the second half of each chunk scored. Prints PPL = x +/- y. TEXT may be .gz or ARCHIVE:MEMBER.\n"
    "--save-logits writes llama.cpp's --kl-divergence-base file for later `eval kld --base-logits`.\n"
    "JSON: ppl, ppl_err, n_tokens (scored), n_chunks, n_ctx, seconds, eval_tps, and the model's fields.";

static const char usage_kld[] = "eval kld MODEL.gguf (--base BASE.gguf | --base-logits FILE) [-f TEXT] [-c 512] [-b 2048] "
                                "[--chunks N] [-t N] [--save-logits FILE] [--fail-if EXPR] [--json]";
static const char summary_kld[] =
    "KL divergence of MODEL from a base at every scored position (llama-perplexity --kl-divergence):\n"
    "mean +/- error and quantiles, same top token rate, RMS of the change in the right token's\n"
    "probability, and ln(PPL ratio). The base is a model run on the same tokens (-f TEXT needed;\n"
    "--save-logits keeps its logits) or a logits file from llama-perplexity or --save-logits, whose\n"
    "tokens are then evaluated (-f TEXT, if given, must tokenize to them).\n"
    "JSON: kld_mean, kld_err, kld_quantiles, same_top, same_top_err, rms_dp, rms_dp_err, dp_mean,\n"
    "ppl, ppl_err, ppl_base, ppl_base_err, ln_ppl_ratio, ln_ppl_ratio_err, n_tokens, n_chunks, n_ctx.";

static const char usage_mc[] = "eval mc MODEL.gguf --task hellaswag|arc|piqa|winogrande|mmlu --data FILE [--limit N] "
                               "[--confidence 0.7] [--target-acc 0.9] [--calibrate FILE] [--per-question] [-t N] "
                               "[--fail-if EXPR] [--json]";
static const char summary_mc[] =
    "Multiple-choice accuracy by log-likelihood, as lm-evaluation-harness scores it: acc picks the\n"
    "choice with the highest log-likelihood, acc_norm divides it by the choice's length in bytes.\n"
    "Both with 95% intervals (Wilson). The confidence view: the model's probability of its answer\n"
    "(softmax over the choices); accuracy and coverage of the answers at or above --confidence T.\n"
    "Calibration of that probability (docs/calibration.md): ECE (15 equal-width bins; equal-mass too),\n"
    "MCE, Brier score, NLL of the right choice, the risk-coverage curve and its area (AURC), and the\n"
    "threshold whose answers reach --target-acc with the most coverage. --calibrate FILE (the same\n"
    "task, another split) fits a temperature T minimising the NLL there and reports the figures here\n"
    "before and after dividing the scores by T.\n"
    "FILE: the task's standard format (jsonl; MMLU csv), also .gz or ARCHIVE:MEMBER.\n"
    "JSON: acc, acc_stderr, acc_ci95, acc_norm, acc_norm_stderr, acc_norm_ci95, n, confidence\n"
    "{threshold, coverage, acc, n}, ece, ece_mass, mce, brier, nll, aurc, target_threshold,\n"
    "target_coverage (acc's; null when no threshold reaches the target), calibration {acc, acc_norm}\n"
    "(each: the figures, reliability bins, risk_coverage points, target), temperature {...} with\n"
    "--calibrate, questions [{line, label, pred, ll, bytes, p, p_norm}] with --per-question (then every number\n"
    "has 17 significant digits: the doubles exactly), seconds.";

static const char usage_route[] =
    "eval route --edge S.gguf --cloud L.gguf --task hellaswag|arc|piqa|winogrande|mmlu --data FILE [--limit N]\n"
    "           [--threshold 0.7 | --target-acc A | --sweep] [--signal prob|margin|entropy] [-t N] [--fail-if EXPR] "
    "[--json]";
static const char summary_route[] =
    "A hybrid edge/cloud system measured end to end (docs/calibration.md). The edge model answers\n"
    "every question, timed one question at a time; a question whose confidence (the signal: the\n"
    "answer's probability among the choices, the margin over the second, or 1 - normalised entropy)\n"
    "is below --threshold goes to the cloud model, which answers only those. --sweep has the cloud\n"
    "answer everything and reports every threshold that changes the routing; --target-acc A (implies\n"
    "the sweep) picks the threshold routing least whose hybrid accuracy reaches A. Reported: edge-only\n"
    "and cloud-only accuracy, the measured mean time per question of each path, and at the\n"
    "threshold the share routed, the hybrid accuracy and mean time, and a perfect router's accuracy\n"
    "at the same share (when the cloud answered everything).\n"
    "JSON: n, signal, edge, cloud, edge_acc, cloud_acc (null unless all answered), edge_latency_ms,\n"
    "cloud_latency_ms, cloud_n, threshold, routed, n_routed, hybrid_acc, hybrid_latency_ms, oracle_acc,\n"
    "target_acc and reached (with --target-acc), sweep [{threshold, routed, n_routed, hybrid_acc,\n"
    "oracle_acc, hybrid_latency_ms}], edge_model and cloud_model {the models' fields}, seconds.";

typedef struct eval_flags {
    const char *text, *save, *base, *base_logits, *fail_if, *task, *data, *calibrate, *edge, *cloud, *signal;
    int n_ctx, n_batch, chunks, threads, limit;
    double confidence, target_acc, threshold, route_target;
    bool per_question, sweep;
} eval_flags;

static int finish(const el_cli *cli, const char *model, const el_model_info *info, json_t *j, const el_gates *g)
{
    if (j && el_model_info_json(info, model, j)) {
        json_decref(j);
        j = NULL;
    }
    return el_cli_gated(cli, j, g);
}

static int run_ppl(el_cli *cli, const char *model, const eval_flags *f, const el_gates *g, el_error *err)
{
    if (!f->text)
        return el_usage_error(cli, usage_ppl, "missing -f TEXT");
    el_ppl_opts o = {model, f->text, f->n_ctx, f->n_batch, f->chunks, f->threads, f->save, NULL, NULL, &cli->progress};
    el_ppl_result r;
    if (el_eval_ppl(&o, &r, err))
        return el_cli_fail(cli, err);
    if (!cli->json && cli->verbosity >= 0) {
        printf("PPL = %.4f +/- %.5f\n", r.ppl, r.ppl_err);
        printf("%d chunks of %d tokens, %llu scored; %.2f s, %.1f tokens/s\n", r.n_chunks, r.n_ctx,
               (unsigned long long)r.n_tokens, r.seconds, r.eval_tps);
        if (f->save)
            printf("logits: %s\n", f->save);
    }
    json_t *j = json_pack("{s:s, s:s, s:f, s:f, s:I, s:i, s:i, s:f, s:f}", "test", "ppl", "text", f->text, "ppl", r.ppl,
                          "ppl_err", r.ppl_err, "n_tokens", (json_int_t)r.n_tokens, "n_chunks", r.n_chunks, "n_ctx",
                          r.n_ctx, "seconds", r.seconds, "eval_tps", r.eval_tps);
    return finish(cli, model, &r.model, j, g);
}

static int run_kld(el_cli *cli, const char *model, const eval_flags *f, const el_gates *g, el_error *err)
{
    if (!f->base == !f->base_logits)
        return el_usage_error(cli, usage_kld, "give one of --base BASE.gguf and --base-logits FILE");
    if (f->base && !f->text)
        return el_usage_error(cli, usage_kld, "--base needs -f TEXT");
    el_ppl_opts o = {model, f->text, f->n_ctx, f->n_batch, f->chunks, f->threads, f->save, f->base, f->base_logits,
                     &cli->progress};
    el_kld_result r;
    if (el_eval_kld(&o, &r, err))
        return el_cli_fail(cli, err);
    if (!cli->json && cli->verbosity >= 0) {
        printf("Mean KLD: %10.6f +/- %10.6f\n", r.kld_mean, r.kld_err);
        for (int q = 0; q < EL_KLD_NQ; q++)
            printf("%-7s KLD: %10.6f\n", el_kld_quantile_names[q], r.kld_q[q]);
        printf("Same top: %6.3f +/- %5.3f %%\n", 100 * r.same_top, 100 * r.same_top_err);
        printf("RMS dp  : %6.3f +/- %5.3f %%\n", 100 * r.rms_dp, 100 * r.rms_dp_err);
        printf("Mean dp : %6.3f +/- %5.3f %%\n", 100 * r.dp_mean, 100 * r.dp_err);
        printf("PPL(Q)   = %.4f +/- %.5f\n", r.q.ppl, r.q.ppl_err);
        printf("PPL(base)= %.4f +/- %.5f\n", r.ppl_base, r.ppl_base_err);
        printf("ln(PPL(Q)/PPL(base)) = %.6f +/- %.6f\n", r.ln_ratio, r.ln_ratio_err);
        printf("%d chunks of %d tokens, %llu scored; %.2f s\n", r.q.n_chunks, r.q.n_ctx, (unsigned long long)r.q.n_tokens,
               r.q.seconds);
    }
    json_t *quant = json_object();
    for (int q = 0; quant && q < EL_KLD_NQ; q++)
        json_object_set_new(quant, el_kld_quantile_names[q], json_real(r.kld_q[q]));
    json_t *j = json_pack("{s:s, s:s, s:f, s:f, s:o, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:I, "
                          "s:i, s:i, s:f, s:f}",
                          "test", "kld", "base", f->base ? f->base : f->base_logits, "kld_mean", r.kld_mean, "kld_err",
                          r.kld_err, "kld_quantiles", quant, "same_top", r.same_top, "same_top_err", r.same_top_err,
                          "rms_dp", r.rms_dp, "rms_dp_err", r.rms_dp_err, "dp_mean", r.dp_mean, "dp_err", r.dp_err, "ppl",
                          r.q.ppl, "ppl_err", r.q.ppl_err, "ppl_base", r.ppl_base, "ppl_base_err", r.ppl_base_err,
                          "ln_ppl_ratio", r.ln_ratio, "ln_ppl_ratio_err", r.ln_ratio_err, "n_tokens",
                          (json_int_t)r.q.n_tokens, "n_chunks", r.q.n_chunks, "n_ctx", r.q.n_ctx, "seconds", r.q.seconds,
                          "eval_tps", r.q.eval_tps);
    if (j && f->text)
        json_object_set_new(j, "text", json_string(f->text));
    return finish(cli, model, &r.q.model, j, g);
}

/* calibration {acc, acc_norm} of a result (of the file `what`) at temperatures T (acc's) and Tn
 * (acc_norm's), and acc's figures into *c (to free) */
static json_t *calibration_json(const el_mc_result *r, const char *what, double T, double Tn, double target, el_calib *c,
                                el_error *err)
{
    el_calib cn;
    const el_scores s = el_mc_scores(r, false), sn = el_mc_scores(r, true);
    if (el_scores_check(&s, what, err) || el_scores_check(&sn, what, err) || el_calib_compute(&s, T, c, err))
        return NULL;
    if (el_calib_compute(&sn, Tn, &cn, err)) {
        el_calib_free(c);
        return NULL;
    }
    json_t *j = json_pack("{s:o, s:o}", "acc", el_calib_json(c, target), "acc_norm", el_calib_json(&cn, target));
    el_calib_free(&cn);
    if (!j) {
        el_calib_free(c);
        EL_NOMEM(err);
    }
    return j;
}

/* questions [{line, label, pred, ll [..], bytes [..], p [..], p_norm [..]}]: what the figures were
 * computed from (p, p_norm: the choices' probabilities from acc's and acc_norm's scores) */
static json_t *questions_json(const el_mc_result *r, const el_mc_set *set)
{
    json_t *a = json_array();
    const el_scores s = el_mc_scores(r, false), sn = el_mc_scores(r, true);
    for (int i = 0; a && i < r->n; i++) {
        json_t *ll = json_array(), *bytes = json_array(), *p = json_array(), *pn = json_array();
        double pr[EL_MC_MAX_CHOICES], prn[EL_MC_MAX_CHOICES];
        el_calib_probs(&s, i, 1, pr);
        el_calib_probs(&sn, i, 1, prn);
        for (int k = 0; ll && bytes && p && pn && k < r->n_choices[i]; k++) {
            json_array_append_new(ll, json_real(r->ll[(size_t)i * EL_MC_MAX_CHOICES + (size_t)k]));
            json_array_append_new(bytes, json_integer((json_int_t)strlen(set->items[i].cont[k])));
            json_array_append_new(p, json_real(pr[k]));
            json_array_append_new(pn, json_real(prn[k]));
        }
        if (json_array_append_new(a, json_pack("{s:I, s:i, s:i, s:o, s:o, s:o, s:o}", "line", (json_int_t)set->items[i].line,
                                               "label", r->label[i], "pred", r->pred[i], "ll", ll, "bytes", bytes, "p", p,
                                               "p_norm", pn))) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

/* --calibrate FILE (its questions: cset): the fitted temperatures and the figures here before and after them */
static int temperature_json(el_cli *cli, const char *model, el_mc_task task, const eval_flags *f, const el_mc_set *cset,
                            const el_calib *before, const el_mc_result *r, json_t *j, el_error *err)
{
    el_mc_opts o = {model, task, f->calibrate, 0, f->threads, f->confidence, &cli->progress, cset, false};
    el_mc_result cr;
    if (el_eval_mc(&o, &cr, err))
        return -1;
    const el_scores cs = el_mc_scores(&cr, false), csn = el_mc_scores(&cr, true);
    if (el_scores_check(&cs, f->calibrate, err) || el_scores_check(&csn, f->calibrate, err)) {
        el_mc_result_free(&cr);
        return -1;
    }
    bool bound, bound_n;
    const double T = el_calib_fit_temperature(&cs, &bound), Tn = el_calib_fit_temperature(&csn, &bound_n);
    fflush(stdout);
    if ((bound || bound_n) && cli->verbosity >= 0)
        fprintf(stderr, "%s: warning: %s: the best temperature lies at the search's bound (T %g, acc_norm's %g): the "
                        "calibration set is too small or too easy to fit one\n", cli->prog, f->calibrate, T, Tn);
    el_calib after;
    json_t *cal = calibration_json(r, f->data, T, Tn, f->target_acc, &after, err);
    const int n_cal = cr.n;
    el_mc_result_free(&cr);
    if (!cal)
        return -1;
    if (!cli->json && cli->verbosity >= 0)
        printf("temperature T = %.4f fitted on %s (%d questions; acc_norm's T = %.4f): ECE %.4f -> %.4f, NLL %.4f -> %.4f\n",
               T, f->calibrate, n_cal, Tn, before->ece, after.ece, before->nll, after.nll);
    json_t *t = json_pack("{s:s, s:i, s:f, s:f, s:b, s:f, s:f, s:f, s:f, s:f, s:f, s:o}", "data", f->calibrate, "n", n_cal,
                          "T", T, "T_norm", Tn, "at_bound", bound || bound_n, "ece_before", before->ece, "ece_after", after.ece, "nll_before", before->nll,
                          "nll_after", after.nll, "brier_before", before->brier, "brier_after", after.brier, "calibration", cal);
    el_calib_free(&after);
    if (!t || json_object_set_new(j, "temperature", t))
        return EL_NOMEM(err), -1;
    return 0;
}

static int run_mc(el_cli *cli, const char *model, const eval_flags *f, const el_gates *g, el_error *err)
{
    if (!f->task || !f->data)
        return el_usage_error(cli, usage_mc, "missing --task or --data");
    el_mc_task task;
    if (!el_mc_task_from_name(f->task, &task))
        return el_usage_error(cli, usage_mc, "unknown task '%s' (hellaswag, arc, piqa, winogrande, mmlu)", f->task);
    if (!(f->confidence > 0))
        return el_usage_error(cli, usage_mc, "--confidence: %g is out of range (0 < T <= 1)", f->confidence);
    el_mc_set set = {0}, cset = {0}; /* the calibration split is read first: a bad one fails before the work */
    if (el_mc_load(task, f->data, f->limit, &set, err) || (f->calibrate && el_mc_load(task, f->calibrate, 0, &cset, err))) {
        el_mc_set_free(&set);
        return el_cli_fail(cli, err);
    }
    el_mc_opts o = {model, task, f->data, f->limit, f->threads, f->confidence, &cli->progress, &set, false};
    el_mc_result r;
    if (el_eval_mc(&o, &r, err)) {
        el_mc_set_free(&set);
        el_mc_set_free(&cset);
        return el_cli_fail(cli, err);
    }
    el_calib c;
    json_t *cal = calibration_json(&r, f->data, 1, 1, f->target_acc, &c, err);
    if (!cal) {
        el_mc_result_free(&r);
        el_mc_set_free(&set);
        el_mc_set_free(&cset);
        return el_cli_fail(cli, err);
    }
    const el_rc_point *tp = el_rc_target(c.rc, c.n_rc, f->target_acc);
    if (!cli->json && cli->verbosity >= 0) {
        printf("%s: %d questions\n", f->task, r.n);
        printf("acc      = %.4f +/- %.4f  (95%%: %.4f .. %.4f)\n", r.acc, r.acc_stderr, r.acc_ci[0], r.acc_ci[1]);
        printf("acc_norm = %.4f +/- %.4f  (95%%: %.4f .. %.4f)\n", r.acc_norm, r.acc_norm_stderr, r.acc_norm_ci[0],
               r.acc_norm_ci[1]);
        printf("confidence >= %.2f: %d answers (coverage %.1f%%), accuracy %.4f\n", f->confidence, r.conf_n,
               100 * r.coverage, r.conf_acc);
        printf("calibration: ECE %.4f (equal mass %.4f), MCE %.4f, Brier %.4f, NLL %.4f, AURC %.4f\n", c.ece, c.ece_mass,
               c.mce, c.brier, c.nll, c.aurc);
        if (tp)
            printf("accuracy >= %.2f: confidence >= %.4f answers %.1f%% (accuracy %.4f)\n", f->target_acc, tp->threshold,
                   100 * tp->coverage, tp->acc);
        else
            printf("accuracy >= %.2f: no confidence threshold reaches it\n", f->target_acc);
    }
    json_t *j = json_pack("{s:s, s:s, s:s, s:i, s:f, s:f, s:[f,f], s:f, s:f, s:[f,f], s:{s:f, s:f, s:f, s:i}, s:f, s:f, "
                          "s:f, s:f, s:f, s:f, s:f, s:o, s:o, s:o}",
                          "test", "mc", "task", el_mc_task_name(task), "data", f->data, "n", r.n, "acc", r.acc, "acc_stderr",
                          r.acc_stderr, "acc_ci95", r.acc_ci[0], r.acc_ci[1], "acc_norm", r.acc_norm, "acc_norm_stderr",
                          r.acc_norm_stderr, "acc_norm_ci95", r.acc_norm_ci[0], r.acc_norm_ci[1], "confidence", "threshold",
                          f->confidence, "coverage", r.coverage, "acc", r.conf_acc, "n", r.conf_n, "ece", c.ece, "ece_mass",
                          c.ece_mass, "mce", c.mce, "brier", c.brier, "nll", c.nll, "aurc", c.aurc, "target_acc",
                          f->target_acc, "target_threshold", tp ? json_real(tp->threshold) : json_null(), "target_coverage",
                          tp ? json_real(tp->coverage) : json_null(), "calibration", cal);
    int fail = !j;
    if (j && f->per_question) {
        cli->json_digits = 17; /* the scores exactly, so that others can recompute every figure */
        json_t *q = questions_json(&r, &set);
        fail = !q || json_object_set_new(j, "questions", q);
    }
    if (fail)
        EL_NOMEM(err);
    if (j && !fail && f->calibrate)
        fail = temperature_json(cli, model, task, f, &cset, &c, &r, j, err) != 0;
    if (j && !fail)
        fail = json_object_set_new(j, "seconds", json_real(r.seconds)) ? (EL_NOMEM(err), 1) : 0;
    el_calib_free(&c);
    el_mc_result_free(&r);
    el_mc_set_free(&set);
    el_mc_set_free(&cset);
    if (fail) {
        json_decref(j);
        return el_cli_fail(cli, err);
    }
    if (!cli->json && cli->verbosity >= 0)
        printf("%.2f s\n", r.seconds);
    return finish(cli, model, &r.model, j, g);
}

static json_t *jnum_or_null(double v, bool known)
{
    return known ? json_real(v) : json_null();
}

static json_t *route_point_json(const el_route_point *p)
{
    return json_pack("{s:f, s:f, s:i, s:f, s:o, s:f}", "threshold", p->threshold, "routed", p->routed, "n_routed",
                     p->n_routed, "hybrid_acc", p->hybrid_acc, "oracle_acc", jnum_or_null(p->oracle_acc, p->oracle_acc >= 0),
                     "hybrid_latency_ms", 1000 * p->hybrid_latency);
}

static void print_route_point(const el_route_point *p)
{
    printf("  %10.4f %7.1f%% %8.4f", p->threshold, 100 * p->routed, p->hybrid_acc);
    if (p->oracle_acc >= 0)
        printf(" %8.4f", p->oracle_acc);
    else
        printf(" %8s", "-");
    printf(" %10.3f\n", 1000 * p->hybrid_latency);
}

static int run_route(el_cli *cli, const char *unused, const eval_flags *f, const el_gates *g, el_error *err)
{
    (void)unused;
    if (!f->edge || !f->cloud)
        return el_usage_error(cli, usage_route, "missing --edge or --cloud");
    if (!f->task || !f->data)
        return el_usage_error(cli, usage_route, "missing --task or --data");
    el_route_opts o = {f->edge, f->cloud, 0, f->data, f->limit, f->threads, EL_CONF_PROB, f->sweep, f->threshold,
                       f->route_target, &cli->progress};
    if (!el_mc_task_from_name(f->task, &o.task))
        return el_usage_error(cli, usage_route, "unknown task '%s' (hellaswag, arc, piqa, winogrande, mmlu)", f->task);
    if (f->signal && !el_conf_signal_from_name(f->signal, &o.signal))
        return el_usage_error(cli, usage_route, "unknown --signal '%s' (prob, margin, entropy)", f->signal);
    /* NaN: not given (the parser takes no "nan", so no value given means it) */
    if (!isnan(f->threshold) && !(f->threshold >= 0 && f->threshold <= 1))
        return el_usage_error(cli, usage_route, "--threshold: %.10g is out of range (0..1)", f->threshold);
    if (!isnan(f->route_target) && !(f->route_target > 0 && f->route_target <= 1))
        return el_usage_error(cli, usage_route, "--target-acc: %.10g is out of range (0 < A <= 1)", f->route_target);
    if (!isnan(f->route_target) && !isnan(f->threshold))
        return el_usage_error(cli, usage_route, "give one of --threshold and --target-acc");
    o.threshold = isnan(f->threshold) ? 0.7 : f->threshold;
    o.target_acc = isnan(f->route_target) ? 0 : f->route_target;
    el_route_result r;
    if (el_eval_route(&o, &r, err))
        return el_cli_fail(cli, err);
    const bool all = r.cloud_acc >= 0;
    if (!cli->json && cli->verbosity >= 0) {
        printf("%s: %d questions, signal %s\n", f->task, r.n, el_conf_signal_name(o.signal));
        printf("edge  %s: acc %.4f, %.3f ms per question\n", f->edge, r.edge_acc, 1000 * r.edge_latency);
        if (all)
            printf("cloud %s: acc %.4f, %.3f ms per question\n", f->cloud, r.cloud_acc, 1000 * r.cloud_latency);
        else
            printf("cloud %s: %d questions routed, %.3f ms per question\n", f->cloud, r.cloud_n, 1000 * r.cloud_latency);
        if (o.target_acc > 0 && !r.reached)
            printf("hybrid accuracy %.4f: no threshold reaches it; routing everything:\n", o.target_acc);
        printf("  %10s %8s %8s %8s %10s\n", "threshold", "routed", "hybrid", "oracle", "ms/question");
        print_route_point(&r.at);
        if (f->sweep) { /* the sweep at every tenth of the share routed */
            printf("sweep:\n");
            int last = -1;
            for (int d = 0; d <= 10; d++) {
                int best = 0;
                for (int i = 1; i < r.n_sweep; i++)
                    if (fabs(r.sweep[i].routed - d / 10.0) < fabs(r.sweep[best].routed - d / 10.0))
                        best = i;
                if (best != last)
                    print_route_point(&r.sweep[best]);
                last = best;
            }
        }
        printf("%.2f s\n", r.seconds);
    }
    json_t *sw = all ? json_array() : json_null();
    for (int i = 0; sw && all && i < r.n_sweep; i++)
        if (json_array_append_new(sw, route_point_json(&r.sweep[i]))) {
            json_decref(sw);
            sw = NULL;
        }
    json_t *edge_m = json_object(), *cloud_m = json_object();
    if (edge_m && el_model_info_json(&r.edge_model, f->edge, edge_m))
        json_decref(edge_m), edge_m = NULL;
    if (cloud_m && el_model_info_json(&r.cloud_model, f->cloud, cloud_m))
        json_decref(cloud_m), cloud_m = NULL;
    json_t *j = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:f, s:o, s:f, s:f, s:i, s:f, s:f, s:i, s:f, s:f, s:o, s:o, "
                          "s:o?, s:o?, s:f}",
                          "test", "route", "task", el_mc_task_name(o.task), "data", f->data, "n", r.n, "signal",
                          el_conf_signal_name(o.signal), "edge", f->edge, "cloud", f->cloud, "edge_acc", r.edge_acc,
                          "cloud_acc", jnum_or_null(r.cloud_acc, all), "edge_latency_ms", 1000 * r.edge_latency,
                          "cloud_latency_ms", 1000 * r.cloud_latency, "cloud_n", r.cloud_n, "threshold", r.at.threshold,
                          "routed", r.at.routed, "n_routed", r.at.n_routed, "hybrid_acc", r.at.hybrid_acc,
                          "hybrid_latency_ms", 1000 * r.at.hybrid_latency, "oracle_acc",
                          jnum_or_null(r.at.oracle_acc, r.at.oracle_acc >= 0), "sweep", sw,
                          "edge_model", edge_m, "cloud_model", cloud_m, "seconds", r.seconds);
    if (j && o.target_acc > 0 &&
        (json_object_set_new(j, "target_acc", json_real(o.target_acc)) || json_object_set_new(j, "reached", json_boolean(r.reached)))) {
        json_decref(j);
        j = NULL;
    }
    el_route_result_free(&r);
    return el_cli_gated(cli, j, g);
}

int cmd_eval(int argc, char **argv, el_cli *cli)
{
    static const char *const names[] = {"ppl", "kld", "mc", "route"}; /* and their usage, summary and run, in this order */
    static const struct {
        const char *usage, *summary;
        int (*run)(el_cli *, const char *, const eval_flags *, const el_gates *, el_error *);
    } subs[] = {
        {usage_ppl, summary_ppl, run_ppl},
        {usage_kld, summary_kld, run_kld},
        {usage_mc, summary_mc, run_mc},
        {usage_route, summary_route, run_route},
    };
    int which, code;
    if (!el_pick_sub(cli, usage, summary, names, 4, "evaluation", argc, argv, &which, &code))
        return code;
    eval_flags f = {.n_ctx = 0, .n_batch = 2048, .confidence = 0.7, .target_acc = 0.9, .threshold = NAN, .route_target = NAN};
    /* ppl and kld read a text in chunks alike; kld also takes its base */
#define OPTS_TEXT                                                                                                        \
    {'f', "file", EL_OPT_STR, &f.text, "TEXT", "text to evaluate on (.txt, .gz, ARCHIVE:MEMBER)"},                     \
        {'c', "ctx-size", EL_OPT_INT, &f.n_ctx, "N", "tokens per chunk (default 512)"},                                 \
        {'b', "batch-size", EL_OPT_INT, &f.n_batch, "N", "tokens per forward pass: -b/-c chunks at once (default 2048)"}, \
        {0, "chunks", EL_OPT_INT, &f.chunks, "N", "at most N chunks (default: all)"}, EL_OPT_THREADS(&f.threads)
    const el_opt opts_ppl[] = {
        OPTS_TEXT,
        {0, "save-logits", EL_OPT_STR, &f.save, "FILE", "write llama.cpp's logits file (for kld --base-logits)"},
        EL_OPT_FAIL_IF(&f.fail_if, "ppl>12"),
        EL_OPTS_END,
    };
    const el_opt opts_kld[] = {
        OPTS_TEXT,
        {0, "base", EL_OPT_STR, &f.base, "BASE.gguf", "the base model"},
        {0, "base-logits", EL_OPT_STR, &f.base_logits, "FILE", "a llama.cpp logits file (--kl-divergence-base)"},
        {0, "save-logits", EL_OPT_STR, &f.save, "FILE", "write the base's logits as llama.cpp's file"},
        EL_OPT_FAIL_IF(&f.fail_if, "kld_mean>0.01"),
        EL_OPTS_END,
    };
#undef OPTS_TEXT
    /* mc and route read a task's questions alike */
#define OPTS_TASK                                                                                  \
    {0, "task", EL_OPT_STR, &f.task, "NAME", "hellaswag, arc, piqa, winogrande or mmlu"},          \
        {0, "data", EL_OPT_STR, &f.data, "FILE", "the task's file (jsonl; MMLU csv; .gz, ARCHIVE:MEMBER)"}, \
        {0, "limit", EL_OPT_INT, &f.limit, "N", "the first N questions only"}
    const el_opt opts_mc[] = {
        OPTS_TASK,
        {0, "confidence", EL_OPT_DOUBLE, &f.confidence, "T", "threshold of the confidence view (default 0.7)"},
        {0, "target-acc", EL_OPT_DOUBLE, &f.target_acc, "A", "the threshold whose answers reach accuracy A (default 0.9)"},
        {0, "calibrate", EL_OPT_STR, &f.calibrate, "FILE", "fit a temperature on FILE (the same task, another split)"},
        {0, "per-question", EL_OPT_FLAG, &f.per_question, NULL, "add each question's scores to the JSON"},
        EL_OPT_THREADS(&f.threads),
        EL_OPT_FAIL_IF(&f.fail_if, "acc<0.5"),
        EL_OPTS_END,
    };
    const el_opt opts_route[] = {
        {0, "edge", EL_OPT_STR, &f.edge, "S.gguf", "the small model, answering first"},
        {0, "cloud", EL_OPT_STR, &f.cloud, "L.gguf", "the large model, answering what is routed"},
        OPTS_TASK,
        {0, "threshold", EL_OPT_DOUBLE, &f.threshold, "T", "route when the edge's confidence is below T (default 0.7)"},
        {0, "target-acc", EL_OPT_DOUBLE, &f.route_target, "A", "the threshold routing least that reaches accuracy A"},
        {0, "sweep", EL_OPT_FLAG, &f.sweep, NULL, "the cloud answers everything: every threshold's figures"},
        {0, "signal", EL_OPT_STR, &f.signal, "NAME", "confidence: prob (default), margin or entropy"},
        EL_OPT_THREADS(&f.threads),
        EL_OPT_FAIL_IF(&f.fail_if, "hybrid_acc<0.8"),
        EL_OPTS_END,
    };
#undef OPTS_TASK
    const el_opt *opts = which == 3 ? opts_route : which == 2 ? opts_mc : which == 1 ? opts_kld : opts_ppl;
    const char *model = NULL;
    if (!el_parse_args(cli, subs[which].usage, subs[which].summary, opts, which == 3 ? 0 : 1, argc - 1, argv + 1, &model,
                       &code))
        return code;
    /* -c 0 is the default (512); a chunk needs some tokens to score */
    if (f.n_ctx > 0 && f.n_ctx < 8)
        return el_usage_error(cli, subs[which].usage, "-c/--ctx-size: %d is out of range (>= 8)", f.n_ctx);
    const el_range ranges_ppl[] = {{&f.n_ctx, 0, INT_MAX}, {&f.n_batch, 1, INT_MAX}, {&f.chunks, 0, INT_MAX},
                                   EL_RANGE_THREADS(&f.threads), {NULL, 0, 0}};
    const el_range ranges_mc[] = {{&f.limit, 0, INT_MAX}, {&f.confidence, 0, 1}, {&f.target_acc, 0, 1}, EL_RANGE_THREADS(&f.threads), {NULL, 0, 0}};
    const el_range ranges_route[] = {{&f.limit, 0, INT_MAX},
                                     EL_RANGE_THREADS(&f.threads), {NULL, 0, 0}};
    if (!el_check_ranges(cli, subs[which].usage, opts, which == 3 ? ranges_route : which == 2 ? ranges_mc : ranges_ppl, &code))
        return code;
    el_gates g;
    el_error err;
    el_error_clear(&err);
    if (el_gates_parse(f.fail_if, &g, &err))
        return el_cli_fail(cli, &err);
    const int rc = subs[which].run(cli, model, &f, &g, &err);
    el_gates_free(&g);
    return rc;
}
