/*
 * bench/tok_bench.c - edgelm's tokenizer throughput (built by bench/tokenize.sh).
 *
 *   tok_bench MODEL FILE [RUNS]
 * FILE holds chunks separated by 0x1e; each is encoded on one thread with one
 * context (its word cache warm from the previous chunks, as in real use).
 * Prints: MB/s (median of RUNS) and the token count.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/tokenizer/tokenizer.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: tok_bench MODEL FILE [RUNS]\n");
        return 2;
    }
    int runs = argc > 3 ? atoi(argv[3]) : 3;
    FILE *f = fopen(argv[2], "rb");
    if (!f)
        return 1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)n + 1);
    if (fread(text, 1, (size_t)n, f) != (size_t)n)
        return 1;
    fclose(f);
    el_error e;
    el_error_clear(&e);
    el_tokenizer *t;
    if (el_tok_load(&t, argv[1], &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    double *times = malloc((size_t)runs * sizeof *times);
    size_t total = 0;
    for (int r = 0; r < runs; r++) {
        el_tok_ctx *c = el_tok_ctx_new();
        el_tokens ids = {0};
        total = 0;
        double t0 = now();
        for (long s = 0; s < n;) {
            char *end = memchr(text + s, 0x1e, (size_t)(n - s));
            long e2 = end ? end - text : n;
            ids.n = 0;
            el_tok_encode(t, c, text + s, (size_t)(e2 - s), EL_TOK_PARSE_SPECIAL, &ids, &e); /* as tokenizers does */
            total += ids.n;
            s = e2 + 1;
        }
        times[r] = now() - t0;
        el_tokens_free(&ids);
        el_tok_ctx_free(c);
    }
    qsort(times, (size_t)runs, sizeof *times, cmp);
    printf("%.2f %zu\n", (double)n / 1e6 / times[runs / 2], total);
    el_tok_free(t);
    free(times);
    free(text);
    return 0;
}
