/*
 * quant/quantize.h - GGUF -> GGUF with weights requantized, streamed.
 *
 * This is the engine of `edgelm quantize` (the command, mixes, imatrix and
 * the per-tensor report build on it). Metadata is copied (general.file_type
 * updated); matrices get the target type, vectors stay F32; a tensor whose
 * rows don't fit the type's blocks is written as F16 (or refused with strict).
 */
#ifndef EL_QUANT_QUANTIZE_H
#define EL_QUANT_QUANTIZE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"

typedef struct el_quantize_opts {
    const char *in_path;   /* GGUF */
    const char *out_path;
    uint32_t type;         /* ggml type for every matrix */
    bool strict;           /* refuse instead of falling back */
    int threads;           /* 0: default */
} el_quantize_opts;

typedef struct el_quantize_result {
    uint64_t n_tensors, n_quantized, n_fallback;
    uint64_t bytes_in, bytes_out;
} el_quantize_result;

int el_quantize_pure(const el_quantize_opts *o, el_quantize_result *r, el_error *err);

/* llama.cpp's general.file_type for a pure file of `type` (LLAMA_FTYPE_*). */
uint32_t el_ftype_of(uint32_t type);

#endif
