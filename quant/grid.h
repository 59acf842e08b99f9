/*
 * quant/grid.h - the values an encoded block can take with its scales kept: per element i,
 * a[i] * level(q) + b[i] for an integer q in [qmin, qmax] (level(q) = q, or table[q] for IQ4), and the
 * function that writes new q's into the block. GPTQ (gptq.h) uses it to round column by column inside
 * a block whose scales the search chose when the block was reached.
 */
#ifndef EL_QUANT_GRID_H
#define EL_QUANT_GRID_H

#include <stdbool.h>
#include <stdint.h>

#include "quant/blocks.h"

typedef struct el_qgrid {
    float a[QK_K], b[QK_K];
    const int8_t *table; /* NULL: level(q) = q */
    int qmin, qmax;
} el_qgrid;

/* Types with a grid: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K..Q6_K, IQ4_NL, IQ4_XS. */
bool el_qgrid_has(uint32_t type);
/* The grid of one block of `type`. */
void el_qgrid_of(uint32_t type, const void *blk, el_qgrid *g);
/* Element i's nearest level to v, and its value. */
int el_qgrid_nearest(const el_qgrid *g, int i, float v, float *deq);
/* Write the levels q (one per element of the block) into blk; its scales are left as they are. */
void el_qgrid_set(uint32_t type, void *blk, const int *q);

#endif
