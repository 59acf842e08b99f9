/*
 * distill/score.h - `edgelm distill score`: how far a student is from the teacher on a folder of
 * distillation data.
 *
 * At every scored position the teacher's distribution is known on k tokens plus the tail (the
 * mass outside them). The student is run on the same tokens and compared on the same k + 1
 * buckets: KL(teacher || student) = sum_i p_i log(p_i / q_i) + p_tail log(p_tail / q_tail), where
 * q_tail is the student's mass outside the teacher's k tokens. The teacher's stored
 * probabilities (f16 log-probabilities) are renormalized over the k + 1 buckets first, so a
 * student equal to the teacher scores ~0 rather than the rounding of the storage. Merging the tail
 * into one bucket can only lower the KL (data processing inequality): this is a lower bound of
 * the full-vocabulary KL, close to it when the tail is small.
 * Also: cross-entropy of the student on the tokens the teacher produced (or the text's), and
 * top-1 agreement (the student's argmax is the teacher's first token).
 */
#ifndef EL_DISTILL_SCORE_H
#define EL_DISTILL_SCORE_H

#include <stdint.h>

#include "core/error.h"
#include "core/progress.h"

typedef struct el_distill_score_params {
    const char *student;
    const char *dir;
    const char *records_out;   /* per-record jsonl, or NULL */
    int threads;
    el_progress *progress;
} el_distill_score_params;

typedef struct el_distill_score_result {
    double kl_mean, kl_err, kl_max;
    double ce_mean, ppl;
    double top1;
    int64_t n_tokens, n_records;
    double seconds;
    char teacher[256];
    char vocab_sha256[65];
} el_distill_score_result;

int el_distill_score(const el_distill_score_params *p, el_distill_score_result *r, el_error *err);

/* The KL of one position (score.h's definition). t_lp: k teacher log-probs, t_tail: log tail;
 * logits: the student's row, lse its log-sum-exp; ids: the k tokens. */
double el_distill_kl_row(const float *t_lp, float t_tail, const int32_t *ids, int k, const float *logits, double lse);

#endif
