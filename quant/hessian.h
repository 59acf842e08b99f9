/*
 * quant/hessian.h - second moments of the weight matrices' inputs, for `edgelm quantize --gptq`.
 *
 * For a matrix W (rows of n weights) that multiplies input rows x (n values each), the output error of
 * a quantized Q is sum over the calibration rows of |(W - Q) x|^2 = sum_rows (w - q)^T H (w - q) with
 * H = sum x x^T: the full second moment ("Hessian" of the layer-wise loss), of which an imatrix holds
 * only the diagonal. Matrices that read the same input (q, k, v after attn_norm; gate and up after
 * ffn_norm: the forward pass multiplies them in one call) share one H.
 *
 * File (GGUF, general.type = "hessian"):
 *   - per distinct input, named after the first matrix reading it: tensor NAME.xtx, F32 [n, n], the
 *     mean x x^T (sum / rows, symmetric, full square), and NAME.counts, F32 [1, 1], the rows summed;
 *   - hessian.matrices: every matrix's name; hessian.inputs: the input (NAME of its .xtx) of each;
 *   - hessian.chunk_count, hessian.chunk_size, hessian.datasets as in an imatrix file.
 * Size: 4 n^2 bytes per distinct input (SmolLM2-135M: 3 x 576^2 + 1536^2 floats per layer, 398 MB for
 * 30 layers). Loading maps the file: the matrices are read in place, never copied.
 */
#ifndef EL_QUANT_HESSIAN_H
#define EL_QUANT_HESSIAN_H

#include <stdint.h>

#include "core/error.h"
#include "formats/gguf.h"
#include "quant/imatrix.h"

typedef struct el_hessian_input {
    char *name;          /* the first matrix reading it */
    int64_t n;
    float *sum;          /* collecting: n x n sums (upper triangle filled, mirrored by el_hessian_save) */
    const float *mean;   /* loaded: n x n mean, in the mapped file */
    double count;        /* rows summed */
} el_hessian_input;

typedef struct el_hessian_matrix {
    char *name;
    int input;           /* index into inputs, -1 until known */
} el_hessian_matrix;

typedef struct el_hessian {
    el_hessian_input *in;
    int n_in, cap_in;
    el_hessian_matrix *m;
    int n_m, cap_m;
    int chunks, chunk_size;
    char dataset[256];
    char source[512];    /* the file it was loaded from ("" when collected) */
    gguf_file *g;        /* loaded: the mapped file */
} el_hessian;

void el_hessian_free(el_hessian *h);
/* A matrix to collect for (input unknown until seen); NULL: no memory. */
el_hessian_matrix *el_hessian_add_matrix(el_hessian *h, const char *name);
/* A new input of n values with zeroed sums, its index (-1: no memory or n too large). */
int el_hessian_add_input(el_hessian *h, const char *name, int64_t n);
/* The input a matrix reads (NULL: not in the file). */
const el_hessian_input *el_hessian_find(const el_hessian *h, const char *matrix);
int el_hessian_find_matrix(const el_hessian *h, const char *matrix);

int el_hessian_save(el_hessian *h, const char *path, el_error *err);
int el_hessian_load(el_hessian *h, const char *path, el_error *err);
/* The diagonals as an importance matrix (the same figures `edgelm imatrix` collects), for --gptq
 * without --imatrix. */
int el_hessian_to_imatrix(const el_hessian *h, el_imatrix *m, el_error *err);

/* sum[i][j] += sum_t x[t][i] x[t][j] for the rows i of thread ith of nth (upper triangle, j >= i, in
 * tiles of 8 rows dealt round-robin), over T rows of x ldx floats apart; each sum in the order of t,
 * so the result is the same for any thread count and CPU (quant/xtx.c). */
void el_xtx_accumulate(float *sum, int64_t n, const float *x, int ldx, int T, int ith, int nth);

#endif
