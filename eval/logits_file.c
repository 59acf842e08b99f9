/*
 * eval/logits_file.c - llama.cpp's KL-divergence base file (see logits_file.h).
 *
 * The packing follows llama-perplexity's arithmetic step for step (float where it uses float, the
 * sum of exponentials in double), so a file we write holds the same bytes llama.cpp would write for
 * the same logits.
 */
#include "eval/logits_file.h"

#include <math.h>
#include <string.h>

#include "core/util.h"

#define MAGIC "_logits_"
#define HEADER 20

double el_kld_pack(const float *logits, int n_vocab, int tok, uint16_t *row)
{
    float mx = logits[0], mn = logits[0];
    for (int i = 1; i < n_vocab; i++) {
        mx = fmaxf(mx, logits[i]);
        mn = fminf(mn, logits[i]);
    }
    mn = fmaxf(mn, mx - 16);
    double sum = 0;
    for (int i = 0; i < n_vocab; i++)
        sum += expf(logits[i] - mx);
    const float lse = (float)log(sum);
    const float min_log_prob = mn - mx - lse;
    const float scale = (mx - mn) / 65535.f;
    memcpy(row, &scale, 4);
    memcpy(row + 2, &min_log_prob, 4);
    uint16_t *q = row + 4;
    if (scale != 0) {
        const float inv = 1 / scale;
        for (int i = 0; i < n_vocab; i++)
            q[i] = logits[i] > mn ? (uint16_t)lrintf(inv * (logits[i] - mn)) : 0;
    } else {
        memset(q, 0, (size_t)n_vocab * sizeof *q);
    }
    if (n_vocab & 1)
        q[n_vocab] = 0; /* the pad llama.cpp leaves as it was: zero here, so files are reproducible */
    const float nll = mx + lse - logits[tok];
    return nll;
}

double el_nll(const float *l, int n_vocab, int tok)
{
    float mx = l[0];
    for (int i = 1; i < n_vocab; i++)
        mx = fmaxf(mx, l[i]);
    double s = 0;
    for (int i = 0; i < n_vocab; i++)
        s += expf(l[i] - mx);
    return -((double)(l[tok] - mx) - log(s));
}

float el_kld_row_logp(const uint16_t *row, int v)
{
    float scale, min_log_prob;
    memcpy(&scale, row, 4);
    memcpy(&min_log_prob, row + 2, 4);
    return scale * row[4 + v] + min_log_prob;
}

int el_kld_file_open(el_kld_file *f, const char *path, el_error *err)
{
    memset(f, 0, sizeof *f);
    int rc = el_map_open(&f->map, path, err);
    if (rc)
        return rc;
    const uint8_t *d = f->map.data;
    const uint64_t size = f->map.size;
    if (size < HEADER || memcmp(d, MAGIC, 8) != 0) {
        rc = EL_FAIL(err, EL_EFORMAT, path, 0, "not a llama.cpp logits file (no \"_logits_\" magic)");
        goto fail;
    }
    uint32_t n_ctx;
    int32_t n_vocab, n_chunk;
    memcpy(&n_ctx, d + 8, 4);
    memcpy(&n_vocab, d + 12, 4);
    memcpy(&n_chunk, d + 16, 4);
    if (n_ctx < 4 || n_ctx > (1u << 24) || n_vocab < 2 || n_vocab > (1 << 24) || n_chunk < 1) {
        rc = EL_FAIL(err, EL_EFORMAT, path, 8, "implausible header: n_ctx %u, n_vocab %d, n_chunk %d", n_ctx, n_vocab,
                     n_chunk);
        goto fail;
    }
    const uint64_t per = (uint64_t)(n_ctx - 1 - n_ctx / 2);
    uint64_t toks, rows, want;
    /* n_chunk is only bounded by the file: a sum that wrapped 2^64 "matched" a 20-byte file */
    if (!EL_PROD(&toks, n_ctx, (uint64_t)n_chunk, 4) ||
        !EL_PROD(&rows, (uint64_t)n_chunk, per, (uint64_t)el_kld_row_len(n_vocab), 2) || !el_add64(toks, rows, &want) ||
        !el_add64(want, HEADER, &want)) {
        rc = EL_FAIL(err, EL_ERANGE, path, 8, "header's n_ctx %u, n_vocab %d and %d chunks make a size that overflows",
                     n_ctx, n_vocab, n_chunk);
        goto fail;
    }
    if (size != want) {
        rc = EL_FAIL(err, size < want ? EL_ETRUNC : EL_EFORMAT, path, (int64_t)size,
                     "%llu bytes where n_ctx %u, n_vocab %d and %d chunks make %llu%s", (unsigned long long)size, n_ctx,
                     n_vocab, n_chunk, (unsigned long long)want, size < want ? " (truncated)" : "");
        goto fail;
    }
    f->n_ctx = (int)n_ctx;
    f->n_vocab = n_vocab;
    f->n_chunk = n_chunk;
    f->tokens = (const int32_t *)(const void *)(d + HEADER);
    f->rows = (const uint16_t *)(const void *)(d + HEADER + toks);
    for (uint64_t i = 0; i < (uint64_t)n_ctx * (uint64_t)n_chunk; i++)
        if (f->tokens[i] < 0 || f->tokens[i] >= n_vocab) {
            rc = EL_FAIL(err, EL_EFORMAT, path, (int64_t)(HEADER + 4 * i), "token %d outside the vocabulary of %d",
                         f->tokens[i], n_vocab);
            goto fail;
        }
    return 0;
fail:
    el_map_close(&f->map);
    memset(f, 0, sizeof *f);
    return rc;
}

void el_kld_file_close(el_kld_file *f)
{
    el_map_close(&f->map);
    memset(f, 0, sizeof *f);
}

const uint16_t *el_kld_file_row(const el_kld_file *f, int chunk, int i)
{
    const int per = f->n_ctx - 1 - f->n_ctx / 2;
    return f->rows + ((size_t)chunk * (size_t)per + (size_t)i) * (size_t)el_kld_row_len(f->n_vocab);
}

int el_kld_write_begin(el_out **o, const char *path, int n_ctx, int n_vocab, int n_chunk, const int32_t *tokens,
                       el_error *err)
{
    int rc = el_out_open(o, path, err);
    if (rc)
        return rc;
    uint8_t h[HEADER];
    const uint32_t c = (uint32_t)n_ctx;
    memcpy(h, MAGIC, 8);
    memcpy(h + 8, &c, 4);
    memcpy(h + 12, &n_vocab, 4);
    memcpy(h + 16, &n_chunk, 4);
    rc = el_out_write(*o, h, HEADER, err);
    if (!rc)
        rc = el_out_write(*o, tokens, (uint64_t)n_ctx * (uint64_t)n_chunk * 4, err);
    if (rc) {
        el_out_abort(*o);
        *o = NULL;
    }
    return rc;
}
