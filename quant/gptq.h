/*
 * quant/gptq.h - error-compensating quantization (GPTQ / OPTQ, Frantar et al. 2022) into any block type.
 *
 * A row w of a matrix (n weights along the input) meets inputs with second moment H (quant/hessian.h);
 * its output error is (w - q)^T H (w - q). GPTQ quantizes the row from left to right and, after each
 * column, moves its rounding error onto the columns not yet quantized so that the output error is the
 * least it can be given what is already fixed. With U the upper Cholesky factor of the inverse
 * (U^T U = (H + lambda I)^-1), quantizing column c with error e updates w_k -= (e / U_cc) U_ck for
 * k > c, and (e / U_cc)^2 is the output error it adds.
 *
 * Blocks: when a block of the type (32 weights, or a super-block of 256 for the K-quants and IQ4_XS)
 * is reached, the same searching quantizer as without GPTQ (search.h) chooses its scales on the
 * weights as the earlier columns' errors left them, weighing column i by 1 / U_ii^2; then, with those
 * scales kept, each column of the block is rounded in turn to the nearest value the block can hold
 * (quant/grid.h) and its error fed forward, inside the block and beyond.
 *
 * Damping: lambda = damp x mean(diag H) (damp 0.01 as the paper's default), which also keeps the
 * factor finite for inputs that are always 0. All arithmetic is in a fixed order (doubles for the
 * factorization): the same bytes for any thread count and on every machine.
 */
#ifndef EL_QUANT_GPTQ_H
#define EL_QUANT_GPTQ_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef struct el_gptq {
    int64_t n;
    float *u;         /* n x n, row-major, upper triangle: U^T U = (H + lambda I)^-1 */
    const float *h;   /* the undamped H the factor came from (n x n), for the output error */
    double lambda;
} el_gptq;

/*
 * Factor H (n x n, symmetric) with damping damp x mean(diag H), threads > 0 (the result does not depend
 * on them). EL_ERANGE when diag H is all zero (nothing to compensate: quantize without GPTQ) or H is
 * not positive definite after damping; EL_ENOMEM. f->h keeps pointing at h.
 */
int el_gptq_factor(el_gptq *f, const float *h, int64_t n, double damp, int threads, el_error *err);
void el_gptq_free(el_gptq *f);

/* Quantize bs weights x into the block at y with importances w (NULL: none), deq: the bs values as they decode. */
typedef void (*el_gptq_block_fn)(const void *ud, const float *x, void *y, int bs, const float *w, float *deq);

/* How a row's blocks are made: bs weights (32, or 256 for the K-quants and IQ4_XS; it divides n) of
 * `type` (one quant/grid.h has) into block_bytes by block(). */
typedef struct el_gptq_quant {
    el_gptq_block_fn block;
    const void *ud;
    uint32_t type;
    int bs;
    size_t block_bytes;
} el_gptq_quant;

/* Per column the search's weight: 1 / U_ii^2, the output error a unit error there costs once the later
 * columns compensate it. */
void el_gptq_col_importance(const el_gptq *f, float *imp);

/*
 * One row x (n floats) into n / bs blocks at out, GPTQ's way. imp: the search's weights (n, NULL: none).
 * work: n floats; on return the row's error x - deq. *sse and *max_abs: that error's sum of squares
 * and largest magnitude.
 */
void el_gptq_row(const el_gptq *f, const el_gptq_quant *q, const float *imp, const float *x, uint8_t *out, float *work,
                 double *sse, double *max_abs);

/* a^T H a, b^T H b, c^T H c (H symmetric n x n; any of b, c may be NULL, its figure 0) in one pass over H. */
void el_gptq_forms(const float *h, int64_t n, const float *a, const float *b, const float *c, double out[3]);

#endif
