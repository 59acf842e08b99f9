/*
 * distill/merge.h - `edgelm distill merge`: the folders of the N runs of `--shard I/N` (each
 * complete) into the folder a single run would have written, byte for byte.
 *
 * The runs must agree on everything but their shard (teacher, input, parameters); all N shards
 * must be there, once. Units are interleaved by (record id, sample or chunk) - each run's are in
 * that order already - and committed through distill/outdir.h as a single run commits them, so
 * the logits shards are regrouped exactly as a single run groups them.
 */
#ifndef EL_DISTILL_MERGE_H
#define EL_DISTILL_MERGE_H

#include <jansson.h>

#include "core/error.h"
#include "core/progress.h"

int el_distill_merge(const char *const *dirs, int n, const char *out_dir, el_progress *progress, json_t **manifest,
                     el_error *err);

#endif
