/*
 * tests/test_distill.c - `edgelm distill`.
 *
 *  - shards: top-k extraction against a brute-force sort (ties: lower id first); a shard written and
 *    read back gives every value (f16-rounded log-probabilities), with 16- and 32-bit ids, compressed
 *    or not; damaged shards are refused, naming the file.
 *  - gen on stories260K (../shared): greedy equals llama.cpp's greedy text; the same bytes for -t 1/2 and
 *    --batch 1/3/8; kill -9 (at the worst moment, and at random moments) then --resume gives the
 *    uninterrupted run's bytes without rewriting what was written; --shard 0..2/3 + merge == one run.
 *  - score: the teacher against its own data KL <= 1e-6 and top-1 100%; Q8_0 < Q4_0, each within 10% of
 *    `eval kld` on the same text and a lower bound within 10% of the full-vocabulary KL the oracle
 *    (tests/evalref.c) computes at the same positions; cross-entropy equal to the oracle's.
 *  - the numpy reader (tools/edgelm_distill.py, run by tests/oracle/distill_reader_check.sh) sees in every
 *    shard exactly the values the C reader gives distill score (sums of every tensor, exact in float64).
 *  - bad input: malformed records (file and line), empty and too-long prompts (skipped or truncated,
 *    counted), a foreign vocabulary, a damaged shard, a folder that already holds a run.
 *  - chat templates: for every family edgelm recognises, the prompt for a six-message conversation
 *    (system, user, assistant with spaces around it, ...; the messages are in the golden file) with and without the generation prompt equals
 *    llama.cpp's llama_chat_apply_template (tests/golden/chat/llama_cpp.jsonl, made by
 *    tests/oracle/chat_golden.sh); detection from template texts follows llama.cpp's rules; an unknown
 *    template and a bad role are refused.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/sha256.h"
#include "distill/chat.h"
#include "distill/gen.h"
#include "distill/shard.h"
#include "distill/teacher.h"
#include "tests/evalref.h"
#include "tests/testutil.h"

/* The conversation of the golden file's records: its messages, as el_chat_msg (pointing into j). */
static int messages_of(const json_t *j, el_chat_msg *m, int cap)
{
    const json_t *arr = json_object_get(j, "messages");
    cr_assert(json_is_array(arr) && (int)json_array_size(arr) <= cap);
    for (size_t i = 0; i < json_array_size(arr); i++) {
        m[i].role = json_string_value(json_object_get(json_array_get(arr, i), "role"));
        m[i].content = json_string_value(json_object_get(json_array_get(arr, i), "content"));
        cr_assert(m[i].role && m[i].content);
    }
    return (int)json_array_size(arr);
}

Test(distill, chat_templates_equal_llama_cpp)
{
    FILE *f = fopen("tests/golden/chat/llama_cpp.jsonl", "r");
    cr_assert(f, "tests/golden/chat/llama_cpp.jsonl");
    char line[1 << 14];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        json_error_t je;
        json_t *j = json_loads(line, 0, &je);
        cr_assert(j, "%s", je.text);
        const char *name = json_string_value(json_object_get(j, "name"));
        const el_chat_tmpl t = el_chat_detect(name);
        cr_assert_neq(t, EL_CHAT_UNKNOWN, "%s", name);
        cr_assert_str_eq(el_chat_name(t), name);
        el_chat_msg conv[8];
        const int n_msg = messages_of(j, conv, 8);
        cr_assert_eq(n_msg, 6);
        char *out;
        el_error e;
        el_error_clear(&e);
        cr_assert_eq(el_chat_apply(t, conv, n_msg, json_is_true(json_object_get(j, "gen")), &out, &e), 0, "%s", e.msg);
        cr_assert_str_eq(out, json_string_value(json_object_get(j, "text")), "%s (generation prompt: %d)", name,
                         json_is_true(json_object_get(j, "gen")));
        free(out);
        json_decref(j);
        n++;
    }
    fclose(f);
    cr_assert_eq(n, 26);
}

Test(distill, chat_template_detection)
{
    static const struct {
        const char *text;
        el_chat_tmpl want;
    } cases[] = {
        {"{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}",
         EL_CHAT_CHATML},
        {"{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}",
         EL_CHAT_LLAMA3},
        {"{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}", EL_CHAT_GEMMA},
        {"{{'<|user|>' + '\\n' + message['content'] + '<|end|>' + '\\n' + '<|assistant|>' + '\\n'}}", EL_CHAT_PHI3},
        {"{{ '<|user|>\\n' + message['content'] + '<|endoftext|>' }}", EL_CHAT_ZEPHYR},
        {"{{ bos_token }}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}", EL_CHAT_LLAMA2},
        {"{{ '[INST] <<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' }}", EL_CHAT_LLAMA2_SYS},
        {"[SYSTEM_PROMPT] ... [INST]", EL_CHAT_MISTRAL_V7},
        {"{{ '<|im_start|>' + message['role'] + '<|im_sep|>' }}", EL_CHAT_UNKNOWN}, /* phi4: not handled */
        {"{{ message['content'] }}", EL_CHAT_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_assert_eq(el_chat_detect(cases[i].text), cases[i].want, "case %zu: %s", i, el_chat_name(el_chat_detect(cases[i].text)));
    char *out = (char *)1;
    el_error e;
    el_error_clear(&e);
    const el_chat_msg conv[] = {{"user", "Hello"}};
    cr_assert_neq(el_chat_apply(EL_CHAT_UNKNOWN, conv, 1, true, &out, &e), 0);
    cr_assert(strstr(e.msg, "unknown chat template") && strstr(e.msg, "chatml"), "%s", e.msg);
    cr_assert_null(out);
    el_error_clear(&e);
    const el_chat_msg bad[] = {{"user", "Hi"}, {"tool", "x"}};
    cr_assert_eq(el_chat_apply(EL_CHAT_CHATML, bad, 2, true, &out, &e), EL_EFORMAT, "%s", e.msg);
    cr_assert(strstr(e.msg, "message 2: role 'tool'"), "%s", e.msg);
    el_error_clear(&e);
    const el_chat_msg no_content[] = {{"user", NULL}};
    cr_assert_eq(el_chat_apply(EL_CHAT_CHATML, no_content, 1, true, &out, &e), EL_EFORMAT, "%s", e.msg);
    cr_assert(strstr(e.msg, "message 1") && strstr(e.msg, "content"), "%s", e.msg);
    el_error_clear(&e);
    cr_assert_eq(el_chat_apply(EL_CHAT_CHATML, NULL, 0, true, &out, &e), 0);
    cr_assert_str_eq(out, "<|im_start|>assistant\n");
    free(out);
}

/* ---- helpers ------------------------------------------------------------------------------------------ */

/* Two folders hold the same files (the lock aside) with the same bytes. */
static void same_folder(const char *a, const char *b)
{
    int n = 0;
    DIR *d = opendir(a);
    cr_assert(d, "%s", a);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char *pa = tu_fmt("%s/%s", a, e->d_name), *pb = tu_fmt("%s/%s", b, e->d_name);
        cr_assert(tu_files_equal(pa, pb), "%s and %s differ", pa, pb);
        free(pa);
        free(pb);
        n++;
    }
    closedir(d);
    int m = 0;
    d = opendir(b);
    while ((e = readdir(d)))
        m += e->d_name[0] != '.';
    closedir(d);
    cr_assert_eq(n, m, "%s holds %d files, %s %d", a, n, b, m);
    cr_assert_gt(n, 0);
}

/* stories260K converted by edgelm (F32) into dir; the test is skipped when ../shared is absent */
static char *stories(const char *dir)
{
    char *src = KS("models/stories260K");
    if (!src)
        cr_skip_test("../shared is absent");
    char *f32 = KF("%s/stories260K-F32.gguf", dir);
    tu_ok("convert", "-q", src, "-o", f32, "--outtype", "f32", NULL);
    return f32;
}

static json_t *load_json(const char *path)
{
    json_error_t je;
    json_t *j = json_load_file(path, JSON_DISABLE_EOF_CHECK, &je); /* a .jsonl: its first line */
    cr_assert(j, "%s: %s", path, je.text);
    return j;
}

/* ---- shards ------------------------------------------------------------------------------------------- */

Test(distill, topk_against_sorting)
{
    enum { V = 300, K = 20 };
    float l[V];
    for (int i = 0; i < V; i++)
        l[i] = (float)((i * 7919) % 97) / 9.0f; /* many ties */
    int32_t ids[K];
    float lp[K], tail;
    el_topk_logprobs(l, V, K, ids, lp, &tail);
    /* brute force: repeatedly the best remaining (highest, then lowest id) */
    bool used[V] = {0};
    double z = 0, top = 0;
    for (int i = 0; i < V; i++)
        z += exp((double)l[i]);
    for (int r = 0; r < K; r++) {
        int best = -1;
        for (int i = 0; i < V; i++)
            if (!used[i] && (best < 0 || l[i] > l[best]))
                best = i;
        used[best] = true;
        cr_assert_eq(ids[r], best, "rank %d: %d, expected %d", r, ids[r], best);
        cr_assert_float_eq(lp[r], l[best] - log(z), 1e-5);
        top += exp((double)l[best]);
    }
    cr_assert_float_eq(tail, log((z - top) / z), 1e-5);
    /* k = vocabulary: no tail */
    float l3[3] = {1, 2, 3};
    int32_t i3[3];
    float p3[3], t3;
    el_topk_logprobs(l3, 3, 3, i3, p3, &t3);
    cr_assert(i3[0] == 2 && i3[1] == 1 && i3[2] == 0 && isinf(t3) && t3 < 0);
}

static void roundtrip(int n_vocab, int k, int n_rec, const char *path)
{
    el_error e;
    el_error_clear(&e);
    el_dshard_writer *w;
    cr_assert_eq(el_dshard_writer_new(&w, k, n_vocab, &e), 0);
    int32_t tok[64], ids[64 * 8];
    float lp[64 * 8], tail[64];
    for (int r = 0; r < n_rec; r++) {
        const int n = 5 + r % 40, start = 1 + r % 4;
        for (int i = 0; i < n; i++)
            tok[i] = (r * 131 + i * 17) % n_vocab;
        for (int i = 0; i < (n - start) * k; i++) {
            ids[i] = (r * 7 + i * 65599) % n_vocab;
            lp[i] = -(float)(i % k) * 0.37f - (float)r * 0.001f;
        }
        for (int i = 0; i < n - start; i++)
            tail[i] = i % 3 ? -5.5f - (float)i : -INFINITY;
        el_dshard_rec rec = {r * 3, r % 2, tok, n, start, ids, lp, tail};
        cr_assert_eq(el_dshard_add(w, &rec, &e), 0, "%s", e.msg);
    }
    cr_assert_eq(el_dshard_write(w, path, &e), 0, "%s", e.msg);
    el_dshard_writer_free(w);
    el_dshard *s;
    cr_assert_eq(el_dshard_open(&s, path, &e), 0, "%s", e.msg);
    cr_assert_eq(el_dshard_records(s), n_rec);
    cr_assert_eq(el_dshard_k(s), k);
    for (int r = 0; r < n_rec; r++) {
        el_dshard_rec g;
        el_dshard_get(s, r, &g);
        const int n = 5 + r % 40, start = 1 + r % 4;
        cr_assert(g.id == r * 3 && g.sub == r % 2 && g.n_tok == n && g.start == start);
        for (int i = 0; i < n; i++)
            cr_assert_eq(g.tokens[i], (r * 131 + i * 17) % n_vocab);
        for (int i = 0; i < (n - start) * k; i++) {
            cr_assert_eq(g.topk_ids[i], (r * 7 + i * 65599) % n_vocab);
            const float want = -(float)(i % k) * 0.37f - (float)r * 0.001f;
            cr_assert(fabsf(g.topk_lp[i] - want) <= fabsf(want) * 1e-3f + 1e-6f, "%g vs %g", g.topk_lp[i], want);
        }
        for (int i = 0; i < n - start; i++)
            cr_assert(i % 3 ? fabsf(g.tail_lp[i] - (-5.5f - (float)i)) < 0.02f : isinf(g.tail_lp[i]));
    }
    el_dshard_close(s);
}

Test(distill, shard_roundtrip_and_damage)
{
    char *dir = KT("shard");
    char *a = KF("%s/a.safetensors", dir), *b = KF("%s/b.safetensors", dir), *c = KF("%s/c.safetensors", dir);
    roundtrip(512, 8, 40, a);     /* u16 ids, compressed where it pays */
    roundtrip(150000, 4, 3, b);   /* i32 ids, small: stored as is */
    roundtrip(150000, 8, 60, c);  /* i32 ids, compressed */
    el_error e;
    el_error_clear(&e);
    int64_t n;
    cr_assert_eq(el_dshard_count(c, &n, &e), 0);
    cr_assert_eq(n, 60);
    /* damage: truncated, and one byte of the compressed data changed */
    size_t len;
    uint8_t *d = tu_read(a, &len);
    char *bad = KF("%s/bad.safetensors", dir);
    tu_write(bad, d, len - 10);
    el_dshard *s = NULL;
    cr_assert_neq(el_dshard_open(&s, bad, &e), 0);
    cr_assert(strstr(e.path, "bad.safetensors"), "%s", e.path);
    d[len - 20] ^= 0x55;
    tu_write(bad, d, len);
    el_error_clear(&e);
    cr_assert_neq(el_dshard_open(&s, bad, &e), 0, "a changed byte went unnoticed");
    free(d);
    tu_release();
}

/* ---- gen ---------------------------------------------------------------------------------------------- */

/* One thread unless a test is about threads: two suites run at once on CI's two cores, and OpenMP
 * teams that wait for each other's descheduled threads at every token would slow them tenfold. */
#define GEN_OPTS "--max-new", "40", "--samples", "2", "--shard-tokens", "600", "-q"
#define GEN_ARGS GEN_OPTS, "-t", "1"

Test(distill, gen_greedy_equals_llama_cpp, .timeout = 120)
{
    char *dir = KT("greedy"), *t = stories(dir);
    char *p = KF("%s/p.txt", dir), *o = KF("%s/out", dir);
    tu_write(p, "Once upon a time\n", 17);
    tu_ok("distill", "gen", "--teacher", t, "--prompts", p, "-o", o, "--temp", "0", "--max-new", "40", "-t", "1", "-q", NULL);
    json_t *j = load_json(KF("%s/completions.jsonl", o));
    /* llama.cpp b4748's greedy continuation (shared/golden/stories260K/README.md) */
    cr_assert_str_eq(json_string_value(json_object_get(j, "completion")),
                     ", there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball.");
    cr_assert_str_eq(json_string_value(json_object_get(j, "finish_reason")), "length");
    cr_assert_eq(json_integer_value(json_object_get(j, "n_completion_tokens")), 40);
    json_decref(j);
    tu_release();
}

Test(distill, gen_same_bytes_for_threads_and_batch, .timeout = 240)
{
    char *dir = KT("gen"), *t = stories(dir), *prompts = "tests/data/distill/prompts.jsonl";
    char *a = KF("%s/a", dir), *b = KF("%s/b", dir), *c = KF("%s/c", dir);
    tu_ok("distill", "gen", "--teacher", t, "--prompts", prompts, "-o", a, GEN_OPTS, "-t", "1", "--batch", "1", NULL);
    tu_ok("distill", "gen", "--teacher", t, "--prompts", prompts, "-o", b, GEN_OPTS, "-t", "2", "--batch", "8", NULL);
    tu_ok("distill", "gen", "--teacher", t, "--prompts", prompts, "-o", c, GEN_OPTS, "-t", "2", "--batch", "3", NULL);
    same_folder(a, b);
    same_folder(a, c);
    /* the manifest: counts, hashes, every shard and its checksum */
    json_t *m = load_json(KF("%s/manifest.json", a)), *cnt = json_object_get(m, "counts");
    cr_assert_str_eq(json_string_value(json_object_get(m, "status")), "complete");
    cr_assert_eq(tu_jnum(cnt, "records"), 50);
    cr_assert_eq(tu_jnum(cnt, "completions"), 100);
    cr_assert_eq(tu_jnum(cnt, "completion_tokens") + tu_jnum(json_object_get(cnt, "finish"), "stop"), tu_jnum(cnt, "scored_tokens"));
    char hex[65];
    el_error e;
    el_error_clear(&e);
    cr_assert_eq(el_sha256_file(t, hex, &e), 0);
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(m, "teacher"), "sha256")), hex);
    const json_t *files = json_object_get(m, "files");
    cr_assert_gt(json_array_size(files), 3, "several logits shards expected");
    int64_t rows = 0, recs = 0;
    for (size_t i = 0; i < json_array_size(files); i++) {
        const json_t *f = json_array_get(files, i);
        char *path = KF("%s/%s", a, json_string_value(json_object_get(f, "file")));
        cr_assert_eq(el_sha256_file(path, hex, &e), 0);
        cr_assert_str_eq(hex, json_string_value(json_object_get(f, "sha256")));
        if (!json_object_get(f, "records"))
            continue;
        el_dshard *s;
        cr_assert_eq(el_dshard_open(&s, path, &e), 0, "%s", e.msg);
        for (int64_t r = 0; r < el_dshard_records(s); r++) {
            el_dshard_rec g;
            el_dshard_get(s, r, &g);
            rows += g.n_tok - g.start;
        }
        recs += el_dshard_records(s);
        el_dshard_close(s);
    }
    cr_assert_eq(recs, 100);
    cr_assert_eq(rows, (int64_t)tu_jnum(cnt, "scored_tokens"));
    /* lines: in (id, sample) order, with their seeds, and the two samples of a prompt differ */
    FILE *f = fopen(KF("%s/completions.jsonl", a), "r");
    char line[1 << 16];
    int n = 0;
    char prev[1 << 14] = "";
    while (fgets(line, sizeof line, f)) {
        json_t *j = json_loads(line, 0, NULL);
        cr_assert(j);
        const int64_t id = json_integer_value(json_object_get(j, "id")), smp = json_integer_value(json_object_get(j, "sample"));
        cr_assert(id == n / 2 && smp == n % 2, "line %d: id %lld sample %lld", n + 1, (long long)id, (long long)smp);
        cr_assert_eq((uint64_t)json_integer_value(json_object_get(json_object_get(j, "sampling"), "seed")),
                     el_unit_seed(42, id, smp));
        const json_t *ci = json_object_get(j, "completion_ids");
        cr_assert_eq((int64_t)json_array_size(ci), json_integer_value(json_object_get(j, "n_completion_tokens")));
        cr_assert_eq(json_integer_value(json_array_get(json_object_get(j, "prompt_ids"), 0)), 1, "BOS first");
        const char *text = json_string_value(json_object_get(j, "completion"));
        if (smp == 1)
            cr_assert_str_neq(text, prev, "two samples of prompt %lld are equal", (long long)id);
        snprintf(prev, sizeof prev, "%s", text);
        json_decref(j);
        n++;
    }
    fclose(f);
    cr_assert_eq(n, 100);
    json_decref(m);
    tu_release();
}

/* A run of edgelm killed with SIGKILL after `ms` milliseconds (it may finish first). */
static void run_killed(const char *const *argv, int ms)
{
    pid_t pid;
    extern char **environ;
    cr_assert_eq(posix_spawn(&pid, argv[0], NULL, NULL, (char *const *)argv, environ), 0);
    usleep((useconds_t)ms * 1000);
    kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
}

Test(distill, gen_resume_after_kill, .timeout = 300)
{
    char *dir = KT("resume"), *t = stories(dir), *prompts = "tests/data/distill/prompts.jsonl";
    char *ref = KF("%s/ref", dir), *r = KF("%s/r", dir);
    tu_ok("distill", "gen", "--teacher", t, "--prompts", prompts, "-o", ref, GEN_ARGS, NULL);
    /* the worst moment: a shard on disk, its lines not; plus a torn line at the end */
    setenv("EDGELM_TEST_KILL_AFTER_SHARDS", "3", 1);
    tu_run k = tu_edgelm("distill", "gen", "--teacher", t, "--prompts", prompts, "-o", r, GEN_ARGS, NULL);
    unsetenv("EDGELM_TEST_KILL_AFTER_SHARDS");
    cr_assert_eq(k.status, 128 + SIGKILL, "exit %d: %s", k.status, k.err);
    tu_run_free(&k);
    char *lines = KF("%s/completions.jsonl", r), *s0 = KF("%s/logits-00000.safetensors", r);
    char *s2 = KF("%s/logits-00002.safetensors", r);
    cr_assert(access(s2, F_OK) == 0 && access(KF("%s/logits-00003.safetensors", r), F_OK) != 0);
    size_t n_before;
    uint8_t *before = tu_read(lines, &n_before);
    cr_assert(before && n_before > 0);
    FILE *f = fopen(lines, "a");
    fputs("{\"id\":999,\"sample\":0,\"comp", f);
    fclose(f);
    struct stat st0, st2, st0b, st2b;
    stat(s0, &st0);
    stat(s2, &st2);
    tu_ok("distill", "gen", "--teacher", t, "--prompts", prompts, "-o", r, GEN_ARGS, "--resume", "--batch", "5", NULL);
    same_folder(ref, r);
    /* nothing written was rewritten: the lines are a prefix, the shards the same files */
    size_t n_after;
    uint8_t *after = tu_read(lines, &n_after);
    cr_assert(n_after > n_before && memcmp(before, after, n_before) == 0);
    stat(s0, &st0b);
    stat(s2, &st2b);
    cr_assert(st0.st_ino == st0b.st_ino && st2.st_ino == st2b.st_ino, "a shard on disk was written again");
    free(before);
    free(after);
    /* SIGKILL at arbitrary moments, several times over, then a last --resume */
    const int at[] = {5, 40, 90, 150, 250};
    for (int i = 0; i < 5; i++) {
        char *o = KF("%s/k%d", dir, i);
        const char *argv[] = {tu_bin(), "distill", "gen", "--teacher", t, "--prompts", prompts, "-o", o, GEN_ARGS,
                              "--batch", "2", NULL};
        run_killed(argv, at[i]);
        const char *argv2[] = {tu_bin(), "distill", "gen", "--teacher", t, "--prompts", prompts, "-o", o, GEN_ARGS, "--resume",
                               NULL};
        if (access(KF("%s/manifest.json", o), F_OK) == 0)
            run_killed(argv2, at[4 - i]);
        char *mf = KF("%s/manifest.json", o);
        tu_run fin = access(mf, F_OK) == 0
                         ? tu_edgelm("distill", "gen", "--teacher", t, "--prompts", prompts, "-o", o, GEN_ARGS, "--resume", NULL)
                         : tu_edgelm("distill", "gen", "--teacher", t, "--prompts", prompts, "-o", o, GEN_ARGS, NULL);
        cr_assert_eq(fin.status, 0, "%s", fin.err);
        tu_run_free(&fin);
        same_folder(ref, o);
    }
    /* a finished run resumed again: unchanged */
    tu_ok("distill", "gen", "--teacher", t, "--prompts", prompts, "-o", r, GEN_ARGS, "--resume", NULL);
    same_folder(ref, r);
    tu_release();
}

Test(distill, gen_shards_merge_to_one_run, .timeout = 240)
{
    char *dir = KT("merge"), *t = stories(dir), *prompts = "tests/data/distill/prompts.jsonl";
    char *ref = KF("%s/ref", dir), *m = KF("%s/m", dir);
    char *s[3] = {KF("%s/s0", dir), KF("%s/s1", dir), KF("%s/s2", dir)};
    tu_ok("distill", "gen", "--teacher", t, "--prompts", prompts, "-o", ref, GEN_ARGS, NULL);
    tu_ok("distill", "gen", "--teacher", t, "--prompts", prompts, "-o", s[0], GEN_ARGS, "--shard", "0/3", "--batch", "1", NULL);
    tu_ok("distill", "gen", "--teacher", t, "--prompts", prompts, "-o", s[1], GEN_ARGS, "--shard", "1/3", "--batch", "4", NULL);
    tu_ok("distill", "gen", "--teacher", t, "--prompts", prompts, "-o", s[2], GEN_ARGS, "--shard", "2/3", NULL);
    json_t *sm = load_json(KF("%s/manifest.json", s[1]));
    cr_assert_eq(tu_jnum(json_object_get(sm, "counts"), "records_in_shard"), 17); /* 1, 4, ..., 49 */
    json_decref(sm);
    /* a shard missing, and shards of another run, are refused */
    tu_run r = tu_edgelm("distill", "merge", s[0], s[2], "-o", KF("%s/x", dir), NULL);
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert(strstr(r.err, "2 folders are merged"), "%s", r.err);
    tu_run_free(&r);
    char *other = KF("%s/other", dir);
    tu_ok("distill", "gen", "--teacher", t, "--prompts", prompts, "-o", other, GEN_ARGS, "--shard", "1/3", "--seed", "7", NULL);
    r = tu_edgelm("distill", "merge", s[0], other, s[2], "-o", KF("%s/y", dir), NULL);
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert(strstr(r.err, "params differs"), "%s", r.err);
    tu_run_free(&r);
    tu_ok("distill", "merge", s[2], s[0], s[1], "-o", m, NULL);
    same_folder(ref, m);
    tu_release();
}

/* ---- score -------------------------------------------------------------------------------------------- */

Test(distill, score_teacher_and_quantized, .timeout = 300)
{
    char *dir = KT("score"), *t = stories(dir), *text = KS("texts/tinystories-sample.txt");
    if (!text)
        cr_skip_test("../shared is absent");
    char *o = KF("%s/logits", dir), *q8 = KF("%s/q8.gguf", dir), *q4 = KF("%s/q4.gguf", dir);
    tu_ok("distill", "logits", "--teacher", t, "--data", text, "-o", o, "-c", "128", "-t", "1", "-q", NULL);
    tu_ok("quantize", "-q", t, q8, "Q8_0", NULL);
    tu_ok("quantize", "-q", t, q4, "Q4_0", NULL);
    json_t *self = tu_edgelm_json(0, "distill", "score", "--student", t, "--data", o, "-t", "1", NULL);
    cr_assert_leq(tu_jnum(self, "kl_mean"), 1e-6, "KL of the teacher with itself: %g", tu_jnum(self, "kl_mean"));
    cr_assert_eq(tu_jnum(self, "top1"), 1.0);
    const int64_t n_tokens = (int64_t)tu_jnum(self, "n_tokens");
    json_t *m = load_json(KF("%s/manifest.json", o));
    cr_assert_eq(n_tokens, (int64_t)tu_jnum(json_object_get(m, "counts"), "scored_tokens"));
    json_decref(m);
    /* the oracle: full-vocabulary KL and the student's cross-entropy at the same positions */
    el_error e;
    el_error_clear(&e);
    el_dshard *s;
    cr_assert_eq(el_dshard_open(&s, KF("%s/logits-00000.safetensors", o), &e), 0, "%s", e.msg);
    const char *students[2] = {q8, q4};
    double kl[2];
    for (int q = 0; q < 2; q++) {
        double full = 0, ce = 0;
        int64_t n = 0;
        for (int64_t r = 0; r < el_dshard_records(s); r++) {
            el_dshard_rec g;
            el_dshard_get(s, r, &g);
            int V;
            float *tl = er_seq_logsoftmax(t, g.tokens, (int)g.n_tok, &V);
            float *sl = er_seq_logsoftmax(students[q], g.tokens, (int)g.n_tok, &V);
            for (int64_t i = g.start - 1; i < g.n_tok - 1; i++, n++) {
                full += er_mean_kld(tl + i * V, sl + i * V, 1, V);
                ce -= sl[i * V + g.tokens[i + 1]];
            }
            free(tl);
            free(sl);
        }
        full /= (double)n;
        ce /= (double)n;
        cr_assert_eq(n, n_tokens);
        json_t *j = tu_edgelm_json(0, "distill", "score", "--student", students[q], "--data", o, "-t", "1", NULL);
        kl[q] = tu_jnum(j, "kl_mean");
        cr_assert_gt(kl[q], 0);
        cr_assert(kl[q] <= full * 1.001 && kl[q] >= full * 0.9, "top-k KL %g vs full %g", kl[q], full);
        cr_assert_float_eq(tu_jnum(j, "ce_mean"), ce, 1e-4, "CE %g vs oracle %g", tu_jnum(j, "ce_mean"), ce);
        json_t *ev = tu_edgelm_json(0, "eval", "kld", students[q], "--base", t, "-f", text, "-c", "128", "-t", "1", NULL);
        cr_assert(fabs(kl[q] - tu_jnum(ev, "kld_mean")) <= 0.1 * tu_jnum(ev, "kld_mean"), "score %g, eval kld %g", kl[q],
                  tu_jnum(ev, "kld_mean"));
        json_decref(j);
        json_decref(ev);
    }
    cr_assert_lt(kl[0], kl[1], "Q8_0 %g should be below Q4_0 %g", kl[0], kl[1]);
    el_dshard_close(s);
    /* --records: one line per chunk; --fail-if */
    char *rec = KF("%s/rec.jsonl", dir);
    json_t *j = tu_edgelm_json(3, "distill", "score", "--student", q4, "--data", o, "--records", rec, "--fail-if", "kl_mean>0.01", "-t", "1", NULL);
    json_decref(j);
    size_t len;
    char *d = (char *)tu_read(rec, &len);
    int lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += d[i] == '\n';
    cr_assert_eq(lines, tu_jnum(self, "n_records"));
    free(d);
    json_decref(self);
    tu_release();
}

Test(distill, score_refuses_foreign_vocabulary_and_damage, .timeout = 120)
{
    char *dir = KT("foreign"), *t = stories(dir);
    char *o = KF("%s/out", dir), *p = KF("%s/p.txt", dir), *syn = KF("%s/tiny", dir), *tiny = KF("%s/tiny.gguf", dir);
    tu_write(p, "Once upon a time\nThe cat sat\n", 29);
    tu_ok("distill", "gen", "--teacher", t, "--prompts", p, "-o", o, "--max-new", "8", "-t", "1", "-q", NULL);
    tu_ok("synth", "-q", "--preset", "tiny", "-o", syn, NULL);
    tu_ok("convert", "-q", syn, "-o", tiny, NULL);
    tu_run r = tu_edgelm("distill", "score", "--student", tiny, "--data", o, NULL);
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert(strstr(r.err, "tiny.gguf") && strstr(r.err, "is not the teacher's"), "%s", r.err);
    tu_run_free(&r);
    /* one byte of a shard changed: its checksum no longer matches the manifest */
    char *sh = KF("%s/logits-00000.safetensors", o);
    size_t len;
    uint8_t *d = tu_read(sh, &len);
    d[len - 3] ^= 1;
    tu_write(sh, d, len);
    free(d);
    r = tu_edgelm("distill", "score", "--student", t, "--data", o, NULL);
    cr_assert_eq(r.status, 1, "%s", r.err);
    cr_assert(strstr(r.err, "logits-00000.safetensors") && strstr(r.err, "SHA-256"), "%s", r.err);
    tu_run_free(&r);
    tu_release();
}

/* ---- bad input ---------------------------------------------------------------------------------------- */

Test(distill, gen_bad_input, .timeout = 120)
{
    char *dir = KT("bad"), *t = stories(dir);
    /* a malformed record: file and line */
    char *p = KF("%s/p.jsonl", dir);
    const char *bad = "{\"prompt\": \"a\"}\n{\"prompt\": \"b\"}\n{\"prompt\": \"c\",}\n";
    tu_write(p, bad, strlen(bad));
    tu_run r = tu_edgelm("distill", "gen", "--teacher", t, "--prompts", p, "-o", KF("%s/o1", dir), NULL);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "p.jsonl") && strstr(r.err, "line 3"), "%s", r.err);
    tu_run_free(&r);
    /* no prompt field; messages without --chat */
    const char *nofield = "{\"prompt\": \"a\"}\n{\"question\": \"b\"}\n";
    tu_write(p, nofield, strlen(nofield));
    r = tu_edgelm("distill", "gen", "--teacher", t, "--prompts", p, "-o", KF("%s/o2", dir), NULL);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "line 2") && strstr(r.err, "no \"messages\", \"prompt\" or \"text\" field"), "%s", r.err);
    tu_run_free(&r);
    const char *msgs = "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}\n";
    tu_write(p, msgs, strlen(msgs));
    r = tu_edgelm("distill", "gen", "--teacher", t, "--prompts", p, "-o", KF("%s/o3", dir), NULL);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "line 1") && strstr(r.err, "--chat"), "%s", r.err);
    tu_run_free(&r);
    /* the model has no chat template: --chat alone is refused, --chat-template chatml works */
    r = tu_edgelm("distill", "gen", "--teacher", t, "--prompts", p, "--chat", "-o", KF("%s/o4", dir), NULL);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, ": it has no chat template; pass --chat-template NAME (known: chatml, "), "%s", r.err);
    tu_run_free(&r);
    char *o5 = KF("%s/o5", dir);
    tu_ok("distill", "gen", "--teacher", t, "--prompts", p, "--chat-template", "chatml", "-o", o5, "--max-new", "4", "-t", "1", "-q", NULL);
    json_t *j = load_json(KF("%s/completions.jsonl", o5));
    cr_assert_str_eq(json_string_value(json_object_get(j, "prompt_text")), "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
    cr_assert(json_is_array(json_object_get(j, "messages")));
    json_decref(j);
    /* empty and too long: skipped and counted, or truncated */
    char *longp = malloc(4000);
    strcpy(longp, "{\"prompt\": \"");
    for (int i = 0; i < 60; i++)
        strcat(longp, "the cat sat on the mat ");
    strcat(longp, "\"}\n{\"prompt\": \"\"}\n{\"prompt\": \"Once upon a time\"}\n");
    tu_write(p, longp, strlen(longp));
    free(longp);
    char *o6 = KF("%s/o6", dir), *o7 = KF("%s/o7", dir);
    tu_ok("distill", "gen", "--teacher", t, "--prompts", p, "-o", o6, "-c", "64", "--max-new", "8", "-t", "1", "-q", NULL);
    json_t *m = load_json(KF("%s/manifest.json", o6)), *c = json_object_get(m, "counts");
    cr_assert(tu_jnum(c, "skipped_empty") == 1 && tu_jnum(c, "skipped_too_long") == 1 && tu_jnum(c, "completions") == 1);
    json_decref(m);
    tu_ok("distill", "gen", "--teacher", t, "--prompts", p, "-o", o7, "-c", "64", "--max-new", "8", "--too-long", "truncate", "-t", "1",
          "-q", NULL);
    m = load_json(KF("%s/manifest.json", o7));
    c = json_object_get(m, "counts");
    cr_assert(tu_jnum(c, "truncated") == 1 && tu_jnum(c, "completions") == 2 && tu_jnum(c, "skipped_empty") == 1);
    json_decref(m);
    j = load_json(KF("%s/completions.jsonl", o7)); /* the first line */
    cr_assert_eq(json_integer_value(json_object_get(j, "n_prompt_tokens")), 64 - 8);
    cr_assert(json_is_true(json_object_get(j, "truncated")));
    cr_assert_eq(json_integer_value(json_array_get(json_object_get(j, "prompt_ids"), 0)), 1, "BOS kept");
    json_decref(j);
    /* a folder holding a run, without --resume; --resume with other parameters */
    r = tu_edgelm("distill", "gen", "--teacher", t, "--prompts", p, "-o", o7, "-c", "64", "--max-new", "8", NULL);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "--resume"), "%s", r.err);
    tu_run_free(&r);
    r = tu_edgelm("distill", "gen", "--teacher", t, "--prompts", p, "-o", o7, "-c", "64", "--max-new", "9", "--too-long",
                  "truncate", "--resume", NULL);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "params"), "%s", r.err);
    tu_run_free(&r);
    /* bad flags */
    r = tu_edgelm("distill", "gen", "--teacher", t, "--prompts", p, "-o", o7, "--shard", "3/3", NULL);
    cr_assert_eq(r.status, 2);
    tu_run_free(&r);
    tu_release();
}

/*
 * Issue 18 item 5: a message the chat template refuses (role "tool") in a prompt record. chat.c raises
 * the error (EFORMAT, "message 1: role 'tool' is not ..."; it was EUSAGE, exit 2, though the input
 * file is what is wrong); gen.c meant to add the prompts file and the line,
 * but re-wrapped the record chat.c had already filled, and the first error wins (core/error.h): the
 * error named neither the file nor the line. Now: err.path is the prompts file, the message starts
 * with its line, and the code and source location stay chat.c's. Failed before the fix: err.path "".
 */
Test(distill, gen_chat_error_names_the_prompts_file_and_line, .timeout = 120)
{
    char *dir = KT("chaterr"), *t = stories(dir);
    char *p = KF("%s/p.jsonl", dir), *o = KF("%s/out", dir);
    const char *recs = "{\"prompt\": \"Once\"}\n{\"messages\": [{\"role\": \"tool\", \"content\": \"Hi\"}]}\n";
    cr_assert(tu_write(p, recs, strlen(recs)));
    el_distill_gen_params gp = {0};
    gp.teacher = t;
    gp.prompts = p;
    gp.out_dir = o;
    gp.chat = true;
    gp.chat_template = "chatml";
    gp.samples = 1;
    gp.max_new = 2;
    gp.sampling = el_sampler_default_params();
    gp.sampling.temp = 0;
    gp.sampling.repeat_penalty = 1.0f;
    gp.topk = 4;
    gp.batch = 1;
    gp.shard_n = 1;
    gp.threads = 1;
    el_distill_stats st;
    el_error e;
    el_error_clear(&e);
    const int rc = el_distill_gen(&gp, &st, &e);
    cr_assert_eq(rc, EL_EFORMAT, "rc %d (%s), want EFORMAT: a bad role is bad input: %s", rc, el_code_name(rc), e.msg);
    cr_assert_str_eq(e.path, p, "err.path '%s' should be the prompts file: %s", e.path, e.msg);
    cr_assert(!strncmp(e.msg, "line 2: message 1: role 'tool'", 30), "%s", e.msg);
    cr_assert(e.where && !strncmp(e.where, "distill/chat.c:", 15), "raised at %s, not chat.c's line", e.where);
    cr_assert(access(o, F_OK) != 0, "the failed run left %s", o);
    /* the binary: one line on stderr naming the file and the line */
    tu_run r = tu_edgelm("distill", "gen", "--teacher", t, "--prompts", p, "--chat-template", "chatml", "-o", o, NULL);
    cr_assert_eq(r.status, 1, "exit %d, want 1 (bad input): %s", r.status, r.err);
    cr_assert(strstr(r.err, p) && strstr(r.err, "line 2: message 1"), "%s", r.err);
    cr_assert_eq(memchr(r.err, '\n', r.err_len), r.err + r.err_len - 1, "one line: %s", r.err);
    tu_run_free(&r);
    tu_rmtree(dir);
    tu_release();
}

/*
 * Issue 16 item 11: a run that fails before its first commit leaves no folder, so the retry with the
 * input corrected just works; a folder left by a run killed before its first commit is taken over;
 * a NUL byte in a txt prompt is refused by line (gen used to write \u0000 and then refuse its own
 * completions.jsonl on --resume). Each failed before: the folder stayed with "status": "running".
 */
/* An existing output folder must be empty or an edgelm output: a folder holding other files (a source
 * folder, `-o .`) is refused before anything is written into it, naming one of its files; an empty
 * folder, and one that holds only a killed run's temporary file, are taken. */
Test(distill, output_folder_with_other_files_is_refused, .timeout = 120)
{
    char *dir = KT("foreign"), *t = stories(dir);
    char *p = KF("%s/p.jsonl", dir);
    const char *one = "{\"prompt\": \"Once\"}\n";
    tu_write(p, one, strlen(one));
    char *src = KF("%s/src", dir);
    cr_assert_eq(mkdir(src, 0755), 0);
    tu_write(KF("%s/notes.c", src), "int x;\n", 7);
    static const char *const subs[][2] = {{"gen", "--prompts"}, {"logits", "--data"}};
    for (int i = 0; i < 2; i++) {
        tu_run r = tu_edgelm("distill", subs[i][0], "--teacher", t, subs[i][1], p, "-o", src, "--max-new", "2", NULL);
        if (i == 1) { /* logits has no --max-new */
            tu_run_free(&r);
            r = tu_edgelm("distill", subs[i][0], "--teacher", t, subs[i][1], p, "-o", src, "-c", "8", NULL);
        }
        cr_assert_eq(r.status, 2, "%s: %s", subs[i][0], r.err);
        cr_assert(strstr(r.err, "src: holds files that are not an edgelm output (e.g. 'notes.c')"), "%s", r.err);
        tu_run_free(&r);
    }
    size_t n;
    char *kept = (char *)tu_read(KF("%s/notes.c", src), &n);
    cr_assert(kept && n == 7 && !memcmp(kept, "int x;\n", 7));
    free(kept);
    cr_assert(access(KF("%s/manifest.json", src), F_OK) != 0 && access(KF("%s/.lock", src), F_OK) != 0);
    char *empty = KF("%s/empty", dir);
    cr_assert_eq(mkdir(empty, 0755), 0);
    tu_write(KF("%s/.completions.jsonl.edgelm-123-0.tmp", empty), "x", 1);
    tu_ok("distill", "gen", "--teacher", t, "--prompts", p, "-o", empty, "--max-new", "2", "-q", NULL);
    cr_assert(access(KF("%s/completions.jsonl", empty), F_OK) == 0);
}

Test(distill, gen_failed_first_run_leaves_nothing, .timeout = 120)
{
    char *dir = KT("unstarted"), *t = stories(dir);
    char *p = KF("%s/p.jsonl", dir), *o = KF("%s/out", dir);
    const char *msgs = "{\"prompt\": \"Once\"}\n{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}\n";
    tu_write(p, msgs, strlen(msgs));
    tu_run r = tu_edgelm("distill", "gen", "--teacher", t, "--prompts", p, "-o", o, "--max-new", "4", NULL);
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert(strstr(r.err, "line 2") && strstr(r.err, "--chat"), "%s", r.err);
    tu_run_free(&r);
    cr_assert(access(o, F_OK) != 0, "the failed run left %s", o);
    const char *fixed = "{\"prompt\": \"Once\"}\n{\"prompt\": \"Hi\"}\n";
    tu_write(p, fixed, strlen(fixed));
    tu_ok("distill", "gen", "--teacher", t, "--prompts", p, "-o", o, "--max-new", "4", "-t", "1", "-q", NULL);

    /* a folder the user made stays, emptied of what the run wrote */
    char *o2 = KF("%s/made", dir), *txt = KF("%s/p.txt", dir);
    cr_assert_eq(mkdir(o2, 0755), 0);
    tu_write(txt, "Once upon\nTwo\0cats\n", 19);
    r = tu_edgelm("distill", "gen", "--teacher", t, "--prompts", txt, "-o", o2, "--max-new", "4", NULL);
    cr_assert_eq(r.status, 1, "%s", r.err);
    cr_assert(strstr(r.err, "p.txt") && strstr(r.err, "line 2") && strstr(r.err, "NUL"), "%s", r.err);
    tu_run_free(&r);
    cr_assert(access(o2, F_OK) == 0 && access(KF("%s/manifest.json", o2), F_OK) != 0, "the folder should stay, empty");

    /* killed before its first commit: "running", no lines, no shard; a new run takes it over */
    json_t *m = load_json(KF("%s/manifest.json", o));
    json_object_set_new(m, "status", json_string("running"));
    cr_assert_eq(json_dump_file(m, KF("%s/manifest.json", o2), 0), 0);
    json_decref(m);
    tu_write(KF("%s/completions.jsonl", o2), "", 0);
    tu_ok("distill", "gen", "--teacher", t, "--prompts", p, "-o", o2, "--max-new", "4", "-t", "1", "-q", NULL);
    same_folder(o, o2);
    /* but never one with a line in it */
    r = tu_edgelm("distill", "gen", "--teacher", t, "--prompts", p, "-o", o2, "--max-new", "4", NULL);
    cr_assert_eq(r.status, 2, "%s", r.err);
    tu_run_free(&r);
    tu_release();
}

/* ---- the Python reader -------------------------------------------------------------------------------- */

Test(distill, python_reader_equals_c_reader, .timeout = 120)
{
    if (!tu_have_numpy())
        cr_skip_test("/usr/bin/python3 with numpy (python3-numpy) is needed for the reader check");
    char *dir = KT("pyreader"), *t = stories(dir);
    char *o = KF("%s/out", dir);
    tu_ok("distill", "gen", "--teacher", t, "--prompts", "tests/data/distill/prompts.jsonl", "-o", o, GEN_ARGS, NULL);
    tu_run r = tu_exec((const char *const[]){"sh", "tests/oracle/distill_reader_check.sh", o, tu_bin(), NULL}, NULL, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    json_t *py = json_loads(r.out, 0, NULL);
    cr_assert(py, "%s", r.out);
    tu_run_free(&r);
    const json_t *shards = json_object_get(py, "shards");
    cr_assert_gt(json_array_size(shards), 3);
    el_error e;
    el_error_clear(&e);
    for (size_t i = 0; i < json_array_size(shards); i++) {
        const json_t *ps = json_array_get(shards, i);
        el_dshard *s;
        cr_assert_eq(el_dshard_open(&s, KF("%s/%s", o, json_string_value(json_object_get(ps, "file"))), &e), 0, "%s", e.msg);
        double lp = 0, tail = 0;
        int64_t ids = 0, toks = 0, rows = 0, ntok = 0, ix = 0;
        for (int64_t k = 0; k < el_dshard_records(s); k++) {
            el_dshard_rec g;
            el_dshard_get(s, k, &g);
            const int64_t nr = g.n_tok - g.start;
            for (int64_t j = 0; j < nr * el_dshard_k(s); j++) {
                lp += g.topk_lp[j];
                ids += g.topk_ids[j];
            }
            for (int64_t j = 0; j < nr; j++)
                tail += isfinite(g.tail_lp[j]) ? g.tail_lp[j] : 0;
            for (int64_t j = 0; j < g.n_tok; j++)
                toks += g.tokens[j];
            ix += g.id + g.sub + ntok + g.n_tok + g.start + rows;
            rows += nr;
            ntok += g.n_tok;
        }
        cr_assert_eq(tu_jnum(ps, "records"), el_dshard_records(s));
        cr_assert_eq(tu_jnum(ps, "rows"), rows);
        cr_assert_eq(tu_jnum(ps, "tokens"), ntok);
        cr_assert_eq(tu_jnum(ps, "topk_logprobs_sum"), lp, "%.17g vs %.17g", tu_jnum(ps, "topk_logprobs_sum"), lp);
        cr_assert_eq(tu_jnum(ps, "tail_logprob_finite_sum"), tail);
        cr_assert_eq(tu_jnum(ps, "topk_ids_sum"), ids);
        cr_assert_eq(tu_jnum(ps, "input_ids_sum"), toks);
        cr_assert_eq(tu_jnum(ps, "index_sum"), ix);
        el_dshard_close(s);
    }
    json_decref(py);
    tu_release();
}
