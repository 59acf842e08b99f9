/*
 * bench/kernel_bench.c - compute ceiling of the decode kernels: one thread, gemv over a matrix that
 * fits the L2 cache, so the figure is how fast a core turns weight bytes into dot products when
 * memory is not the limit. Decode can only reach the DRAM roofline if the threads together
 * compute faster than DRAM delivers (bench/engine.sh; docs/engine.md).
 *
 *   make build/libedgelm.a && gcc -std=c11 -O2 -I. bench/kernel_bench.c build/libedgelm.a \
 *       $(pkg-config --libs jansson libpcre2-8 libutf8proc zlib libarchive) -fopenmp -lm -o kernel_bench
 *   ./kernel_bench [TABLE] [COLS] [ROWS]     (default best 1536 576; SmolLM2-135M: 576 x 1536, 1536 x 576)
 *
 * Prints GB/s of weights, the best of 15 repeats (the VM's clock varies between runs).
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "engine/kernels/kernels.h"
#include "formats/ggml_type.h"
#include "quant/quant.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    const el_kernels *k = el_kernels_by_name(argc > 1 ? argv[1] : "best");
    const int64_t n = argc > 2 ? atoll(argv[2]) : 1536;
    const int rows = argc > 3 ? atoi(argv[3]) : 576;
    if (!k || n <= 0 || rows <= 0 || rows % 16) {
        fprintf(stderr, "usage: kernel_bench [ref|avx2|avx512|best] [COLS] [ROWS, a multiple of 16]\n");
        return 2;
    }
    const uint32_t types[] = {EL_TYPE_F16, EL_TYPE_Q8_0, EL_TYPE_Q4_0, EL_TYPE_Q4_1, EL_TYPE_Q5_0, EL_TYPE_Q5_1,
                              EL_TYPE_Q4_K, EL_TYPE_Q5_K, EL_TYPE_Q6_K};
    float *x = malloc((size_t)n * sizeof *x), *w = malloc((size_t)n * sizeof *w), y[16];
    if (!x || !w)
        return 1;
    for (int64_t i = 0; i < n; i++) {
        x[i] = sinf((float)i * 0.37f);
        w[i] = cosf((float)i * 0.11f);
    }
    for (size_t ti = 0; ti < sizeof types / sizeof *types; ti++) {
        const uint32_t t = types[ti];
        const el_qtraits *q = el_qtraits_get(t);
        uint64_t rb;
        if (n % el_type_get(t)->block_size || !q->from_float_ref || !el_type_row_bytes(t, (uint64_t)n, &rb))
            continue;
        uint8_t *W = aligned_alloc(64, (rb * (uint64_t)rows + 63) & ~(uint64_t)63);
        uint8_t *A = aligned_alloc(64, EL_PREP_BYTES(n)), *P = aligned_alloc(64, EL_PREP_BYTES(n));
        if (!W || !A || !P)
            return 1;
        for (int r = 0; r < rows; r++)
            q->from_float_ref(w, W + rb * (uint64_t)r, n);
        const void *a = A;
        if (q->vec_dot_type == EL_TYPE_F32)
            a = x;
        else
            k->quant_act[q->vec_dot_type](x, A, n);
        if (k->prep[t]) {
            k->prep[t](n, a, P);
            a = P;
        }
        const int iters = 400;
        double best = 1e9;
        for (int rep = 0; rep < 15; rep++) {
            const double t0 = now();
            for (int it = 0; it < iters; it++)
                for (int r = 0; r < rows; r += 16)
                    k->gemv[t](n, W + rb * (uint64_t)r, rb, 16, a, y);
            const double d = now() - t0;
            best = d < best ? d : best;
        }
        printf("%-5s %-6s %5lld x %-5d %6.1f GB/s\n", el_type_name(t), k->name, (long long)n, rows,
               (double)rb * rows * iters / best / 1e9);
        free(W);
        free(A);
        free(P);
    }
    free(x);
    free(w);
    return 0;
}
