/*
 * quant/importance.h - a block's importances (imatrix row) made safe for the searches' float sums.
 *
 * Only their ratios matter: sum_j w_j e_j^2 has the same minimiser for any positive multiple of w.
 * An imatrix row of tiny sums (an input the calibration text rarely reached) would underflow the
 * error sums, and the affine refits' products of sums, to 0, and every scale would look perfect;
 * so the block is scaled by a power of two that puts its largest importance in [0.5, 1) - exact,
 * so blocks whose sums did not underflow come out bit for bit as before. None positive (or the
 * largest not finite): NULL, the block is quantized unweighted. Negative and NaN entries count as 0.
 */
#ifndef EL_QUANT_IMPORTANCE_H
#define EL_QUANT_IMPORTANCE_H

#include <math.h>

static inline const float *el_importances_relative(const float *w, int n, float *out)
{
    if (!w)
        return NULL;
    float mx = 0;
    for (int j = 0; j < n; j++)
        if (w[j] > mx)
            mx = w[j];
    if (!(mx > 0) || !isfinite(mx))
        return NULL;
    int e;
    (void)frexpf(mx, &e);
    for (int j = 0; j < n; j++)
        out[j] = w[j] > 0 ? ldexpf(w[j], -e) : 0;
    return out;
}

#endif
