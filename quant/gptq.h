/*
 * quant/gptq.h - error-compensating quantization (GPTQ / OPTQ, Frantar et al. 2022) into any block type.
 *
 * A row w of a matrix (n weights along the input) meets inputs with second moment H (quant/hessian.h);
 * its output error is (w - q)^T H (w - q). GPTQ quantizes the row from left to right and, after each
 * step, moves the rounding error onto the weights not yet quantized so that the output error is the
 * least it can be given what is already fixed. With U the upper Cholesky factor of the inverse
 * (U^T U = (H + lambda I)^-1), the weights after quantizing columns B with error e = w_B - q_B are
 * updated as w_R -= t^T U_BR with t = U_BB^-T e: the exact optimum of the remaining columns R (the
 * column-by-column update of the paper, applied to a whole block at once), and ||t||^2 is the output
 * error the block adds.
 *
 * Here a step is one block of the type (32 weights, or a super-block of 256 for the K-quants and
 * IQ4_XS), quantized by the same searching quantizer as without GPTQ (search.h), so its scales are
 * chosen when the block is reached, on the weights as the earlier blocks' errors left them. The
 * search weighs column i by M_ii, M = (U_BB^T U_BB)^-1 = the part of H the later columns cannot
 * compensate (the Schur complement), the diagonal of the block's true error form.
 *
 * Damping: lambda = damp x mean(diag H) (damp 0.01 as the paper's default), which also keeps the
 * factor finite for inputs that are always 0. All arithmetic is in a fixed order (doubles for the
 * factorization): the same bytes for any thread count and on every machine.
 */
#ifndef EL_QUANT_GPTQ_H
#define EL_QUANT_GPTQ_H

#include <stdbool.h>
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

/* The search's weights for blocks of bs columns (bs divides n): M_ii per column, into imp (n floats). */
int el_gptq_block_importance(const el_gptq *f, int bs, float *imp, el_error *err);

/* Quantize bs weights x into the block at y with importances w (NULL: none), deq: the bs values as they decode. */
typedef void (*el_gptq_block_fn)(const void *ud, const float *x, void *y, int bs, const float *w, float *deq);

/* How a row's blocks are made: bs weights (32, or 256 for the K-quants and IQ4_XS; it divides n) into
 * block_bytes by block(); with grid (quant/grid.h has the type), the block's scales are kept and its
 * levels chosen again column by column with the error fed forward, else the whole block's error is. */
typedef struct el_gptq_quant {
    el_gptq_block_fn block;
    const void *ud;
    uint32_t type;
    int bs;
    size_t block_bytes;
    bool grid;
} el_gptq_quant;

/* Per column the search's weight for the column-by-column (grid) way: 1 / U_ii^2, the output error a unit
 * error there costs once the later columns compensate it. */
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
