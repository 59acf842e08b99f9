/*
 * bench/engine_bench.c - prefill and decode speed of the engine, measured the
 * way llama-bench measures them (built by bench/engine.sh).
 *
 *   engine_bench MODEL [-t THREADS] [-p 512] [-n 128] [-r REPS] [--kernels NAME] [--bw MIB]
 *
 * pp: one batch of P random tokens from an empty cache (logits of the last).
 * tg: N tokens decoded one at a time from an empty cache.
 * Each is run once to warm up (page cache, mapping), then REPS times; the
 * line printed holds the mean and standard deviation of tokens/s, the bytes
 * of weights one decode step reads, and (with --bw) the read bandwidth of
 * this machine over a buffer of MIB mebibytes (el_read_bandwidth, the same as `edgelm bench`), so decode can be put against
 * its memory roofline: roofline t/s = bandwidth / bytes per token.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/context.h"
#include "engine/model.h"
#include "eval/bench.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what, const el_error *e)
{
    fprintf(stderr, "engine_bench: %s: %s\n", what, e->msg);
    exit(1);
}

int main(int argc, char **argv)
{
    const char *path = NULL, *kern = NULL;
    int threads = 2, P = 512, N = 128, reps = 3, bw_mib = 0;
    bool kv_f32 = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-t") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-p") && i + 1 < argc)
            P = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-n") && i + 1 < argc)
            N = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-r") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--kernels") && i + 1 < argc)
            kern = argv[++i];
        else if (!strcmp(argv[i], "--bw") && i + 1 < argc)
            bw_mib = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--kv-f32"))
            kv_f32 = true;
        else if (argv[i][0] != '-' && !path)
            path = argv[i];
        else {
            fprintf(stderr, "usage: engine_bench MODEL [-t N] [-p N] [-n N] [-r N] [--kernels NAME] [--bw MIB] [--kv-f32]\n");
            return 2;
        }
    }
    if (!path || reps < 1 || P < 0 || N < 0) {
        fprintf(stderr, "engine_bench: a model and sane sizes, please\n");
        return 2;
    }
    el_error e;
    el_error_clear(&e);
    el_model *m;
    if (el_model_load(&m, path, &e))
        die(path, &e);
    el_context_params cp = el_context_default_params();
    cp.n_ctx = P + N + 1;
    cp.n_batch = P > 1 ? P : 1;
    cp.n_threads = threads;
    cp.kv_f32 = kv_f32;
    if (kern && !(cp.kernels = el_kernels_by_name(kern))) {
        fprintf(stderr, "engine_bench: kernels '%s' unknown or not supported here\n", kern);
        return 2;
    }
    el_context *c;
    if (el_context_new(&c, m, &cp, &e))
        die("context", &e);
    int32_t *tok = malloc(sizeof(int32_t) * (size_t)(P + N + 1)), *pos = malloc(sizeof(int32_t) * (size_t)(P + N + 1));
    if (!tok || !pos)
        return 1;
    uint64_t s = 12345;
    for (int i = 0; i < P + N + 1; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        tok[i] = (int32_t)((s >> 33) % (uint64_t)m->hp.n_vocab);
        pos[i] = i;
    }
    double pp[64], tg[64];
    if (reps > 64)
        reps = 64;
    for (int r = -1; r < reps; r++) {
        if (P > 0) {
            el_seq_clear(c, 0);
            el_batch b = {P, tok, pos, NULL, NULL};
            double t = now();
            if (el_decode(c, &b, &e))
                die("prefill", &e);
            t = now() - t;
            if (r >= 0)
                pp[r] = P / t;
        }
        if (N > 0) {
            el_seq_clear(c, 0);
            double t = now();
            for (int i = 0; i < N; i++) {
                el_batch b = {1, tok + i, pos + i, NULL, NULL};
                if (el_decode(c, &b, &e))
                    die("decode", &e);
            }
            t = now() - t;
            if (r >= 0)
                tg[r] = N / t;
        }
    }
    double mp = 0, sp = 0, mt = 0, st = 0;
    for (int r = 0; r < reps; r++) {
        mp += pp[r] / reps;
        mt += tg[r] / reps;
    }
    for (int r = 0; r < reps; r++) {
        sp += (pp[r] - mp) * (pp[r] - mp) / reps;
        st += (tg[r] - mt) * (tg[r] - mt) / reps;
    }
    double bw = bw_mib > 0 ? el_read_bandwidth((uint64_t)bw_mib, threads) : 0;
    printf("{\"model\": \"%s\", \"kernels\": \"%s\", \"threads\": %d, \"pp\": %d, \"pp_tps\": %.2f, \"pp_sd\": %.2f, "
           "\"tg\": %d, \"tg_tps\": %.2f, \"tg_sd\": %.2f, \"bytes_per_token\": %llu, \"read_bw\": %.0f}\n",
           path, kern ? kern : "best", threads, P, mp, sqrt(sp), N, mt, sqrt(st),
           (unsigned long long)el_model_bytes_per_token(m), bw);
    free(tok);
    free(pos);
    el_context_free(c);
    el_model_free(m);
    return 0;
}
