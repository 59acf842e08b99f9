/*
 * engine/matmul.h - y = W x for the forward pass.
 *
 * el_matmul() is called by every thread of an OpenMP team (inside the
 * parallel region of el_decode) with the same arguments. Several matrices that
 * read the same input (q, k and v; gate and up) go in one call: the input is
 * quantized once per activation type, and their rows are shared out as one
 * range, so the team meets at one barrier instead of three.
 *
 * Small batches (decode: one token per sequence) stream each thread's rows
 * once for all tokens through the table's gemv. Nothing is allocated here: the
 * scratch comes from el_mm_scratch_new() at context creation.
 */
#ifndef EL_ENGINE_MATMUL_H
#define EL_ENGINE_MATMUL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/kernels/kernels.h"
#include "engine/model.h"

typedef struct el_mm_out {
    const el_wmat *w;   /* ne0 == the input width */
    float *y;           /* row t of the output at y + t * ldy */
    int ldy;
    const float *bias;  /* ne1 floats or NULL */
} el_mm_out;

typedef struct el_mm_scratch el_mm_scratch;

/* Scratch for inputs up to `width` wide, batches up to `batch` rows, `threads` threads. NULL: no memory. */
el_mm_scratch *el_mm_scratch_new(int64_t width, int batch, int threads);
size_t el_mm_scratch_bytes(const el_mm_scratch *s); /* what it allocated */
void el_mm_scratch_free(el_mm_scratch *s);

#define EL_MM_MAX_OUTS 4

void el_matmul(const el_kernels *k, el_mm_scratch *s, const float *x, int ldx, int T, const el_mm_out *outs, int n_outs);

#endif
