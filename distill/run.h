/*
 * distill/run.h - what gen and logits runs share: the manifest head (the run's identity) and the
 * counts, which are computed from the lines file at the end, so a resumed run, a merged run and an
 * uninterrupted one count the same way.
 */
#ifndef EL_DISTILL_RUN_H
#define EL_DISTILL_RUN_H

#include <jansson.h>
#include <stdint.h>

#include "core/error.h"
#include "distill/teacher.h"

/*
 * {"format": "edgelm.distill", "version": 1, "command", "teacher": el_dmodel_json, "vocab_sha256",
 *  "input": {"file": basename, "sha256"}, "params" (stolen), "shard": {"index", "count"}}
 */
json_t *el_distill_head(const char *command, const el_dmodel *t, const char *input, const char *input_sha,
                        json_t *params, int shard_i, int shard_n);

/* A float parameter as JSON shows it: 6 significant digits (0.8, not 0.800000012). */
double el_real6(float v);

/* What the enumeration of the input saw (gen and logits). */
typedef struct el_distill_counts {
    int64_t records;            /* records in the input file */
    int64_t records_in_shard;   /* of them, this shard's */
    int64_t skipped_empty, skipped_too_long, truncated;
} el_distill_counts;

/* counts for a gen run: the above, then units, prompt/completion/scored tokens, finish reasons. */
int el_distill_gen_counts(const char *lines_path, const el_distill_counts *c, json_t **out, el_error *err);
/* counts for a logits run: the above, then chunks, tokens, scored tokens. */
int el_distill_logits_counts(const char *lines_path, const el_distill_counts *c, json_t **out, el_error *err);

#endif
