/*
 * eval/logits_file.h - llama.cpp's KL-divergence base file (llama-perplexity --kl-divergence-base),
 * read and written byte for byte, so `edgelm eval kld` and llama-perplexity can check each other.
 *
 * Layout (little-endian):
 *   "_logits_"                      8 bytes
 *   u32 n_ctx, i32 n_vocab, i32 n_chunk
 *   i32 tokens[n_ctx * n_chunk]     the text's tokens as tokenized (a chunk's first token is not
 *                                   replaced by BOS here; the evaluator does that when it runs)
 *   per chunk, per scored position (n_ctx - 1 - n_ctx/2 of them, positions n_ctx/2 .. n_ctx-2):
 *     a row of nv = 2*((n_vocab+1)/2) + 4 uint16: f32 scale, f32 min_log_prob, then one u16 q per
 *     vocabulary entry: log p = scale*q + min_log_prob.
 * A row keeps 16 nats below the top logit (lower ones read as the floor): 65535 steps over at most
 * 16 nats, about 2.4e-4 nats per step.
 */
#ifndef EL_EVAL_LOGITS_FILE_H
#define EL_EVAL_LOGITS_FILE_H

#include <stdint.h>

#include "core/atomic.h"
#include "core/error.h"
#include "core/file.h"

/* uint16 values per row for a vocabulary of n_vocab. */
static inline int64_t el_kld_row_len(int n_vocab) { return 2 * (((int64_t)n_vocab + 1) / 2) + 4; }

/*
 * Pack one position's logits into a row (llama.cpp's quantization of the log-probabilities) and
 * return the negative log-likelihood of token tok, computed as llama-perplexity does.
 */
double el_kld_pack(const float *logits, int n_vocab, int tok, uint16_t *row);

/* -log p(tok) from one position's logits, as llama-perplexity computes it when it keeps no file
 * (its float max and exponentials, the sum in double). */
double el_nll(const float *logits, int n_vocab, int tok);

/* The log-probability a row holds for token v. */
float el_kld_row_logp(const uint16_t *row, int v);

typedef struct el_kld_file {
    el_map map;
    int n_ctx, n_vocab, n_chunk;
    const int32_t *tokens;  /* n_ctx * n_chunk, in the mapping */
    const uint16_t *rows;   /* n_chunk * (n_ctx - 1 - n_ctx/2) rows of el_kld_row_len(n_vocab) */
} el_kld_file;

/* Map and check a file: magic, sane header, size exactly as the header says (a truncated or
 * padded file is refused, naming it). */
int el_kld_file_open(el_kld_file *f, const char *path, el_error *err);
void el_kld_file_close(el_kld_file *f);
const uint16_t *el_kld_file_row(const el_kld_file *f, int chunk, int i); /* i: 0 .. n_ctx-2-n_ctx/2 */

/* Writing: the header and tokens, then every row in order, then commit (atomic: nothing appears
 * at the path until the last row is written). */
int el_kld_write_begin(el_out **o, const char *path, int n_ctx, int n_vocab, int n_chunk, const int32_t *tokens,
                       el_error *err);

#endif
