/*
 * distill/shard.h - the logits shards of a distillation run (logits-NNNNN.safetensors).
 *
 * A shard is a safetensors file holding a run of records, each a token sequence and the teacher's
 * top-k next-token distribution at its scored positions:
 *
 *   index           I64 [R, 6]  per record: id, sub (sample or chunk), token offset, token count,
 *                               start (first scored token), row offset
 *   input_ids       I32 [T]     the records' tokens, back to back
 *   topk_ids        U16 [N, k]  (I32 when the vocabulary has more than 65536 tokens)
 *   topk_logprobs   F16 [N, k]  log-probabilities at temperature 1, in decreasing order
 *   tail_logprob    F16 [N]     log of the probability mass outside the top k (-inf when none)
 *
 * Record r has n_tok - start rows: row j is the distribution at position start - 1 + j, which
 * predicted token start + j. Ties in the top k are broken by the lower id.
 *
 * "__metadata__" holds format = "edgelm.distill.logits", version = "1", k, n_vocab and records.
 * A tensor whose bytes zlib shrinks by at least 10% is stored compressed: dtype U8, shape
 * [compressed bytes], and a "__metadata__" entry "zlib.NAME" = "DTYPE d0,d1" giving what it
 * inflates to. Readers without zlib support still parse the file (every tensor is valid
 * safetensors); docs/distill.md and tools/edgelm_distill.py read it with numpy alone.
 * The same records give the same bytes (zlib's output is fixed for a given input and level).
 */
#ifndef EL_DISTILL_SHARD_H
#define EL_DISTILL_SHARD_H

#include <stdint.h>

#include "core/error.h"

#define EL_DSHARD_INDEX_COLS 6

typedef struct el_dshard_rec {
    int64_t id, sub;
    const int32_t *tokens;  /* n_tok */
    int64_t n_tok, start;   /* 1 <= start <= n_tok; rows = n_tok - start */
    const int32_t *topk_ids;/* rows x k */
    const float *topk_lp;   /* rows x k */
    const float *tail_lp;   /* rows */
} el_dshard_rec;

typedef struct el_dshard_writer el_dshard_writer;

int el_dshard_writer_new(el_dshard_writer **out, int k, int n_vocab, el_error *err);
void el_dshard_writer_free(el_dshard_writer *w);
/* Copy a record in (log-probabilities are rounded to f16 now). */
int el_dshard_add(el_dshard_writer *w, const el_dshard_rec *r, el_error *err);
/* Drop the records held. */
void el_dshard_writer_clear(el_dshard_writer *w);
int64_t el_dshard_writer_records(const el_dshard_writer *w);
int64_t el_dshard_writer_tokens(const el_dshard_writer *w);
/* Write the records held to path (atomically) and empty the writer. */
int el_dshard_write(el_dshard_writer *w, const char *path, el_error *err);

typedef struct el_dshard el_dshard;

/* Open and check a shard: every offset, count and id in range (errors name the file). */
int el_dshard_open(el_dshard **out, const char *path, el_error *err);
void el_dshard_close(el_dshard *s);
/* The record count from the header alone (what resuming needs). */
int el_dshard_count(const char *path, int64_t *n_records, el_error *err);
int64_t el_dshard_records(const el_dshard *s);
int el_dshard_k(const el_dshard *s);
int el_dshard_vocab(const el_dshard *s);
/* Record i; the pointers stay valid until el_dshard_close. */
void el_dshard_get(const el_dshard *s, int64_t i, el_dshard_rec *r);

/* The top k of one row of logits (ids by decreasing logit, lower id first on ties), their log-softmax
 * and the log of the mass outside them. */
void el_topk_logprobs(const float *logits, int n_vocab, int k, int32_t *ids, float *lp, float *tail_lp);

#endif
