/*
 * tests/fuzz/fuzz_shard.c - libFuzzer target for distillation logits shards
 * (logits-NNNNN.safetensors, read by `distill score`, `distill merge` and --resume): el_dshard_count
 * and el_dshard_open (zlib-compressed tensors included), every record of what opens read through
 * el_dshard_get, then written again with the shard writer and read back: the same records.
 * Build and run: make fuzz FUZZ_TARGETS=shard (needs clang).
 *
 * Input: the shard file.
 *
 * Found (fixed; tests/test_hostile.c): zlib entries whose inflated size wraps (1-D) or is huge (2-D)
 * made the reader overflow its buffer or ask for terabytes (issue 16 item 4).
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "distill/shard.h"
#include "tests/fuzz/fuzz_util.h"

static bool same_f(const float *a, const float *b, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (!(a[i] == b[i] || (isnan(a[i]) && isnan(b[i]))))
            return false;
    return true;
}

/* Every record of s, checked against what the reader promises (ids and tokens inside the vocabulary). */
static void check_records(const el_dshard *s)
{
    const int64_t n = el_dshard_records(s);
    const int k = el_dshard_k(s), nv = el_dshard_vocab(s);
    volatile float sink = 0;
    for (int64_t i = 0; i < n; i++) {
        el_dshard_rec r;
        el_dshard_get(s, i, &r);
        if (r.start < 1 || r.start > r.n_tok)
            FZ_BUG("record %lld: start %lld of %lld tokens", (long long)i, (long long)r.start, (long long)r.n_tok);
        for (int64_t t = 0; t < r.n_tok; t++)
            if (r.tokens[t] < 0 || r.tokens[t] >= nv)
                FZ_BUG("record %lld: token %d outside the vocabulary of %d", (long long)i, r.tokens[t], nv);
        const int64_t rows = r.n_tok - r.start;
        for (int64_t j = 0; j < rows * k; j++) {
            if (r.topk_ids[j] < 0 || r.topk_ids[j] >= nv)
                FZ_BUG("record %lld: top-k id %d outside the vocabulary of %d", (long long)i, r.topk_ids[j], nv);
            sink += r.topk_lp[j];
        }
        for (int64_t j = 0; j < rows; j++)
            sink += r.tail_lp[j];
    }
    (void)sink;
}

static void rewrite(const el_dshard *s)
{
    char out_path[1024];
    fz_path(out_path, sizeof out_path, fz_tmpdir("shard"), "logits-00001.safetensors");
    el_dshard_writer *w = NULL;
    int rc = el_dshard_writer_new(&w, el_dshard_k(s), el_dshard_vocab(s), fz_err());
    if (rc)
        FZ_BUG("a shard's own k %d and n_vocab %d refused by the writer: %s", el_dshard_k(s), el_dshard_vocab(s),
               fz_e.msg);
    const int64_t n = el_dshard_records(s);
    for (int64_t i = 0; i < n && !rc; i++) {
        el_dshard_rec r;
        el_dshard_get(s, i, &r);
        rc = fz_rc(el_dshard_add(w, &r, fz_err()));
    }
    if (!rc)
        rc = fz_rc(el_dshard_write(w, out_path, fz_err()));
    el_dshard_writer_free(w);
    if (rc)
        return;
    el_dshard *b = NULL;
    if (el_dshard_open(&b, out_path, fz_err()))
        FZ_BUG("a rewritten shard does not open: %s", fz_e.msg);
    if (el_dshard_records(b) != n || el_dshard_k(b) != el_dshard_k(s) || el_dshard_vocab(b) != el_dshard_vocab(s))
        FZ_BUG("a rewritten shard differs in its counts");
    const int64_t k = el_dshard_k(s);
    for (int64_t i = 0; i < n; i++) {
        el_dshard_rec x, y;
        el_dshard_get(s, i, &x);
        el_dshard_get(b, i, &y);
        const int64_t rows = x.n_tok - x.start;
        if (x.id != y.id || x.sub != y.sub || x.n_tok != y.n_tok || x.start != y.start ||
            memcmp(x.tokens, y.tokens, (size_t)x.n_tok * 4) || memcmp(x.topk_ids, y.topk_ids, (size_t)(rows * k) * 4) ||
            !same_f(x.topk_lp, y.topk_lp, rows * k) || !same_f(x.tail_lp, y.tail_lp, rows))
            FZ_BUG("record %lld differs after a rewrite", (long long)i);
    }
    el_dshard_close(b);
    remove(out_path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in_path = fz_input("shard", "logits-00000.safetensors", data, size);
    int64_t n_count = -1;
    const int rc_count = fz_rc(el_dshard_count(in_path, &n_count, fz_err()));
    el_dshard *s = NULL;
    if (fz_rc(el_dshard_open(&s, in_path, fz_err())))
        return 0;
    if (rc_count || n_count != el_dshard_records(s))
        FZ_BUG("el_dshard_count says %lld (rc %d), the opened shard holds %lld records", (long long)n_count, rc_count,
               (long long)el_dshard_records(s));
    check_records(s);
    rewrite(s);
    el_dshard_close(s);
    return 0;
}
