/*
 * quant/quantize.h - GGUF -> GGUF with the weights requantized, streamed (`edgelm quantize`).
 *
 * Metadata is copied (general.file_type set to the mix's); each weight matrix gets the type the
 * recipe (recipe.h), then --embd-type/--output-type, then the first matching --override give it,
 * then the fallback when its rows don't fit that type's blocks (or an error with strict); other
 * tensors are copied as they are. Rows are quantized in parallel chunks by the searching quantizers
 * (search.h), weighted by the imatrix when one is given, and written as they are done through the
 * tensor stream (formats/tstream.h) into the atomic writer: memory stays bounded by the chunk, and the same input gives the same bytes for any
 * thread count. Each tensor's error against its source is measured on the way.
 */
#ifndef EL_QUANT_QUANTIZE_H
#define EL_QUANT_QUANTIZE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "core/progress.h"
#include "formats/convert.h"
#include "quant/hessian.h"
#include "quant/imatrix.h"
#include "quant/recipe.h"

#define EL_QUANT_MAX_OVERRIDES 32

typedef struct el_quantize_opts {
    const char *in_path;   /* GGUF */
    const char *out_path;
    const el_qmix *mix;
    bool pure;             /* the mix's base type for every matrix */
    int output_type;       /* ggml type for output.weight, -1: the recipe's */
    int embd_type;         /* ggml type for token_embd.weight, -1: the recipe's */
    const char *override_re[EL_QUANT_MAX_OVERRIDES]; /* PCRE2 patterns searched in tensor names */
    uint32_t override_type[EL_QUANT_MAX_OVERRIDES];
    int n_overrides;
    bool strict;           /* refuse instead of falling back */
    bool allow_requantize; /* allow quantized -> another quantized type */
    const el_imatrix *imatrix; /* NULL: none */
    const el_hessian *hessian; /* NULL: none; else GPTQ (quant/gptq.h) for every matrix it has an input for */
    double gptq_damp;      /* GPTQ's damping, a fraction of mean(diag H) (0: 0.01) */
    int threads;           /* 0: default */
    el_progress *progress; /* NULL: none */
} el_quantize_opts;

typedef struct el_qtensor_report {
    char name[64];
    uint32_t src_type, type;
    uint32_t wanted;       /* the type asked for, when the row length forced `type` (else == type) */
    bool quantized;        /* requantized (else copied as it was) */
    bool imatrix;          /* weighted by the imatrix */
    int64_t ne[4];
    uint32_t n_dims;
    uint64_t n_elements, bytes;
    double rmse, max_abs;  /* against the source, 0 for copies */
    bool gptq;             /* quantized with error compensation */
    /* with a hessian: the output error sum_rows (w - q)^T H (w - q) = ||W X - Q X||^2 / rows of X, of the plain
     * search (no compensation) and of the file's blocks, and the output's own sum_rows w^T H w */
    double out_err_plain, out_err, out_energy;
} el_qtensor_report;

typedef struct el_quantize_result {
    uint64_t n_tensors, n_quantized, n_fallback;
    uint64_t bytes_in, bytes_out, n_elements;
    double sse;            /* sum of squared errors over the requantized tensors */
    uint64_t n_err_elements;
    el_qtensor_report *tensors; /* n_tensors, malloc'd: el_quantize_result_free() */
} el_quantize_result;

int el_quantize(const el_quantize_opts *o, el_quantize_result *r, el_error *err);
/* The same from a Hugging Face folder (o->in_path unused), converted and quantized in one streamed pass:
 * no intermediate file. Matrices the mix leaves alone keep the checkpoint's float type. */
int el_quantize_hf(const el_quantize_opts *o, const char *model_dir, el_quantize_result *r, el_error *err);
void el_quantize_result_free(el_quantize_result *r);

/* `edgelm convert --outtype q8_0`: the conversion's matrices as Q8_0 by the reference quantizer, as
 * llama.cpp's converter writes them (no search), F16 for those whose rows are not whole Q8_0 blocks
 * (counted and named in r->n_fallbacks / r->fallbacks); o->outtype is not read. */
int el_convert_q8_0(const el_convert_opts *o, el_convert_result *r, el_error *err);

/* A pure file of `type` in one call (tests, benchmarks): the mix named like the type. */
typedef struct el_quantize_pure_opts {
    const char *in_path, *out_path;
    uint32_t type;
    bool strict;
    int threads;
} el_quantize_pure_opts;
int el_quantize_pure(const el_quantize_pure_opts *o, el_quantize_result *r, el_error *err);

#endif
