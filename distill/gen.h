/*
 * distill/gen.h - `edgelm distill gen`: teacher completions for a file of prompts, with the
 * teacher's top-k distribution at every generated position, on the engine's batched decoding.
 *
 * Records are numbered from 0 in file order; --shard I/N takes the records whose number is I mod N.
 * Each kept record gives `samples` units (record, sample), generated with their own sampler seeded
 * by el_unit_seed(seed, record, sample), so a unit's tokens do not depend on which slot of the
 * batch it ran in, on the other units beside it, on the thread count or on the shard split (the
 * context runs batch_invariant, engine/context.h). Units are committed in (record, sample) order
 * through distill/outdir.h, which makes the run resumable.
 *
 * Prompt records: a JSON string (txt lines), or an object with "messages" ([{role, content}], needs
 * chat) or "prompt" / "text" (a string; with chat it becomes one user message). `field` picks one
 * explicitly. With chat the teacher's chat template (tokenizer.chat_template, or chat_template
 * when given) is applied with the generation prompt. An empty prompt is skipped and counted; a
 * prompt that leaves no room in the context is skipped or, with truncate, cut to its last tokens
 * (keeping BOS) so that min(max_new, n_ctx / 2) positions remain.
 */
#ifndef EL_DISTILL_GEN_H
#define EL_DISTILL_GEN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "core/progress.h"
#include "engine/sampler.h"

typedef struct el_distill_gen_params {
    const char *teacher;
    const char *prompts;
    const char *out_dir;
    const char *field;          /* NULL: "messages", else "prompt", else "text" */
    bool chat;
    const char *chat_template;  /* NULL: the teacher's */
    int samples;                /* units per prompt */
    int max_new;
    el_sampler_params sampling; /* temp, top_k, top_p, min_p, seed (repetition penalty off) */
    int topk;                   /* 0: no logits shards */
    int batch;                  /* sequences decoded together */
    int shard_i, shard_n;
    bool resume;
    int threads;                /* 0: all cores */
    int n_ctx;                  /* 0: the teacher's, capped at 4096 */
    bool truncate;              /* too-long prompts: cut (else skip) */
    int64_t shard_tokens;       /* tokens per logits shard (0: 1 Mi) */
    el_progress *progress;      /* NULL: none */
} el_distill_gen_params;

/* What a run did (this process): units generated now, tokens, time. */
typedef struct el_distill_stats {
    int64_t units_done;         /* committed by this process (a resumed run: the rest) */
    int64_t units_skipped;      /* already on disk */
    int64_t tokens;             /* generated tokens (gen) or scored tokens (logits) by this process */
    double seconds;             /* generating (prefill, decode, sampling, top-k, writing) */
    double wall_seconds;        /* the whole run (loading and hashing the teacher too) */
    json_t *manifest;           /* the final manifest (caller frees) */
} el_distill_stats;

int el_distill_gen(const el_distill_gen_params *p, el_distill_stats *st, el_error *err);

#endif
