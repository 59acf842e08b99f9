/*
 * cmd/distill.c - `edgelm distill gen|logits|score|merge`: teacher-student distillation data.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/json.h"
#include "distill/gen.h"
#include "distill/logits.h"
#include "distill/merge.h"
#include "distill/score.h"

static const char usage[] = "distill gen|logits|score|merge ...   ('edgelm distill SUB --help' for each)";
static const char summary[] =
    "Teacher-student distillation data (docs/distill.md):\n"
    "  gen     teacher completions for prompts, with the teacher's top-k at every generated token\n"
    "  logits  the teacher's top-k at every position of existing text (teacher forcing)\n"
    "  score   KL(teacher || student), cross-entropy and top-1 agreement on a folder's top-k\n"
    "  merge   join the folders of --shard I/N runs into the folder one run would have written\n"
    "Output folders hold completions.jsonl or records.jsonl, logits-NNNNN.safetensors and\n"
    "manifest.json; runs are deterministic and resumable (--resume after any interruption).";

static const char usage_gen[] =
    "distill gen --teacher T.gguf --prompts FILE -o OUTDIR [--field prompt|messages] [--chat] [--samples K] "
    "[--max-new N] [--temp T] [--top-p P] [--top-k K] [--seed S] [--topk-logits 32] [--batch 8] [--shard I/N] "
    "[--resume] [-t N]";
static const char summary_gen[] =
    "Completions of the teacher for every prompt: FILE is jsonl (\"messages\", \"prompt\" or \"text\"),\n"
    "json, or txt (one prompt per line), also .gz or ARCHIVE:MEMBER. --chat applies the teacher's chat\n"
    "template (chatml, llama3, gemma, phi3, mistral, zephyr, llama2; --chat-template NAME forces one).\n"
    "Each (prompt, sample) has its own seed derived from --seed, so the output is the same bytes for\n"
    "any -t, --batch or --shard split. --topk-logits 0 writes no logits shards.\n"
    "JSON: out_dir, completions, units_done, generated_tokens, seconds (generating), wall_seconds,\n"
    "tokens_per_s (generated tokens / seconds), manifest.";

static const char usage_logits[] = "distill logits --teacher T.gguf --data TEXT|JSONL -o OUTDIR [-c 512] "
                                   "[--topk-logits 32] [--field text] [--shard I/N] [--resume] [-t N]";
static const char summary_logits[] =
    "The teacher's top-k next-token distribution at every position of existing text (what DistillKit\n"
    "captures with vLLM). Each record (a txt line, or a jsonl \"text\" field) is tokenized and cut into\n"
    "chunks of -c tokens; a chunk after the first starts again from BOS when the teacher uses one.\n"
    "JSON: out_dir, chunks, scored_tokens, seconds, tokens_per_s, manifest.";

static const char usage_score[] = "distill score --student S.gguf --data OUTDIR [--records FILE] [-t N] [--fail-if EXPR] [--json]";
static const char summary_score[] =
    "How far a student is from the teacher on a folder's top-k data: KL(teacher || student) over the\n"
    "k stored tokens plus one bucket for the rest (the teacher's tail mass against the student's),\n"
    "cross-entropy of the student on the teacher's tokens, and top-1 agreement; overall, and per\n"
    "record with --records FILE (jsonl). A student whose vocabulary differs from the teacher's is\n"
    "refused (the manifest's vocab_sha256).\n"
    "JSON: kl_mean, kl_err, kl_max, ce_mean, ppl, top1, n_tokens, n_records, teacher, student.";

static const char usage_merge[] = "distill merge OUTDIR... -o OUTDIR";
static const char summary_merge[] =
    "Join the folders of `--shard I/N` runs (all N of them, each complete) into the folder a single\n"
    "run would have written: the same bytes.";

typedef struct distill_flags {
    const char *teacher, *student, *prompts, *data, *out, *field, *chat_template, *shard, *records, *fail_if, *too_long;
    bool chat, resume;
    int samples, max_new, top_k, topk, batch, threads, n_ctx;
    double temp, top_p, min_p;
    uint64_t seed;
    int64_t shard_tokens;
} distill_flags;

/* Rows that gen's and logits' tables share (F: the distill_flags they fill): the teacher, the output
 * folder, and how a run is split, resumed and threaded. */
#define OPT_TEACHER(F) {0, "teacher", EL_OPT_STR, &(F).teacher, "T.gguf", "the teacher model"}
#define OPT_OUTDIR(F) {'o', "output", EL_OPT_STR, &(F).out, "OUTDIR", "output folder (created)"}
#define OPTS_RUN(F)                                                                                        \
    {0, "shard", EL_OPT_STR, &(F).shard, "I/N", "this machine's share: records with number % N == I"},     \
    {0, "shard-tokens", EL_OPT_I64, &(F).shard_tokens, "N", "tokens per logits file (default 1048576)"},   \
    {0, "resume", EL_OPT_FLAG, &(F).resume, NULL, "continue the run in OUTDIR (starts it when there is none)"}, \
    EL_OPT_THREADS(&(F).threads)

static bool parse_shard(const char *s, int *i, int *n)
{
    *i = 0;
    *n = 1;
    if (!s)
        return true;
    char *end;
    long a = strtol(s, &end, 10);
    if (end == s || *end != '/')
        return false;
    const char *b = end + 1;
    long c = strtol(b, &end, 10);
    if (end == b || *end || c < 1 || c > 1000000 || a < 0 || a >= c)
        return false;
    *i = (int)a;
    *n = (int)c;
    return true;
}

static int run_gen(el_cli *cli, const distill_flags *f)
{
    if (!f->teacher || !f->prompts || !f->out)
        return el_usage_error(cli, usage_gen, "missing --teacher, --prompts or -o");
    el_distill_gen_params p = {0};
    if (!parse_shard(f->shard, &p.shard_i, &p.shard_n))
        return el_usage_error(cli, usage_gen, "--shard takes I/N with 0 <= I < N");
    if (f->top_p <= 0)
        return el_usage_error(cli, usage_gen, "--top-p: %g is out of range (0 < P <= 1)", f->top_p);
    if (f->min_p >= 1)
        return el_usage_error(cli, usage_gen, "--min-p: %g is out of range (0 <= P < 1)", f->min_p);
    if (f->too_long && strcmp(f->too_long, "skip") && strcmp(f->too_long, "truncate"))
        return el_usage_error(cli, usage_gen, "--too-long takes skip or truncate");
    p.teacher = f->teacher;
    p.prompts = f->prompts;
    p.out_dir = f->out;
    p.field = f->field;
    p.chat = f->chat || f->chat_template;
    p.chat_template = f->chat_template;
    p.samples = f->samples;
    p.max_new = f->max_new;
    p.sampling = el_sampler_default_params();
    p.sampling.temp = (float)f->temp;
    p.sampling.top_k = f->top_k;
    p.sampling.top_p = (float)f->top_p;
    p.sampling.min_p = (float)f->min_p;
    p.sampling.repeat_penalty = 1.0f;
    p.sampling.seed = f->seed;
    p.topk = f->topk;
    p.batch = f->batch;
    p.resume = f->resume;
    p.threads = f->threads;
    p.n_ctx = f->n_ctx;
    p.truncate = f->too_long && !strcmp(f->too_long, "truncate");
    p.shard_tokens = f->shard_tokens;
    p.progress = &cli->progress;
    el_distill_stats st;
    el_error err;
    el_error_clear(&err);
    if (el_distill_gen(&p, &st, &err))
        return el_cli_fail(cli, &err);
    json_t *counts = json_object_get(st.manifest, "counts");
    int64_t n = 0;
    el_json_get_i64(counts, "completions", &n);
    const double tps = st.seconds > 0 ? (double)st.tokens / st.seconds : 0;
    if (!cli->json && cli->verbosity >= 0)
        printf("%s: %lld completions (%lld made now, %lld already there); %lld tokens generated in %.2f s, %.1f tokens/s\n",
               f->out, (long long)n, (long long)st.units_done, (long long)st.units_skipped, (long long)st.tokens, st.seconds,
               tps);
    json_t *j = json_pack("{s:s, s:I, s:I, s:I, s:f, s:f, s:f, s:O}", "out_dir", f->out, "completions", (json_int_t)n,
                          "units_done", (json_int_t)st.units_done, "generated_tokens", (json_int_t)st.tokens, "seconds",
                          st.seconds, "wall_seconds", st.wall_seconds, "tokens_per_s", tps, "manifest", st.manifest);
    json_decref(st.manifest);
    return el_cli_result(cli, j);
}

static int run_logits(el_cli *cli, const distill_flags *f)
{
    if (!f->teacher || !f->data || !f->out)
        return el_usage_error(cli, usage_logits, "missing --teacher, --data or -o");
    el_distill_logits_params p = {0};
    if (!parse_shard(f->shard, &p.shard_i, &p.shard_n))
        return el_usage_error(cli, usage_logits, "--shard takes I/N with 0 <= I < N");
    if (f->n_ctx == 1)
        return el_usage_error(cli, usage_logits, "-c/--ctx-size: 1 is out of range (>= 2)");
    p.teacher = f->teacher;
    p.data = f->data;
    p.out_dir = f->out;
    p.field = f->field;
    p.n_ctx = f->n_ctx ? f->n_ctx : 512;
    p.topk = f->topk;
    p.resume = f->resume;
    p.threads = f->threads;
    p.shard_tokens = f->shard_tokens;
    p.progress = &cli->progress;
    el_distill_stats st;
    el_error err;
    el_error_clear(&err);
    if (el_distill_logits(&p, &st, &err))
        return el_cli_fail(cli, &err);
    json_t *counts = json_object_get(st.manifest, "counts");
    int64_t n = 0, scored = 0;
    el_json_get_i64(counts, "chunks", &n);
    el_json_get_i64(counts, "scored_tokens", &scored);
    const double tps = st.seconds > 0 ? (double)st.tokens / st.seconds : 0;
    if (!cli->json && cli->verbosity >= 0)
        printf("%s: %lld chunks, %lld scored tokens (%lld chunks made now); %.2f s, %.1f tokens/s\n", f->out, (long long)n,
               (long long)scored, (long long)st.units_done, st.seconds, tps);
    json_t *j = json_pack("{s:s, s:I, s:I, s:I, s:f, s:f, s:O}", "out_dir", f->out, "chunks", (json_int_t)n, "units_done",
                          (json_int_t)st.units_done, "scored_tokens", (json_int_t)scored, "seconds", st.seconds,
                          "tokens_per_s", tps, "manifest", st.manifest);
    json_decref(st.manifest);
    return el_cli_result(cli, j);
}

static int run_score(el_cli *cli, const distill_flags *f)
{
    if (!f->student || !f->data)
        return el_usage_error(cli, usage_score, "missing --student or --data");
    el_gates g;
    el_error err;
    el_error_clear(&err);
    if (el_gates_parse(f->fail_if, &g, &err))
        return el_cli_fail(cli, &err);
    el_distill_score_params p = {f->student, f->data, f->records, f->threads, &cli->progress};
    el_distill_score_result r;
    if (el_distill_score(&p, &r, &err)) {
        el_gates_free(&g);
        return el_cli_fail(cli, &err);
    }
    if (!cli->json && cli->verbosity >= 0) {
        printf("KL(teacher||student) = %.6f +/- %.6f  (max %.4f)\n", r.kl_mean, r.kl_err, r.kl_max);
        printf("cross-entropy        = %.4f  (PPL %.4f)\n", r.ce_mean, r.ppl);
        printf("top-1 agreement      = %.4f\n", r.top1);
        printf("%lld tokens in %lld records; %.2f s\n", (long long)r.n_tokens, (long long)r.n_records, r.seconds);
    }
    json_t *j = json_pack("{s:s, s:s, s:f, s:f, s:f, s:f, s:f, s:f, s:I, s:I, s:f, s:s, s:s}", "student", f->student, "data",
                          f->data, "kl_mean", r.kl_mean, "kl_err", r.kl_err, "kl_max", r.kl_max, "ce_mean", r.ce_mean, "ppl",
                          r.ppl, "top1", r.top1, "n_tokens", (json_int_t)r.n_tokens, "n_records", (json_int_t)r.n_records,
                          "seconds", r.seconds, "teacher", r.teacher, "vocab_sha256", r.vocab_sha256);
    const int rc = el_cli_gated(cli, j, &g);
    el_gates_free(&g);
    return rc;
}

static int run_merge(el_cli *cli, const distill_flags *f, char **dirs, int n)
{
    if (!f->out)
        return el_usage_error(cli, usage_merge, "missing -o OUTDIR");
    el_error err;
    el_error_clear(&err);
    json_t *man = NULL;
    if (el_distill_merge((const char *const *)dirs, n, f->out, &cli->progress, &man, &err))
        return el_cli_fail(cli, &err);
    if (!cli->json && cli->verbosity >= 0)
        printf("%s: %d shards merged\n", f->out, n);
    json_t *j = json_pack("{s:s, s:i, s:o}", "out_dir", f->out, "merged", n, "manifest", man);
    return el_cli_result(cli, j);
}

int cmd_distill(int argc, char **argv, el_cli *cli)
{
    static const char *const names[] = {"gen", "logits", "score", "merge"}; /* and their usage and summary */
    static const struct {
        const char *usage, *summary;
    } subs[] = {
        {usage_gen, summary_gen},
        {usage_logits, summary_logits},
        {usage_score, summary_score},
        {usage_merge, summary_merge},
    };
    int which, code;
    if (!el_pick_sub(cli, usage, summary, names, 4, "subcommand", argc, argv, &which, &code))
        return code;
    distill_flags f = {.samples = 1, .max_new = 256, .top_k = 40, .topk = 32, .batch = 8, .temp = 0.8, .top_p = 0.95,
                       .min_p = 0.05, .seed = 42};
    const el_opt opts_gen[] = {
        OPT_TEACHER(f),
        {0, "prompts", EL_OPT_STR, &f.prompts, "FILE", "prompts (jsonl, json, txt; .gz, ARCHIVE:MEMBER)"},
        OPT_OUTDIR(f),
        {0, "field", EL_OPT_STR, &f.field, "NAME", "the record field holding the prompt or messages"},
        {0, "chat", EL_OPT_FLAG, &f.chat, NULL, "apply the teacher's chat template"},
        {0, "chat-template", EL_OPT_STR, &f.chat_template, "NAME", "this template instead (chatml, llama3, gemma, ...)"},
        {0, "samples", EL_OPT_INT, &f.samples, "K", "completions per prompt (default 1)"},
        {0, "max-new", EL_OPT_INT, &f.max_new, "N", "tokens per completion at most (default 256)"},
        {0, "temp", EL_OPT_DOUBLE, &f.temp, "T", "temperature (default 0.8; 0: greedy)"},
        {0, "top-p", EL_OPT_DOUBLE, &f.top_p, "P", "nucleus sampling (default 0.95)"},
        {0, "top-k", EL_OPT_INT, &f.top_k, "K", "sample among the K best (default 40; 0: off)"},
        {0, "min-p", EL_OPT_DOUBLE, &f.min_p, "P", "drop tokens below P x the best's probability (default 0.05)"},
        {0, "seed", EL_OPT_U64, &f.seed, "S", "the run's seed (default 42)"},
        {0, "topk-logits", EL_OPT_INT, &f.topk, "K", "teacher's top-K per token in the shards (default 32; 0: none)"},
        {0, "batch", EL_OPT_INT, &f.batch, "N", "sequences decoded together (default 8)"},
        {'c', "ctx-size", EL_OPT_INT, &f.n_ctx, "N", "context per sequence (default: the teacher's, at most 4096)"},
        {0, "too-long", EL_OPT_STR, &f.too_long, "skip|truncate", "prompts that fill the context (default skip)"},
        OPTS_RUN(f),
        EL_OPTS_END,
    };
    const el_opt opts_logits[] = {
        OPT_TEACHER(f),
        {0, "data", EL_OPT_STR, &f.data, "FILE", "text (txt lines, jsonl, json; .gz, ARCHIVE:MEMBER)"},
        OPT_OUTDIR(f),
        {0, "field", EL_OPT_STR, &f.field, "NAME", "the record field holding the text (default \"text\")"},
        {'c', "ctx-size", EL_OPT_INT, &f.n_ctx, "N", "tokens per chunk (default 512)"},
        {0, "topk-logits", EL_OPT_INT, &f.topk, "K", "teacher's top-K per token (default 32)"},
        OPTS_RUN(f),
        EL_OPTS_END,
    };
    const el_opt opts_score[] = {
        {0, "student", EL_OPT_STR, &f.student, "S.gguf", "the student model"},
        {0, "data", EL_OPT_STR, &f.data, "OUTDIR", "a folder written by distill gen or logits"},
        {0, "records", EL_OPT_STR, &f.records, "FILE", "write per-record figures (jsonl)"},
        EL_OPT_THREADS(&f.threads),
        EL_OPT_FAIL_IF(&f.fail_if, "kl_mean>0.05,top1<0.9"),
        EL_OPTS_END,
    };
    const el_opt opts_merge[] = {
        {'o', "output", EL_OPT_STR, &f.out, "OUTDIR", "the merged folder (created)"},
        EL_OPTS_END,
    };
    const el_opt *opts[] = {opts_gen, opts_logits, opts_score, opts_merge};
    char **pos;
    int npos;
    const int min_pos = which == 3 ? 1 : 0, max_pos = which == 3 ? 100000 : 0;
    if (!el_parse(cli, subs[which].usage, subs[which].summary, opts[which], min_pos, max_pos, argc - 1, argv + 1, &pos,
                  &npos, &code))
        return code;
    const el_range ranges_gen[] = {
        {&f.samples, 1, 1 << 20}, {&f.max_new, 1, 1 << 20}, {&f.temp, 0, 1e6}, {&f.top_p, 0, 1}, {&f.top_k, 0, INT_MAX},
        {&f.min_p, 0, 1}, {&f.topk, 0, INT_MAX}, {&f.batch, 1, 4096}, {&f.n_ctx, 0, INT_MAX}, {&f.shard_tokens, 0, 1e18},
        EL_RANGE_THREADS(&f.threads), {NULL, 0, 0},
    };
    const el_range ranges_logits[] = {
        {&f.n_ctx, 0, INT_MAX}, {&f.topk, 1, INT_MAX}, {&f.shard_tokens, 0, 1e18}, EL_RANGE_THREADS(&f.threads), {NULL, 0, 0},
    };
    const el_range ranges_score[] = {EL_RANGE_THREADS(&f.threads), {NULL, 0, 0}}, ranges_merge[] = {{NULL, 0, 0}};
    const el_range *ranges[] = {ranges_gen, ranges_logits, ranges_score, ranges_merge};
    if (!el_check_ranges(cli, subs[which].usage, opts[which], ranges[which], &code)) {
        free(pos);
        return code;
    }
    int rc;
    switch (which) {
    case 0: rc = run_gen(cli, &f); break;
    case 1: rc = run_logits(cli, &f); break;
    case 2: rc = run_score(cli, &f); break;
    default: rc = run_merge(cli, &f, pos, npos); break;
    }
    free(pos);
    return rc;
}
