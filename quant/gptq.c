/*
 * quant/gptq.c - error-compensating quantization (see gptq.h).
 *
 * The factor: with P the order-reversing permutation, P (H + lambda I) P = L L^T (Cholesky), so
 * H + lambda I = V V^T with V = P L P upper triangular, and U = V^-1 = P L^-1 P is upper triangular
 * with U^T U = (H + lambda I)^-1: one Cholesky and one triangular inverse, both n^3 / 6
 * multiply-adds, in doubles. Each inner product or update runs in one fixed order on one thread, so
 * the threads only share out independent work.
 */
#include "quant/gptq.h"

#include "quant/grid.h"
#include "quant/quant.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

/* The hot loops are built for AVX-512 and AVX2 too, picked when the program loads (GCC's target_clones);
 * their operations are the same (no fused multiply-add), so are their results. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define EL_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define EL_CLONES
#endif

void el_gptq_free(el_gptq *f)
{
    free(f->u);
    memset(f, 0, sizeof *f);
}

/* sum a[k] b[k], k < n, in 16 fixed partial sums (k mod 16) added in order */
EL_CLONES static double dot(const double *a, const double *b, int64_t n)
{
    double acc[16] = {0};
    int64_t k = 0;
    for (; k + 16 <= n; k += 16)
        for (int l = 0; l < 16; l++)
            acc[l] += a[k + l] * b[k + l];
    double s = 0;
    for (; k < n; k++)
        s += a[k] * b[k];
    for (int l = 0; l < 16; l++)
        s += acc[l];
    return s;
}

/* columns [j0, j1) (at most 16) of li = L^-1 (L lower in a): row i = (e_i - sum_{k<i} L[i][k] li[k]) / L[i][i],
 * the sum over even and odd k apart (two chains of additions instead of one), then added */
EL_CLONES static void inv_cols(const double *a, double *li, int64_t n, int64_t j0, int64_t j1)
{
    for (int64_t i = j0; i < n; i++) {
        const double *ri = a + (size_t)i * (size_t)n;
        double s0[16] = {0}, s1[16] = {0};
        int64_t k = j0;
        for (; k + 2 <= i; k += 2) {
            const double *l0 = li + (size_t)k * (size_t)n + (size_t)j0, *l1 = l0 + n;
            for (int j = 0; j < 16; j++) {
                s0[j] += ri[k] * l0[j];
                s1[j] += ri[k + 1] * l1[j];
            }
        }
        for (; k < i; k++) {
            const double *l0 = li + (size_t)k * (size_t)n + (size_t)j0;
            for (int j = 0; j < 16; j++)
                s0[j] += ri[k] * l0[j];
        }
        double *lo = li + (size_t)i * (size_t)n;
        for (int64_t j = j0; j < j1 && j <= i; j++)
            lo[j] = ((i == j ? 1.0 : 0.0) - (s0[j - j0] + s1[j - j0])) / ri[i];
    }
}

int el_gptq_factor(el_gptq *f, const float *h, int64_t n, double damp, int threads, el_error *err)
{
    memset(f, 0, sizeof *f);
    const size_t nn = (size_t)n * (size_t)n;
    double mean = 0;
    for (int64_t i = 0; i < n; i++)
        mean += h[(size_t)i * (size_t)n + (size_t)i];
    mean /= (double)n;
    if (!(mean > 0) || !isfinite(mean))
        return EL_FAIL(err, EL_ERANGE, NULL, -1, "the inputs' second moment is zero: nothing to compensate");
    const double lambda = damp * mean;
    double *a = malloc(nn * sizeof *a), *li = calloc(nn, sizeof *li);
    float *u = malloc(nn * sizeof *u);
    if (!a || !li || !u) {
        free(a);
        free(li);
        free(u);
        return EL_NOMEM(err);
    }
    /* a = P (H + lambda I) P, lower triangle */
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j <= i; j++)
            a[(size_t)i * (size_t)n + (size_t)j] =
                (double)h[(size_t)(n - 1 - i) * (size_t)n + (size_t)(n - 1 - j)] + (i == j ? lambda : 0.0);
    /* Cholesky, column by column: L[j][j], then the rows below it */
    int bad = 0;
#pragma omp parallel num_threads(threads)
    for (int64_t j = 0; j < n; j++) {
        double *rj = a + (size_t)j * (size_t)n;
#pragma omp single
        {
            const double d = rj[j] - dot(rj, rj, j);
            if (!(d > 0) || !isfinite(d))
                bad = 1;
            rj[j] = bad ? 1.0 : sqrt(d);
        } /* implied barrier */
        const double inv = 1.0 / rj[j];
#pragma omp for schedule(static)
        for (int64_t i = j + 1; i < n; i++) {
            double *ri = a + (size_t)i * (size_t)n;
            ri[j] = (ri[j] - dot(ri, rj, j)) * inv;
        }
    }
    if (bad) {
        free(a);
        free(li);
        free(u);
        return EL_FAIL(err, EL_ERANGE, NULL, -1, "the inputs' second moment is not positive definite after damping %g", damp);
    }
    /* li = L^-1, row i = (e_i - sum_{k<i} L[i][k] li[k]) / L[i][i]; column j only needs column j of the rows above,
     * so the threads take columns (in groups of 16, dealt round-robin: the work of column j falls as j grows) */
#pragma omp parallel num_threads(threads)
    {
        const int ith = omp_get_thread_num(), nth = omp_get_num_threads();
        for (int64_t j0 = 16 * (int64_t)ith; j0 < n; j0 += 16 * (int64_t)nth)
            inv_cols(a, li, n, j0, j0 + 16 < n ? j0 + 16 : n);
    }
    /* U = P li P: U[i][j] = li[n-1-i][n-1-j], upper */
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++)
            u[(size_t)i * (size_t)n + (size_t)j] = j >= i ? (float)li[(size_t)(n - 1 - i) * (size_t)n + (size_t)(n - 1 - j)] : 0.0f;
    free(a);
    free(li);
    f->n = n;
    f->u = u;
    f->h = h;
    f->lambda = lambda;
    return EL_OK;
}

void el_gptq_col_importance(const el_gptq *f, float *imp)
{
    for (int64_t i = 0; i < f->n; i++) {
        const double u = f->u[(size_t)i * (size_t)f->n + (size_t)i];
        imp[i] = (float)(1.0 / (u * u));
    }
}

/* the columns from k0 on take a column's scaled error t: w[k] -= t u[k] */
EL_CLONES static void feed(float *w, const float *u, float t, int64_t k0, int64_t n)
{
    for (int64_t k = k0; k < n; k++)
        w[k] -= t * u[k];
}

void el_gptq_row(const el_gptq *f, const el_gptq_quant *q, const float *imp, const float *x, uint8_t *out, float *work,
                 double *sse, double *max_abs)
{
    const int64_t n = f->n;
    const int bs = q->bs;
    float deq[QK_K];
    int lv[QK_K];
    el_qgrid g;
    double s2 = 0, mx = 0;
    memcpy(work, x, (size_t)n * sizeof *work);
    for (int64_t s = 0; s < n; s += bs) {
        uint8_t *y = out + (size_t)(s / bs) * q->block_bytes;
        q->block(q->ud, work + s, y, bs, imp ? imp + s : NULL, deq);
        /* the block's scales as the search chose them; its levels again, column by column, each column's error
         * fed forward to every column after it (in the block and beyond) */
        el_qgrid_of(q->type, y, &g);
        for (int i = 0; i < bs; i++) {
            const int64_t c = s + i;
            float d;
            lv[i] = el_qgrid_nearest(&g, i, work[c], &d);
            const float *uc = f->u + (size_t)c * (size_t)n;
            feed(work, uc, (float)(((double)work[c] - (double)d) / (double)uc[c]), c + 1, n);
        }
        el_qgrid_set(q->type, y, lv);
        el_dequantize_row(q->type, y, deq, bs);
        /* the block's slots now hold the row's final error */
        for (int i = 0; i < bs; i++) {
            const float e = x[s + i] - deq[i];
            work[s + i] = e;
            s2 += (double)e * (double)e;
            mx = fabs((double)e) > mx ? fabs((double)e) : mx;
        }
    }
    *sse = s2;
    *max_abs = mx;
}

/* sum_{j>i} H_ij v_j for row i: 16 float lanes, then the tail, then the lanes in order */
EL_CLONES static float upper_dot(const float *hi, const float *v, int64_t i, int64_t n)
{
    float acc[16] = {0};
    int64_t j = i + 1;
    for (; j + 16 <= n; j += 16)
        for (int l = 0; l < 16; l++)
            acc[l] += hi[j + l] * v[j + l];
    float r = 0;
    for (; j < n; j++)
        r += hi[j] * v[j];
    for (int l = 0; l < 16; l++)
        r += acc[l];
    return r;
}

/* v^T H v = sum_i v_i (H_ii v_i + 2 sum_{j>i} H_ij v_j), each row's part added in doubles; H's row is read
 * for the three vectors while it is in cache */
void el_gptq_forms(const float *h, int64_t n, const float *a, const float *b, const float *c, double out[3])
{
    const float *v[3] = {a, b, c};
    double tot[3] = {0, 0, 0};
    for (int64_t i = 0; i < n; i++) {
        const float *hi = h + (size_t)i * (size_t)n;
        for (int q = 0; q < 3; q++)
            if (v[q])
                tot[q] += (double)v[q][i] * ((double)hi[i] * v[q][i] + 2.0 * (double)upper_dot(hi, v[q], i, n));
    }
    memcpy(out, tot, sizeof tot);
}
