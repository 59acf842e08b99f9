/*
 * quant/iq4.h - the IQ4_NL and IQ4_XS quantizers: 4-bit indices into one fixed table of 16
 * non-uniform levels (denser near zero, where most weights are), with an f16 scale per 32
 * weights (IQ4_NL) or a 6-bit scale per 32 under an f16 scale per 256 (IQ4_XS, 4.25 bits/weight).
 *
 * The search (docs/quantize.md): per group of 32, the scales that put the largest weight on
 * levels -127+s or 113+s (s = -7..7) are tried, each followed by a weighted least-squares refit
 * of the scale to the levels it chose, rounded as stored; the best is polished by re-choosing
 * the levels under it. IQ4_XS then quantizes the groups' scales against a super-block scale
 * (four candidates) and tries each group's integer scale +-1 with its levels re-chosen. The error
 * is sum_j w_j (x_j - deq_j)^2 (w an imatrix row, or 1), as for every type in search.h. Plain C,
 * one build: the same bytes on every machine and for any thread count.
 */
#ifndef EL_QUANT_IQ4_H
#define EL_QUANT_IQ4_H

#include <stdint.h>

#include "quant/blocks.h"

/* One block of 32 (IQ4_NL) or 256 (IQ4_XS) floats; w: importances or NULL; deq (may be NULL): the
 * block as it decodes. */
void el_iq4_nl_block(const float *x, const float *w, block_iq4_nl *y, float *deq);
void el_iq4_xs_block(const float *x, const float *w, block_iq4_xs *y, float *deq);

/* Rows without importances (the traits' from_float). */
void el_quantize_row_iq4_nl(const float *x, void *y, int64_t n);
void el_quantize_row_iq4_xs(const float *x, void *y, int64_t n);

#endif
