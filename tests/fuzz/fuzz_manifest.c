/*
 * tests/fuzz/fuzz_manifest.c - libFuzzer target for a distillation output folder as --resume and
 * `distill merge` read it: manifest.json, the lines file (completions.jsonl / records.jsonl) and the
 * logits shards beside them.
 * Build and run: make fuzz FUZZ_TARGETS=manifest (needs clang).
 *
 * Input: byte 0 picks what is done, the rest is files cut at FZ_SEP (fuzz_util.h):
 *   byte 0 even   resume: manifest.json FZ_SEP lines FZ_SEP logits-00000 FZ_SEP logits-00001
 *                 el_dout_open with --resume (the run's head taken from the manifest itself, so the
 *                 identity check passes and the folder's contents are what is tested: lines against
 *                 shards, shard numbering, record counts), then one more unit and el_dout_finish
 *                 (which reads every shard's count and hashes every file);
 *   byte 0 odd    merge: the same four files for folder A, then four for folder B; el_distill_merge
 *                 of A alone (byte 0 & 2) or of A and B, into a new folder.
 * The lines part is written as completions.jsonl or records.jsonl as the manifest's command says
 * (both for a merge); an empty part is no file.
 *
 * Found (fixed; tests/test_hostile.c): merge copied records with the manifest's top-k, not the
 * shards' own, and read past them when they differed.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "distill/merge.h"
#include "distill/outdir.h"
#include "distill/shard.h"
#include "tests/fuzz/fuzz_util.h"

static json_t *parse(fz_part p) { return json_loadb((const char *)p.p, p.n, 0, NULL); }

static int64_t clamp_key(const json_t *obj, const char *key, int64_t lo, int64_t hi, int64_t def)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v))
        return def;
    const int64_t x = (int64_t)json_integer_value(v);
    return x < lo ? lo : x > hi ? hi : x;
}

/* Folder dir from parts[0..3]: manifest, lines (under one or both names), two shards. */
static void write_folder(const char *dir, const fz_part *parts, int n, bool both_names, bool gen)
{
    char p[1024];
    fz_mkdir(dir);
    static const char *const names[] = {"manifest.json", "", "logits-00000.safetensors", "logits-00001.safetensors"};
    for (int i = 0; i < 4 && i < n; i++) {
        if (parts[i].n == 0)
            continue;
        if (i == 1) {
            if (both_names || gen)
                fz_write(fz_path(p, sizeof p, dir, "completions.jsonl"), parts[i].p, parts[i].n);
            if (both_names || !gen)
                fz_write(fz_path(p, sizeof p, dir, "records.jsonl"), parts[i].p, parts[i].n);
        } else {
            fz_write(fz_path(p, sizeof p, dir, names[i]), parts[i].p, parts[i].n);
        }
    }
}

static void resume(const fz_part *parts, int n)
{
    json_t *man = n > 0 ? parse(parts[0]) : NULL;
    const char *cmd = json_string_value(json_object_get(man, "command"));
    const bool gen = cmd && strcmp(cmd, "gen") == 0;
    char dir[1024];
    fz_path(dir, sizeof dir, fz_tmpdir("manifest"), "run");
    write_folder(dir, parts, n, false, gen);

    /* the run's identity: what the manifest says, without what a finished run adds */
    json_t *head = json_is_object(man) ? json_deep_copy(man) : json_object();
    if (!head)
        FZ_DIE("out of memory");
    json_object_del(head, "status");
    json_object_del(head, "counts");
    json_object_del(head, "files");
    const json_t *params = json_object_get(man, "params");
    const int k = (int)clamp_key(params, "topk_logits", 0, 64, 4);
    const int n_vocab = (int)clamp_key(json_object_get(man, "teacher"), "n_vocab", 1, 1 << 20, 512);
    el_dout_params dp = {dir, gen ? "completions.jsonl" : "records.jsonl", k, n_vocab,
                         clamp_key(params, "shard_tokens", 1, 1 << 20, 16), true, head};
    el_dout *o = NULL;
    int64_t first = -1;
    if (fz_rc(el_dout_open(&o, &dp, &first, fz_err())) == 0) {
        if (first < 0)
            FZ_BUG("resume point %lld", (long long)first);
        int32_t tokens[2] = {0, 0}, ids[64];
        float lp[64], tail = -5.0f;
        for (int i = 0; i < k; i++) {
            ids[i] = i;
            lp[i] = -1.0f - (float)i;
        }
        el_dshard_rec r = {first, 0, tokens, 2, 1, ids, lp, &tail};
        char line[64];
        snprintf(line, sizeof line, "{\"id\": %lld}", (long long)first);
        json_t *counts = json_object();
        if (!counts)
            FZ_DIE("out of memory");
        if (!fz_rc(el_dout_add(o, line, k > 0 ? &r : NULL, 2, fz_err())))
            fz_rc(el_dout_finish(o, counts, NULL, fz_err()));
        json_decref(counts);
        el_dout_free(o);
    }
    json_decref(head);
    json_decref(man);
    fz_rmtree(dir);
}

static void merge(const fz_part *parts, int n, int n_dirs)
{
    const char *root = fz_tmpdir("manifest");
    char a[1024], b[1024], out[1024];
    fz_path(a, sizeof a, root, "a");
    fz_path(b, sizeof b, root, "b");
    fz_path(out, sizeof out, root, "out");
    write_folder(a, parts, n, true, false);
    write_folder(b, parts + (n > 4 ? 4 : n), n > 4 ? n - 4 : 0, true, false);
    const char *dirs[2] = {a, b};
    json_t *manifest = NULL;
    if (fz_rc(el_distill_merge(dirs, n_dirs, out, NULL, &manifest, fz_err())) == 0 && !json_is_object(manifest))
        FZ_BUG("a merge succeeded without a manifest");
    json_decref(manifest);
    fz_rmtree(a);
    fz_rmtree(b);
    fz_rmtree(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    fz_part parts[FZ_MAX_PARTS];
    const int n = fz_split(data + 1, size - 1, parts, 8);
    if (data[0] % 2 == 0)
        resume(parts, n);
    else
        merge(parts, n, data[0] & 2 ? 1 : 2);
    return 0;
}
