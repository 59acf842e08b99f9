/*
 * eval/bench.h - speed and memory of a model on this machine, measured as llama-bench measures
 * them, plus what a device budget needs: time to first token, peak resident memory, KV cache bytes
 * and decode against the memory-bandwidth roofline.
 *
 *   pp (prefill): P tokens in one forward pass from an empty cache; tokens/s = P / time.
 *   tg (decode):  N tokens one at a time from an empty cache; tokens/s = N / time.
 *   ttft:         P tokens prefilled and the first token picked (greedy) from their logits.
 * Each test runs once to warm up (page cache, mapping), then `reps` times; the record holds every
 * sample, their mean and standard deviation (llama-bench's avg_ts / stddev_ts / samples_ts).
 *
 * Decode reads every weight once per token, so tokens/s <= DRAM bandwidth / bytes per token: the
 * roofline. The bandwidth is measured here, every thread summing its share of a buffer (best of 5)
 * at least twice the last-level cache, so that it comes from DRAM, and roofline_pct = decode
 * tokens/s / roofline tokens/s * 100 (el_bench_roofline). It has no value (NAN and a reason) where
 * it would pass 100%: decode then read faster than DRAM, from a cache (the bytes a token reads fit the
 * last-level cache) or because the bandwidth measured is short of the machine's.
 *
 * Peak RSS is the process's high-water mark while this model was loaded and run: reset before
 * loading it (/proc/self/clear_refs on Linux) and read after (VmHWM). The model's mapped pages
 * count, as they would on a device.
 */
#ifndef EL_EVAL_BENCH_H
#define EL_EVAL_BENCH_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "core/progress.h"
#include "engine/model_info.h"

enum { EL_BENCH_MAX_REPS = 100 };

typedef struct el_bench_test {
    int n_prompt, n_gen, n_threads;
    int reps;
    double samples_ns[EL_BENCH_MAX_REPS]; /* per repetition, nanoseconds */
    double avg_ns, stddev_ns, avg_ts, stddev_ts;
    double ttft_ms;           /* pp tests: mean time to first token */
    double roofline_pct;      /* tg tests: avg_ts against bandwidth / bytes per token (0: not measured; NAN: see roofline_why) */
    const char *roofline_why; /* why roofline_pct is NAN: "fits_llc" or "above_roofline" */
    bool fits_llc;            /* bytes_per_token at most the last-level cache */
    double roofline_bw;       /* the bandwidth it used, bytes/s */
    bool noisy;               /* stddev_ts above 10% of avg_ts */
    /* the device during the test (warm-up included): the hottest thermal zone before and after (NAN:
     * none), and the energy it used where a sensor exists (eval/device.h; energy_source NULL: none) */
    double temp_before_c, temp_after_c;
    const char *energy_source;
    double energy_j;
    int runs;                 /* runs the energy covers (warm-up + reps) */
    double seconds;           /* their wall time */
    /* sustained decode (--sustain): samples over sustain_s seconds, tokens/s of the first and last 10% */
    double sustain_s, first10_ts, last10_ts;
} el_bench_test;

typedef struct el_bench_model {
    el_model_info info;
    uint64_t bytes_per_token; /* weight bytes one decode step reads */
    uint64_t peak_rss;        /* bytes, 0 when the system does not say */
    uint64_t kv_bytes;        /* KV cache of a context of n_prompt + n_gen (the largest asked) */
    uint64_t kv_bytes_per_pos; /* of one position: what a longer context adds (report --ctx) */
    double load_ms;
} el_bench_model;

/* Read bandwidth of this machine, bytes/s: threads sum a buffer of mib MiB; best of 5. 0 on OOM. */
double el_read_bandwidth(uint64_t mib, int threads);

/* Bytes of the largest (last-level) CPU cache, from /sys/devices/system/cpu/cpu0/cache; 0 when unknown. */
uint64_t el_llc_bytes(void);

/* The buffer (MiB) for el_read_bandwidth to measure DRAM: at least want, at least twice llc bytes,
 * at most 4096 (0 stays 0: no measurement). */
uint64_t el_bw_buffer_mib(uint64_t want, uint64_t llc);

/*
 * Decode tokens/s as a percentage of the DRAM roofline, bw / bytes_per_token tokens/s; never above 100.
 * NAN with *why set where it does not apply: "no_bandwidth" (bw or bytes_per_token 0), and where the
 * figure would pass 100%, "fits_llc" when bytes_per_token is at most llc (the weights stayed in cache
 * between tokens), else "above_roofline" (the bandwidth measured is not what decode saw). *why is
 * NULL when the figure is valid.
 */
double el_bench_roofline(double avg_ts, double bw, uint64_t bytes_per_token, uint64_t llc, const char **why);

/* Whether repetitions spread too much to trust the mean: stddev above 10% of it. */
bool el_bench_noisy(double avg, double stddev);

/* The process's peak RSS (bytes) since the last reset; el_peak_rss_reset() returns false when it
 * cannot reset (the peak then covers the process's life). */
bool el_peak_rss_reset(void);
uint64_t el_peak_rss(void);

/*
 * Run the tests (each (n_prompt, n_gen) pair with n_prompt > 0 gives a pp test, n_gen > 0 a tg
 * test, for every thread count) on one model. bw[i]: bytes/s for the roofline at threads[i] (NULL: none).
 * tests[] receives n_threads * (pp + tg) entries in that order; *n_tests says how many. prog (NULL:
 * none) shows the test and its round ("tg32 model", 2/4 runs, the warm-up counted).
 */
int el_bench_run(const char *path, const int *n_prompt, int n_np, const int *n_gen, int n_ng, const int *threads,
                 int n_th, int reps, const double *bw, el_progress *prog, el_bench_model *m, el_bench_test *tests,
                 int *n_tests, el_error *err);

/*
 * Sustained decode, because phones throttle within a minute: n_gen tokens from an empty cache, again
 * and again for `seconds` (at most EL_BENCH_MAX_REPS samples; a sample is n_gen tokens), at `threads`.
 * t->samples_ns holds each sample; first10_ts / last10_ts the mean tokens/s of the first and last
 * tenth of them (at least one each).
 */
int el_bench_sustain(const char *path, int n_gen, int threads, double seconds, el_bench_test *t, el_error *err);

#endif
