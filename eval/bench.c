/*
 * eval/bench.c - speed and memory measurements (see bench.h).
 */
#include "eval/bench.h"
#include "eval/device.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "core/progress.h"
#include "core/util.h"
#include "engine/context.h"
#include "engine/model.h"

/* ---- memory bandwidth ---------------------------------------------------------------------------- */

/* 256-bit loads where the CPU has them, as the kernels use: a scalar loop cannot issue loads fast
 * enough to saturate memory on some machines. */
#if defined(__x86_64__)
#include <immintrin.h>
__attribute__((target("avx2"))) static uint64_t sum_avx2(const uint8_t *b, size_t n)
{
    __m256i a0 = _mm256_setzero_si256(), a1 = _mm256_setzero_si256();
    for (size_t i = 0; i + 128 <= n; i += 128) {
        a0 = _mm256_add_epi64(a0, _mm256_load_si256((const __m256i *)(const void *)(b + i)));
        a1 = _mm256_add_epi64(a1, _mm256_load_si256((const __m256i *)(const void *)(b + i + 32)));
        a0 = _mm256_add_epi64(a0, _mm256_load_si256((const __m256i *)(const void *)(b + i + 64)));
        a1 = _mm256_add_epi64(a1, _mm256_load_si256((const __m256i *)(const void *)(b + i + 96)));
    }
    return (uint64_t)_mm256_extract_epi64(_mm256_add_epi64(a0, a1), 0);
}
#endif

static uint64_t sum_bytes(const uint8_t *b, size_t n)
{
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx2"))
        return sum_avx2(b, n);
#endif
    uint64_t a0 = 0, a1 = 0;
    for (size_t i = 0; i + 16 <= n; i += 16) {
        uint64_t x, y;
        memcpy(&x, b + i, 8);
        memcpy(&y, b + i + 8, 8);
        a0 += x;
        a1 += y;
    }
    return a0 + a1;
}

double el_read_bandwidth(uint64_t mib, int threads)
{
    const size_t n = (size_t)mib << 20;
    uint8_t *b = n ? aligned_alloc(64, n) : NULL;
    if (!b)
        return 0;
    memset(b, 1, n);
    double best = 0;
    uint64_t sink = 0;
    if (threads <= 0)
        threads = omp_get_num_procs();
    for (int r = 0; r < 5; r++) {
        double t = el_now();
#pragma omp parallel num_threads(threads) reduction(+ : sink)
        {
            const size_t nth = (size_t)omp_get_num_threads(), ith = (size_t)omp_get_thread_num();
            const size_t lo = n / nth * ith / 128 * 128, hi = ith == nth - 1 ? n : n / nth * (ith + 1) / 128 * 128;
            sink += sum_bytes(b + lo, hi - lo);
        }
        t = el_now() - t;
        if (t > 0 && (double)n / t > best)
            best = (double)n / t;
    }
    free(b);
    return sink == 42 ? best + 1 : best; /* keep the sums alive */
}

uint64_t el_llc_bytes(void)
{
    uint64_t best = 0;
    int best_level = 0;
    for (int i = 0; i < 16; i++) {
        char path[96];
        int level = 0;
        unsigned long long v = 0;
        char unit = 0;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", i);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        const bool ok = fscanf(f, "%d", &level) == 1;
        fclose(f);
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
        if (!ok || !(f = fopen(path, "r")))
            continue;
        const int got = fscanf(f, "%llu%c", &v, &unit);
        fclose(f);
        if (got < 1 || v > (1ull << 40))
            continue;
        const uint64_t bytes = (uint64_t)v << (got == 2 && unit == 'K' ? 10 : got == 2 && unit == 'M' ? 20 : 0);
        if (level > best_level || (level == best_level && bytes > best)) {
            best_level = level;
            best = bytes;
        }
    }
    return best;
}

uint64_t el_bw_buffer_mib(uint64_t want, uint64_t llc)
{
    if (!want)
        return 0;
    const uint64_t twice = llc > (1ull << 40) ? 4096 : (2 * llc + (1 << 20) - 1) >> 20;
    const uint64_t mib = want > twice ? want : twice;
    return mib < 4096 ? mib : 4096;
}

double el_bench_roofline(double avg_ts, double bw, uint64_t bytes_per_token, uint64_t llc, const char **why)
{
    *why = NULL;
    if (!(bw > 0) || !bytes_per_token || !(avg_ts >= 0)) {
        *why = "no_bandwidth";
        return NAN;
    }
    const double pct = 100.0 * avg_ts * (double)bytes_per_token / bw;
    if (!(pct <= 100.0)) {
        *why = bytes_per_token <= llc ? "fits_llc" : "above_roofline";
        return NAN;
    }
    return pct;
}

bool el_bench_noisy(double avg, double stddev) { return avg > 0 && stddev > 0.1 * avg; }

/* ---- peak RSS ------------------------------------------------------------------------------------- */

bool el_peak_rss_reset(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (!f)
        return false;
    const bool ok = fputs("5", f) >= 0; /* 5: reset the peak RSS (Linux 4.0+) */
    return fclose(f) == 0 && ok;
}

uint64_t el_peak_rss(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (f) {
        char line[256];
        unsigned long long kb = 0;
        bool found = false;
        while (!found && fgets(line, sizeof line, f))
            found = sscanf(line, "VmHWM: %llu kB", &kb) == 1;
        fclose(f);
        if (found)
            return (uint64_t)kb << 10;
    }
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? (uint64_t)ru.ru_maxrss << 10 : 0;
}

/* ---- the tests ------------------------------------------------------------------------------------ */

static void finish_test(el_bench_test *t, int n_tok)
{
    double m = 0, s = 0, mt = 0, st = 0;
    for (int r = 0; r < t->reps; r++) {
        m += t->samples_ns[r] / t->reps;
        mt += n_tok * 1e9 / t->samples_ns[r] / t->reps;
    }
    for (int r = 0; r < t->reps; r++) {
        const double ts = n_tok * 1e9 / t->samples_ns[r];
        s += (t->samples_ns[r] - m) * (t->samples_ns[r] - m);
        st += (ts - mt) * (ts - mt);
    }
    t->avg_ns = m;
    t->avg_ts = mt;
    t->stddev_ns = t->reps > 1 ? sqrt(s / (t->reps - 1)) : 0; /* sample deviation, as llama-bench */
    t->stddev_ts = t->reps > 1 ? sqrt(st / (t->reps - 1)) : 0;
    t->noisy = el_bench_noisy(t->avg_ts, t->stddev_ts);
}

static int argmax(const float *l, int n)
{
    int b = 0;
    for (int i = 1; i < n; i++)
        if (l[i] > l[b])
            b = i;
    return b;
}

/* Random tokens at positions 0.., as llama-bench uses (the same ones for every test and model). */
static void random_tokens(int32_t *tok, int32_t *pos, int n, int n_vocab)
{
    uint64_t s = 12345;
    for (int i = 0; i < n; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        tok[i] = (int32_t)((s >> 33) % (uint64_t)n_vocab);
        pos[i] = i;
    }
}

/* The device around a test: temperature and energy before, then after (eval/device.h). */
typedef struct probe {
    el_energy e0;
    bool has_e;
    double t0;
} probe;

static void probe_begin(el_bench_test *t, probe *p)
{
    t->temp_before_c = el_device_temp("", NULL, 0);
    p->has_e = el_device_energy("", &p->e0);
    p->t0 = el_now();
}

static void probe_end(el_bench_test *t, const probe *p, int runs)
{
    t->seconds = el_now() - p->t0;
    t->runs = runs;
    t->temp_after_c = el_device_temp("", NULL, 0);
    t->energy_source = NULL;
    t->energy_j = NAN;
    el_energy e1;
    if (!p->has_e || !el_device_energy("", &e1) || e1.source != p->e0.source)
        return;
    t->energy_source = e1.source;
    if (p->e0.source && strcmp(p->e0.source, "rapl-package") == 0) {
        double d = e1.joules - p->e0.joules;
        if (d < 0 && p->e0.range_j > 0)
            d += p->e0.range_j; /* the counter wrapped */
        t->energy_j = d >= 0 ? d : NAN;
    } else {
        /* a battery says its power now: the mean of the two readings over the test's time */
        t->energy_j = 0.5 * (p->e0.watts + e1.watts) * t->seconds;
    }
}

static int run_pp(el_context *c, const int32_t *tok, const int32_t *pos, int V, el_bench_test *t, el_progress *prog,
                  el_error *err)
{
    double ttft = 0;
    for (int r = -1; r < t->reps; r++) {
        el_seq_clear(c, 0);
        const el_batch b = {t->n_prompt, tok, pos, NULL, NULL};
        const double t0 = el_now();
        int rc = el_decode(c, &b, err);
        if (rc)
            return rc;
        const double t1 = el_now();
        volatile int first = argmax(el_logits(c, 0), V);
        (void)first;
        const double t2 = el_now();
        if (r >= 0) {
            t->samples_ns[r] = (t1 - t0) * 1e9;
            ttft += (t2 - t0) * 1e3 / t->reps;
        }
        el_progress_set(prog, (uint64_t)(r + 2));
    }
    t->ttft_ms = ttft;
    finish_test(t, t->n_prompt);
    return 0;
}

static int run_tg(el_context *c, const int32_t *tok, const int32_t *pos, el_bench_test *t, el_progress *prog, el_error *err)
{
    for (int r = -1; r < t->reps; r++) {
        el_seq_clear(c, 0);
        const double t0 = el_now();
        for (int i = 0; i < t->n_gen; i++) {
            const el_batch b = {1, tok + i, pos + i, NULL, NULL};
            int rc = el_decode(c, &b, err);
            if (rc)
                return rc;
        }
        if (r >= 0)
            t->samples_ns[r] = (el_now() - t0) * 1e9;
        el_progress_set(prog, (uint64_t)(r + 2));
    }
    finish_test(t, t->n_gen);
    return 0;
}

int el_bench_run(const char *path, const int *n_prompt, int n_np, const int *n_gen, int n_ng, const int *threads,
                 int n_th, int reps, const double *bw, el_progress *prog, el_bench_model *bm, el_bench_test *tests,
                 int *n_tests, el_error *err)
{
    memset(bm, 0, sizeof *bm);
    *n_tests = 0;
    if (reps < 1 || reps > EL_BENCH_MAX_REPS)
        return EL_FAIL(err, EL_EUSAGE, NULL, -1, "repetitions must be 1..%d", EL_BENCH_MAX_REPS);
    int max_p = 0, max_n = 0;
    for (int i = 0; i < n_np; i++)
        max_p = n_prompt[i] > max_p ? n_prompt[i] : max_p;
    for (int i = 0; i < n_ng; i++)
        max_n = n_gen[i] > max_n ? n_gen[i] : max_n;
    el_peak_rss_reset();
    el_model *m = NULL;
    el_context *c = NULL;
    int32_t *tok = NULL, *pos = NULL;
    const double t0 = el_now();
    int rc = el_model_load(&m, path, err);
    if (rc)
        return rc;
    bm->load_ms = (el_now() - t0) * 1e3;
    el_model_info_of(m, &bm->info);
    bm->bytes_per_token = el_model_bytes_per_token(m);
    const int len = max_p + max_n + 1;
    tok = malloc((size_t)len * sizeof *tok);
    pos = malloc((size_t)len * sizeof *pos);
    if (!tok || !pos) {
        rc = EL_NOMEM(err);
        goto done;
    }
    random_tokens(tok, pos, len, m->hp.n_vocab);
    const uint64_t llc = el_llc_bytes();
    char label[64];
    for (int ti = 0; ti < n_th && !rc; ti++) {
        el_context_params p = el_context_default_params();
        p.n_ctx = len;
        p.n_batch = max_p > 1 ? max_p : 1;
        p.n_threads = threads[ti];
        if ((rc = el_context_new(&c, m, &p, err)))
            break;
        bm->kv_bytes = el_context_kv_bytes(c);
        bm->kv_bytes_per_pos = bm->kv_bytes / (uint64_t)len;
        /* the prompt sizes (prefill), then the generation lengths (decode) */
        for (int i = 0; i < n_np + n_ng && !rc; i++) {
            const bool gen = i >= n_np;
            const int len_i = gen ? n_gen[i - n_np] : n_prompt[i];
            if (len_i <= 0)
                continue;
            el_bench_test *t = &tests[(*n_tests)++];
            *t = (el_bench_test){.n_prompt = gen ? 0 : len_i, .n_gen = gen ? len_i : 0, .n_threads = threads[ti],
                                 .reps = reps};
            probe pr;
            snprintf(label, sizeof label, "%s%d %s", gen ? "tg" : "pp", len_i, bm->info.name);
            el_progress_begin(prog, label, "runs", (uint64_t)reps + 1);
            probe_begin(t, &pr);
            rc = gen ? run_tg(c, tok, pos, t, prog, err) : run_pp(c, tok, pos, m->hp.n_vocab, t, prog, err);
            probe_end(t, &pr, reps + 1);
            el_progress_end(prog);
            if (gen && !rc && bw && bw[ti] > 0) {
                t->roofline_bw = bw[ti];
                t->roofline_pct = el_bench_roofline(t->avg_ts, bw[ti], bm->bytes_per_token, llc, &t->roofline_why);
                t->fits_llc = bm->bytes_per_token <= llc;
            }
        }
        el_context_free(c);
        c = NULL;
    }
    bm->peak_rss = el_peak_rss();
done:
    el_context_free(c);
    free(tok);
    free(pos);
    el_model_free(m);
    return rc;
}

int el_bench_sustain(const char *path, int n_gen, int threads, double seconds, el_bench_test *t, el_error *err)
{
    *t = (el_bench_test){.n_gen = n_gen, .n_threads = threads, .sustain_s = seconds};
    if (n_gen < 1 || !(seconds > 0))
        return EL_FAIL(err, EL_EUSAGE, NULL, -1, "--sustain needs a decode test (-n > 0) and seconds > 0");
    el_model *m = NULL;
    el_context *c = NULL;
    int32_t *tok = NULL, *pos = NULL;
    int rc = el_model_load(&m, path, err);
    if (rc)
        return rc;
    tok = malloc((size_t)(n_gen + 1) * sizeof *tok);
    pos = malloc((size_t)(n_gen + 1) * sizeof *pos);
    el_context_params p = el_context_default_params();
    p.n_ctx = n_gen + 1;
    p.n_batch = 1;
    p.n_threads = threads;
    if (!tok || !pos)
        rc = EL_NOMEM(err);
    if (!rc)
        rc = el_context_new(&c, m, &p, err);
    if (!rc)
        random_tokens(tok, pos, n_gen + 1, m->hp.n_vocab);
    probe pr;
    probe_begin(t, &pr);
    const double start = el_now();
    while (!rc && t->reps < EL_BENCH_MAX_REPS && el_now() - start < seconds) {
        el_seq_clear(c, 0);
        const double t0 = el_now();
        for (int i = 0; i < n_gen && !rc; i++) {
            const el_batch b = {1, tok + i, pos + i, NULL, NULL};
            rc = el_decode(c, &b, err);
        }
        if (!rc)
            t->samples_ns[t->reps++] = (el_now() - t0) * 1e9;
    }
    probe_end(t, &pr, t->reps);
    if (!rc && t->reps > 0) {
        finish_test(t, n_gen);
        const int k = EL_MAX(1, t->reps / 10);
        double a = 0, b = 0;
        for (int r = 0; r < k; r++) {
            a += n_gen * 1e9 / t->samples_ns[r] / k;
            b += n_gen * 1e9 / t->samples_ns[t->reps - 1 - r] / k;
        }
        t->first10_ts = a;
        t->last10_ts = b;
    }
    el_context_free(c);
    free(tok);
    free(pos);
    el_model_free(m);
    return rc;
}
