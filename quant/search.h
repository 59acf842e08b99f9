/*
 * quant/search.h - the quantizers `edgelm quantize` writes with: per block, the scales that minimise
 * the (importance-weighted) squared error, found by trying a few candidates and refitting.
 *
 * For a block x with importance w (an imatrix row: the mean square of the input activation that
 * meets each column, or 1 without one) the error is sum_j w_j (x_j - deq_j)^2. With w from an
 * imatrix that is the expected squared error of the matrix's output caused by this block
 * (activations taken as uncorrelated), which is what the model's quality depends on.
 *
 * What the plain reference quantizer (quant_ref.c: scale from the block's extremes) writes for a block
 * is one of its candidates, judged under the same weights: the search is never worse than max-abs
 * scaling. Same input, same bytes, on every machine and for any
 * number of threads (no state; rounding is defined, not left to the FPU mode). docs/quantize.md
 * describes the search per type.
 */
#ifndef EL_QUANT_SEARCH_H
#define EL_QUANT_SEARCH_H

#include <stdbool.h>
#include <stdint.h>

/* Types el_quantize_row_best() writes: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K..Q6_K, IQ4_NL, IQ4_XS (quant/iq4.h)
 * and F32/F16/BF16. */
bool el_quant_can_write(uint32_t type);

/*
 * One row of n floats (n a multiple of the type's block size) into `type` blocks at y. w: n
 * importances (>= 0) or NULL. deq_out (NULL: not wanted): the row as the blocks decode, for error
 * statistics. Returns false for a type it cannot write.
 */
bool el_quantize_row_best(uint32_t type, const float *x, void *y, int64_t n, const float *w, float *deq_out);

/* el_quantize_row_best without the run-time choice of instruction set: the build's baseline (SSE2 on
 * x86-64, NEON on aarch64), for tests that compare it with the AVX2 and plain C builds. */
bool el_quantize_row_best_base(uint32_t type, const float *x, void *y, int64_t n, const float *w, float *deq_out);

/* The sum of squared differences and the largest absolute difference of x and deq (n floats). */
void el_quant_row_error(const float *x, const float *deq, int64_t n, double *sse, double *max_abs);

/* The plain Q2_K and Q3_K quantizers (the reference the searching ones are measured against). */
void el_quantize_row_q2_K_plain(const float *x, void *y, int64_t n);
void el_quantize_row_q3_K_plain(const float *x, void *y, int64_t n);

#endif
