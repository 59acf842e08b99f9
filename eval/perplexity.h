/*
 * eval/perplexity.h - perplexity and KL divergence over a text, computed as llama-perplexity does
 * so the figures can be put beside llama.cpp's.
 *
 * The method: the text is tokenized once (BOS as the model says) and cut into chunks of n_ctx
 * tokens (a partial last chunk is dropped). Each chunk is decoded from an empty cache with BOS in
 * place of its first token (when the model adds BOS), and only the second half is scored:
 * positions n_ctx/2 .. n_ctx-2 each predict the next token, so every scored token has at least
 * n_ctx/2 tokens of context. Several chunks go through the model side by side (n_batch / n_ctx
 * sequences per forward pass), which reads the weights once for all of them.
 *
 * PPL = exp(mean NLL), and its error is PPL times the standard error of the mean NLL. KL divergence
 * compares the model's distribution at every scored position with a base's: either a base model
 * run on the same tokens, or llama.cpp's logits file (eval/logits_file.h), whose tokens are then
 * the ones evaluated. Either way the base goes through that file's 16-bit packing, so a run with
 * --base and one with the file it saved give identical statistics.
 */
#ifndef EL_EVAL_PERPLEXITY_H
#define EL_EVAL_PERPLEXITY_H

#include <stdint.h>

#include "core/error.h"
#include "core/progress.h"
#include "engine/model_info.h"

typedef struct el_ppl_opts {
    const char *model_path;
    const char *text_path;   /* a dataset spec (datasets/source.h); with base_logits: optional, checked */
    int n_ctx;               /* tokens per chunk (0: 512; with base_logits: the file's) */
    int n_batch;             /* tokens per forward pass (0: 2048): n_batch / n_ctx chunks at once */
    int max_chunks;          /* 0: every full chunk */
    int threads;             /* 0: cores */
    const char *save_logits; /* write llama.cpp's logits file: ppl the model's, kld the base's */
    const char *base_path;   /* kld: base model */
    const char *base_logits; /* kld: llama.cpp logits file */
    el_progress *progress;   /* NULL: none */
} el_ppl_opts;

typedef struct el_ppl_result {
    double ppl, ppl_err;
    int n_ctx, n_chunks;
    uint64_t n_tokens;       /* tokens scored */
    uint64_t n_eval;         /* tokens through the model (per model) */
    double seconds;          /* the evaluation loop (decode and scoring) */
    double eval_tps;         /* n_eval / seconds (both models' tokens for kld --base) */
    el_model_info model;     /* the model evaluated */
} el_ppl_result;

enum { EL_KLD_NQ = 10 };
/* The KL divergence quantiles reported, in this order (the labels llama-perplexity prints). */
extern const double el_kld_quantiles[EL_KLD_NQ];
extern const char *const el_kld_quantile_names[EL_KLD_NQ]; /* "max", "99.9", ..., "median", ..., "min" */

typedef struct el_kld_result {
    el_ppl_result q;                 /* the model (its PPL in q.ppl) */
    double ppl_base, ppl_base_err;
    double ln_ratio, ln_ratio_err;   /* mean ln(PPL(model) / PPL(base)) */
    double kld_mean, kld_err;
    double kld_q[EL_KLD_NQ];
    double same_top, same_top_err;   /* fraction of positions where both put the same token on top */
    double dp_mean, dp_err;          /* probability of the right token: model minus base */
    double rms_dp, rms_dp_err;
} el_kld_result;

int el_eval_ppl(const el_ppl_opts *o, el_ppl_result *r, el_error *err);
int el_eval_kld(const el_ppl_opts *o, el_kld_result *r, el_error *err);

#endif
