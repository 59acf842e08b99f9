/*
 * cmd/bench.c - `edgelm bench MODEL...`: prefill and decode speed, time to first token, peak RSS,
 * KV cache bytes and decode against the memory roofline, one record per model, thread count and
 * test, with llama-bench's field names where it has them.
 */
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/cmd.h"
#include "core/json.h"
#include "el_version.h"
#include "eval/bench.h"
#include "eval/device.h"

static const char usage[] = "bench MODEL.gguf... [-p 512] [-n 128] [-r 5] [-t 1,2] [-o md|csv|json|jsonl] [--bw-mib 512] "
                            "[--sustain S] [--cpu-mask LIST | --big-cores] [--fail-if EXPR]";
static const char summary[] =
    "Speed and memory on this machine, measured as llama-bench does: pp = P prompt tokens in one\n"
    "pass from an empty cache, tg = N tokens decoded one at a time; a warm-up run, then -r runs;\n"
    "-p, -n and -t take comma-separated lists. Also: time to first token (ttft_ms), the process's\n"
    "peak RSS with the model loaded (peak_rss_bytes), KV cache bytes for a context of P+N (kv_bytes),\n"
    "and decode as a percentage of the memory roofline (roofline_pct: DRAM bandwidth / weight bytes per\n"
    "token, the bandwidth measured over a --bw-mib buffer, at least twice the last-level cache; 0 skips\n"
    "it; never above 100: null past it, roofline_why fits_llc or above_roofline; fits_llc: bytes per\n"
    "token within the last-level cache).\n"
    "A test whose stddev passes 10% of its mean is flagged (noisy: true, and a warning).\n"
    "JSON fields: model_filename, model_type, model_size, model_n_params, n_threads, n_batch, n_prompt,\n"
    "n_gen, test, avg_ns, stddev_ns, avg_ts, stddev_ts, samples_ns, samples_ts (llama-bench's), and\n"
    "ttft_ms, peak_rss_bytes, kv_bytes, kv_bytes_per_pos, bytes_per_token, mem_bw, roofline_bw_gbs, roofline_pct, roofline_why, fits_llc, noisy; the device: cpu_info\n"
    "(llama-bench's), device (cores, clusters, governor, memory, OS, kernel, board or phone model),\n"
    "thermal (hottest zone before/after, C), energy (source, joules, joules_per_token; null without\n"
    "a sensor), cpu_mask, build. --sustain S repeats decode for S seconds (test \"sustain\": tokens/s\n"
    "of the first and last 10%, phones throttle); --cpu-mask 4-7 or --big-cores pins the threads.\n"
    "See docs/targets.md.";

/* "1,2,4" -> ints; false on anything else. */
static bool int_list(const char *s, int *v, int cap, int *n, int min)
{
    *n = 0;
    for (const char *p = s; *p;) {
        char *e;
        const long x = strtol(p, &e, 10);
        if (e == p || x < min || x > 1 << 20 || *n == cap || (*e && *e != ','))
            return false;
        v[(*n)++] = (int)x;
        p = *e ? e + 1 : e;
        if (*e && !*p)
            return false;
    }
    return *n > 0;
}

static json_t *record(const char *path, const el_bench_model *m, const el_bench_test *t, double bw, double ttft)
{
    json_t *ns = json_array(), *ts = json_array();
    const int n_tok = t->n_prompt ? t->n_prompt : t->n_gen;
    for (int r = 0; ns && ts && r < t->reps; r++) {
        json_array_append_new(ns, json_integer((json_int_t)t->samples_ns[r]));
        json_array_append_new(ts, json_real(n_tok * 1e9 / t->samples_ns[r]));
    }
    char test[32], when[32];
    snprintf(test, sizeof test, "%s%d", t->n_prompt ? "pp" : "tg", n_tok);
    const time_t now = time(NULL);
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
    json_t *j = json_pack("{s:s, s:s, s:s, s:i, s:i, s:s, s:i, s:i, s:s, s:I, s:I, s:f, s:f, s:o, s:o, s:I, s:I, s:I, s:f}",
                          "build_commit", EL_GIT, "test_time", when, "model_filename", path, "n_threads", t->n_threads,
                          "n_batch", t->n_prompt > 1 ? t->n_prompt : 1, "type_k", "f16", "n_prompt", t->n_prompt, "n_gen",
                          t->n_gen, "test", test, "avg_ns", (json_int_t)t->avg_ns, "stddev_ns", (json_int_t)t->stddev_ns,
                          "avg_ts", t->avg_ts, "stddev_ts", t->stddev_ts, "samples_ns", ns, "samples_ts", ts,
                          "peak_rss_bytes", (json_int_t)m->peak_rss, "kv_bytes", (json_int_t)m->kv_bytes,
                          "bytes_per_token", (json_int_t)m->bytes_per_token, "load_ms", m->load_ms);
    if (!j || el_model_info_json(&m->info, path, j)) {
        json_decref(j);
        return NULL;
    }
    if (json_object_set_new(j, "kv_bytes_per_pos", json_integer((json_int_t)m->kv_bytes_per_pos))) {
        json_decref(j);
        return NULL;
    }
    json_t *build = el_build_info(); /* target, static, compiler, kernel tables, OpenMP */
    if (!build || json_object_set_new(j, "build", build)) {
        json_decref(j);
        return NULL;
    }
    if (ttft > 0)
        json_object_set_new(j, "ttft_ms", json_real(ttft));
    if (t->n_gen && bw > 0) {
        /* roofline_pct null where the DRAM roofline does not bound decode, roofline_why says why */
        const char *why = t->roofline_why;
        if (!why && !(t->roofline_pct > 0))
            why = "no_bandwidth";
        if (json_object_set_new(j, "mem_bw", json_real(bw)) ||
            json_object_set_new(j, "roofline_bw_gbs", json_real(bw / 1e9)) ||
            json_object_set_new(j, "fits_llc", json_boolean(t->fits_llc)) ||
            json_object_set_new(j, "roofline_pct", why ? json_null() : json_real(t->roofline_pct)) ||
            (why && json_object_set_new(j, "roofline_why", json_string(why)))) {
            json_decref(j);
            return NULL;
        }
    }
    if (json_object_set_new(j, "noisy", json_boolean(t->noisy))) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* The device around one test (eval/device.h): thermal, energy and the placement. */
static int add_device(json_t *j, const el_bench_test *t, const el_device *d, const char *mask)
{
    const int n_tok = t->n_prompt ? t->n_prompt : t->n_gen;
    json_t *energy = json_null();
    if (t->energy_source && isfinite(t->energy_j) && t->runs > 0)
        energy = json_pack("{s:s, s:f, s:f, s:f}", "source", t->energy_source, "joules", t->energy_j, "seconds", t->seconds,
                           "joules_per_token", t->energy_j / ((double)n_tok * t->runs));
    json_t *th = json_object();
    int bad = !th || (isfinite(t->temp_before_c) && json_object_set_new(th, "before_c", json_real(t->temp_before_c))) ||
              (isfinite(t->temp_after_c) && json_object_set_new(th, "after_c", json_real(t->temp_after_c)));
    /* json_object_set_new takes its value also when it fails (and refuses a NULL one): |, not ||, so
     * that every value reaches j or is freed */
    bad |= json_object_set_new(j, "cpu_info", d->cpu_info[0] ? json_string(d->cpu_info) : json_null()) |
           json_object_set_new(j, "device", el_device_json(d)) | json_object_set_new(j, "thermal", th) |
           json_object_set_new(j, "energy", energy) | json_object_set_new(j, "cpu_mask", mask ? json_string(mask) : json_null());
    if (bad)
        return -1;
    if (t->sustain_s > 0 &&
        (json_object_set_new(j, "sustain_s", json_real(t->sustain_s)) || json_object_set_new(j, "first10_ts", json_real(t->first10_ts)) ||
         json_object_set_new(j, "last10_ts", json_real(t->last10_ts)) ||
         json_object_set_new(j, "test", json_string("sustain"))))
        return -1;
    return 0;
}

/* --cpu-mask LIST / --big-cores: pin this process (and so the OpenMP threads, made later) to those CPUs.
 * *mask_out: the list as applied; *n: how many. Returns false with a message in why. */
static bool pin(const char *list, bool big, const el_device *d, char *mask_out, size_t cap, int *n, char *why, size_t wcap)
{
    bool on[EL_DEVICE_MAX_CPUS] = {false};
    if (big) {
        if (el_device_big_cores(d, on) == 0) {
            snprintf(why, wcap, "--big-cores: this system does not say its cores' frequencies (cpufreq)");
            return false;
        }
    } else if (el_device_parse_cpus(list, on) <= 0) {
        snprintf(why, wcap, "--cpu-mask '%.40s': not a CPU list such as 0-3 or 4,5,6,7", list);
        return false;
    }
    cpu_set_t set;
    CPU_ZERO(&set);
    size_t at = 0;
    *n = 0;
    mask_out[0] = '\0';
    for (int c = 0; c < EL_DEVICE_MAX_CPUS && c < CPU_SETSIZE; c++)
        if (on[c]) {
            CPU_SET(c, &set);
            (*n)++;
            int w = snprintf(mask_out + at, cap - at, "%s%d", at ? "," : "", c);
            if (w > 0 && (size_t)w < cap - at)
                at += (size_t)w;
        }
    if (sched_setaffinity(0, sizeof set, &set) != 0) {
        snprintf(why, wcap, "--cpu-mask %.60s: %s (CPUs this system does not have or does not allow)", mask_out, strerror(errno));
        return false;
    }
    return true;
}

static void print_md(const json_t *recs)
{
    printf("| model | type | size | params | threads | test | t/s | ttft ms | peak RSS | KV cache | roofline |\n");
    printf("|---|---|--:|--:|--:|---|--:|--:|--:|--:|--:|\n");
    size_t i;
    const json_t *r;
    json_array_foreach(recs, i, r) {
        char sz[32], par[32], rss[32], kv[32];
        el_fmt_bytes((uint64_t)json_integer_value(json_object_get(r, "model_size")), sz, sizeof sz);
        el_fmt_count((uint64_t)json_integer_value(json_object_get(r, "model_n_params")), par, sizeof par);
        el_fmt_bytes((uint64_t)json_integer_value(json_object_get(r, "peak_rss_bytes")), rss, sizeof rss);
        el_fmt_bytes((uint64_t)json_integer_value(json_object_get(r, "kv_bytes")), kv, sizeof kv);
        const json_t *tt = json_object_get(r, "ttft_ms"), *rf = json_object_get(r, "roofline_pct");
        char ttft[32] = "", roof[32] = "";
        if (tt && json_integer_value(json_object_get(r, "n_prompt")))
            snprintf(ttft, sizeof ttft, "%.2f", json_number_value(tt));
        if (json_is_number(rf))
            snprintf(roof, sizeof roof, "%.0f%%", json_number_value(rf));
        else if (rf)
            snprintf(roof, sizeof roof, "– (%s)", json_string_value(json_object_get(r, "roofline_why")));
        printf("| %s | %s | %s | %s | %lld | %s | %.2f ± %.2f | %s | %s | %s | %s |\n",
               json_string_value(json_object_get(r, "model_name")), json_string_value(json_object_get(r, "model_type")), sz,
               par, (long long)json_integer_value(json_object_get(r, "n_threads")),
               json_string_value(json_object_get(r, "test")), json_number_value(json_object_get(r, "avg_ts")),
               json_number_value(json_object_get(r, "stddev_ts")), ttft, rss, kv, roof);
    }
}

/* CSV: the scalar fields of the first record as the header (arrays left out). */
static void print_csv(const json_t *recs)
{
    const json_t *first = json_array_get(recs, 0);
    const char *k;
    const json_t *v;
    bool comma = false;
    json_object_foreach((json_t *)first, k, v) {
        if (json_is_array(v) || json_is_object(v) || json_is_null(v))
            continue;
        printf("%s%s", comma ? "," : "", k);
        comma = true;
    }
    printf("\n");
    size_t i;
    const json_t *r;
    json_array_foreach(recs, i, r) {
        comma = false;
        json_object_foreach((json_t *)first, k, v) {
            if (json_is_array(v) || json_is_object(v) || json_is_null(v))
                continue;
            const json_t *x = json_object_get(r, k);
            printf("%s", comma ? "," : "");
            comma = true;
            if (json_is_string(x)) {
                printf("\"");
                for (const char *s = json_string_value(x); *s; s++)
                    printf(*s == '"' ? "\"\"" : "%c", *s);
                printf("\"");
            } else if (json_is_integer(x)) {
                printf("%lld", (long long)json_integer_value(x));
            } else if (json_is_number(x)) {
                printf("%.6g", json_number_value(x));
            }
        }
        printf("\n");
    }
}

int cmd_bench(int argc, char **argv, el_cli *cli)
{
    const char *p_s = "512", *n_s = "128", *t_s = NULL, *fmt = NULL, *fail_if = NULL;
    const char *mask_s = NULL;
    int reps = 5, bw_mib = 512;
    bool big = false;
    double sustain = 0;
    const el_opt opts[] = {
        {'p', "n-prompt", EL_OPT_STR, &p_s, "N[,N..]", "prompt tokens of the pp tests (default 512; 0: none)"},
        {'n', "n-gen", EL_OPT_STR, &n_s, "N[,N..]", "generated tokens of the tg tests (default 128; 0: none)"},
        {'r', "repetitions", EL_OPT_INT, &reps, "N", "runs of each test after the warm-up (default 5)"},
        {'t', "threads", EL_OPT_STR, &t_s, "N[,N..]", "thread counts (default and 0: all cores)"},
        {'o', "output", EL_OPT_STR, &fmt, "FMT", "md (default), csv, json or jsonl"},
        {0, "bw-mib", EL_OPT_INT, &bw_mib, "MIB", "buffer for the bandwidth measurement (default 512; 0: no roofline)"},
        {0, "sustain", EL_OPT_DOUBLE, &sustain, "S", "also decode again and again for S seconds: tokens/s first vs last 10%"},
        {0, "cpu-mask", EL_OPT_STR, &mask_s, "LIST", "run on these CPUs only (0-3, 4,5,6,7)"},
        {0, "big-cores", EL_OPT_FLAG, &big, NULL, "run on the fastest cluster only (big.LITTLE; from cpufreq)"},
        EL_OPT_FAIL_IF(&fail_if, "avg_ts<50,peak_rss_bytes>1e9"),
        EL_OPTS_END,
    };
    char **pos;
    int npos, code;
    if (!el_parse(cli, usage, summary, opts, 1, 64, argc, argv, &pos, &npos, &code))
        return code;
    int ps[16], ns[16], ths[16], np, nn, nt;
    el_device dev;
    el_device_probe("", &dev);
    char cores[16], mask[512] = "", why[160];
    int n_pinned = 0;
    if ((mask_s || big) && (mask_s && big ? (snprintf(why, sizeof why, "--cpu-mask and --big-cores: give one"), false)
                                          : !pin(mask_s, big, &dev, mask, sizeof mask, &n_pinned, why, sizeof why))) {
        free(pos);
        return el_usage_error(cli, usage, "%s", why);
    }
    if (!(sustain >= 0 && sustain <= 86400)) {
        free(pos);
        return el_usage_error(cli, usage, "--sustain: %g is out of range (0..86400 seconds)", sustain);
    }
    snprintf(cores, sizeof cores, "%d", n_pinned ? n_pinned : omp_get_num_procs());
    const char *bad = !int_list(p_s, ps, 16, &np, 0)                    ? "-p/--n-prompt"
                      : !int_list(n_s, ns, 16, &nn, 0)                    ? "-n/--n-gen"
                      : !int_list(t_s ? t_s : cores, ths, 16, &nt, 0)     ? "-t/--threads"
                                                                          : NULL;
    if (bad) {
        free(pos);
        return el_usage_error(cli, usage, "%s: '%s' is not a list of up to 16 counts >= 0, e.g. 1,2,4",
                              bad, bad[1] == 'p' ? p_s : bad[1] == 'n' ? n_s : t_s);
    }
    for (int i = 0; i < nt; i++) /* -t 0: all cores (the pinned ones), as for every command */
        if (ths[i] == 0)
            ths[i] = atoi(cores);
        else if (ths[i] > EL_MAX_THREADS) {
            free(pos);
            return el_usage_error(cli, usage, "-t/--threads: %d is out of range (0..%d)", ths[i], EL_MAX_THREADS);
        }
    const el_range ranges[] = {{&reps, 1, EL_BENCH_MAX_REPS}, {&bw_mib, 0, 1 << 20}, {NULL, 0, 0}};
    if (!el_check_ranges(cli, usage, opts, ranges, &code)) {
        free(pos);
        return code;
    }
    if (!fmt)
        fmt = cli->json ? "json" : "md";
    if (strcmp(fmt, "md") && strcmp(fmt, "csv") && strcmp(fmt, "json") && strcmp(fmt, "jsonl")) {
        free(pos);
        return el_usage_error(cli, usage, "-o must be md, csv, json or jsonl");
    }
    el_gates g;
    el_error err;
    el_error_clear(&err);
    if (el_gates_parse(fail_if, &g, &err)) {
        free(pos);
        return el_cli_fail(cli, &err);
    }
    double bw[16] = {0};
    const uint64_t llc = el_llc_bytes();
    const uint64_t bw_buf = el_bw_buffer_mib((uint64_t)bw_mib, llc); /* DRAM, not the cache */
    for (int i = 0; i < nt && bw_buf > 0; i++)
        bw[i] = el_read_bandwidth(bw_buf, ths[i]);
    json_t *recs = json_array();
    int rc = recs ? EL_EXIT_OK : EL_EXIT_FAIL;
    el_bench_test tests[16 * 32];
    for (int mi = 0; mi < npos && rc == EL_EXIT_OK; mi++) {
        el_bench_model bm;
        int n_tests;
        if (cli->verbosity > 0)
            el_logf(&cli->log, 1, "%s", pos[mi]);
        if (el_bench_run(pos[mi], ps, np, ns, nn, ths, nt, reps, bw, &cli->progress, &bm, tests, &n_tests, &err)) {
            rc = el_cli_fail(cli, &err);
            break;
        }
        for (int i = 0; i < n_tests; i++) {
            if (tests[i].noisy)
                el_warn(&cli->log, "%s %s%d, %d threads: noisy, stddev %.0f%% of the mean (%.1f ± %.1f t/s); more -r or a quieter machine",
                        bm.info.name, tests[i].n_prompt ? "pp" : "tg", tests[i].n_prompt ? tests[i].n_prompt : tests[i].n_gen,
                        tests[i].n_threads, 100.0 * tests[i].stddev_ts / tests[i].avg_ts, tests[i].avg_ts, tests[i].stddev_ts);
            int ti = 0;
            while (ti < nt - 1 && ths[ti] != tests[i].n_threads)
                ti++;
            double ttft = tests[i].ttft_ms;
            for (int k = 0; k < n_tests && ttft == 0; k++) /* a tg record carries its thread count's first pp ttft */
                if (tests[k].n_prompt && tests[k].n_threads == tests[i].n_threads)
                    ttft = tests[k].ttft_ms;
            json_t *j = record(pos[mi], &bm, &tests[i], bw[ti], ttft);
            if (!j || add_device(j, &tests[i], &dev, mask[0] ? mask : NULL) || json_array_append_new(recs, j)) {
                json_decref(j);
                rc = el_cli_json(cli, NULL);
                break;
            }
        }
        for (int ti = 0; ti < nt && rc == EL_EXIT_OK && sustain > 0 && nn > 0; ti++) {
            el_bench_test st;
            if (el_bench_sustain(pos[mi], ns[0], ths[ti], sustain, &st, &err)) {
                rc = el_cli_fail(cli, &err);
                break;
            }
            st.roofline_pct = el_bench_roofline(st.avg_ts, bw[ti], bm.bytes_per_token, llc, &st.roofline_why);
            st.fits_llc = bm.bytes_per_token <= llc;
            json_t *j = record(pos[mi], &bm, &st, bw[ti], 0);
            if (!j || add_device(j, &st, &dev, mask[0] ? mask : NULL) || json_array_append_new(recs, j)) {
                json_decref(j);
                rc = el_cli_json(cli, NULL);
            }
        }
    }
    free(pos);
    if (rc == EL_EXIT_OK) {
        if (!strcmp(fmt, "json")) {
            if (el_json_print(stdout, recs))
                rc = EL_EXIT_FAIL;
        } else if (!strcmp(fmt, "jsonl")) {
            size_t i;
            json_t *r;
            json_array_foreach(recs, i, r) {
                char *s = el_json_dumps(r, JSON_COMPACT | JSON_REAL_PRECISION(10));
                if (!s) {
                    rc = EL_EXIT_FAIL;
                    break;
                }
                printf("%s\n", s);
                free(s);
            }
        } else if (!strcmp(fmt, "csv")) {
            print_csv(recs);
        } else {
            print_md(recs);
        }
        if (rc == EL_EXIT_OK)
            rc = el_cli_gate(cli, &g, recs, "model_name,test,n_threads");
    }
    json_decref(recs);
    el_gates_free(&g);
    return rc;
}
