/*
 * eval/imatrix.h - collect an importance matrix: run the model over calibration text and sum, for
 * every weight matrix, the squares of its input activations per column (quant/imatrix.h holds the
 * result and its files).
 *
 * As llama.cpp's llama-imatrix: the text is tokenized once (BOS as the model says), cut into chunks
 * of n_ctx tokens, each chunk starting with BOS (when the model uses one), and each chunk decoded
 * from an empty cache with logits for every position, so the output matrix sees every token too.
 */
#ifndef EL_EVAL_IMATRIX_H
#define EL_EVAL_IMATRIX_H

#include "core/error.h"
#include "core/progress.h"
#include "quant/hessian.h"
#include "quant/imatrix.h"

typedef struct el_imatrix_opts {
    const char *model_path;  /* GGUF */
    const char *text_path;   /* calibration text */
    int n_ctx;               /* tokens per chunk (0: 512) */
    int max_chunks;          /* 0: every full chunk */
    int threads;             /* 0: cores */
    el_progress *progress;   /* NULL: none */
} el_imatrix_opts;

typedef struct el_imatrix_result {
    int chunks;
    uint64_t tokens;
    double seconds;
} el_imatrix_result;

/* h: NULL, or also the second moments of every distinct input (quant/hessian.h; memory 4 n^2 bytes each). */
int el_imatrix_collect(const el_imatrix_opts *o, el_imatrix *m, el_hessian *h, el_imatrix_result *r, el_error *err);

#endif
