/*
 * distill/outdir.h - the output folder of a distillation run, written so that kill -9 at any moment
 * followed by --resume gives the same bytes as a run that was never interrupted.
 *
 * A run produces "units" (one completion, or one chunk of text) in a fixed order, numbered from 0.
 * Units are committed in groups: a group closes once its records hold shard_tokens tokens.
 * Closing group g first writes logits-g.safetensors (atomically: complete or absent), then
 * appends the group's lines to the lines file (completions.jsonl or records.jsonl) and fsyncs.
 * So at any moment the folder holds shards 0..m-1 and every line of groups 0..m-2, plus possibly
 * some of group m-1's lines. Resuming restarts at the first unit of the first group whose lines
 * are incomplete; the regenerated units are identical (the run is deterministic), so lines
 * already on disk are skipped and a shard already on disk is left as it is: nothing written is
 * rewritten. Without logits (k = 0) every complete line is committed and the run restarts after it.
 *
 * --resume on a folder where no run has started (no manifest.json) starts one, so a job that may be
 * preempted and requeued always passes --resume.
 *
 * manifest.json is written at the start with "status": "running" and the run's identity (its
 * "head": format, command, teacher, inputs, parameters, shard), which --resume compares; at the
 * end it is rewritten with "status": "complete", the counts the caller gives and every file's
 * size and SHA-256.
 */
#ifndef EL_DISTILL_OUTDIR_H
#define EL_DISTILL_OUTDIR_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "distill/shard.h"

typedef struct el_dout_params {
    const char *dir;
    const char *lines_name;   /* "completions.jsonl" or "records.jsonl" */
    int k, n_vocab;           /* k = 0: no logits shards */
    int64_t shard_tokens;     /* a group closes once it holds this many tokens */
    bool resume;
    const json_t *head;       /* an object: the run's identity */
} el_dout_params;

typedef struct el_dout el_dout;

/* Create the folder (or, with resume, check it and find where to restart: *first_unit). */
int el_dout_open(el_dout **out, const el_dout_params *p, int64_t *first_unit, el_error *err);
/*
 * The next unit (units must come in order from *first_unit): its line (no newline), its shard
 * record (NULL when k = 0) and its token count.
 */
int el_dout_add(el_dout *o, const char *line, const el_dshard_rec *rec, int64_t n_tokens, el_error *err);
/* Commit the group being filled (before counting the lines file). */
int el_dout_flush(el_dout *o, el_error *err);
/* The path of the lines file (for the caller's counts). */
const char *el_dout_lines_path(const el_dout *o);
/* Commit the last group and write the final manifest: head, "status", counts (borrowed), files.
 * *manifest (may be NULL) receives it. */
int el_dout_finish(el_dout *o, const json_t *counts, json_t **manifest, el_error *err);
/* Release (after finish, or to give up: what is committed stays for --resume). Accepts NULL. */
void el_dout_free(el_dout *o);

/*
 * A finished folder's manifest "files": the lines file once, and shards logits-00000 .. in order, each
 * once (a name with '/' or "..", or one listed twice, is refused). What merge and score read by.
 */
int el_dout_check_files(const json_t *man, const char *manifest_path, el_error *err);

/* logits-NNNNN.safetensors */
void el_dout_shard_name(int64_t g, char *buf, size_t cap);

#endif
