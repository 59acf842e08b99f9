/*
 * distill/logits.h - `edgelm distill logits`: the teacher's top-k next-token distribution at every
 * position of existing text (teacher forcing), what DistillKit captures with vLLM.
 *
 * Records (numbered from 0; --shard I/N keeps number % N == I) are txt lines or the "text" (or
 * `field`) of json/jsonl objects. Each is tokenized with the teacher's BOS and cut into chunks of at
 * most n_ctx tokens, every chunk decoded alone: a chunk after the first starts with BOS again when
 * the teacher adds one, and otherwise with the previous chunk's last token, so every token after
 * the record's first is predicted exactly once. A chunk is a unit (distill/outdir.h): a line of
 * records.jsonl and a record of the logits shards, with start = 1.
 */
#ifndef EL_DISTILL_LOGITS_H
#define EL_DISTILL_LOGITS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "core/progress.h"
#include "distill/gen.h"

typedef struct el_distill_logits_params {
    const char *teacher;
    const char *data;
    const char *out_dir;
    const char *field;        /* NULL: "text" */
    int n_ctx;                /* tokens per chunk */
    int topk;
    int shard_i, shard_n;
    bool resume;
    int threads;
    int64_t shard_tokens;     /* 0: 1 Mi */
    el_progress *progress;
} el_distill_logits_params;

int el_distill_logits(const el_distill_logits_params *p, el_distill_stats *st, el_error *err);

#endif
