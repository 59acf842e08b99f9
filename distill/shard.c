/*
 * distill/shard.c - logits shards: top-k extraction, writer and checked reader (see shard.h).
 */
#include "distill/shard.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/half.h"
#include "core/util.h"
#include "formats/safetensors.h"

/* ---- top k ----------------------------------------------------------------------------------------- */

/* a before b in the top-k order: higher logit, then lower id */
static int ranks_before(const float *l, int32_t a, int32_t b) { return l[a] > l[b] || (l[a] == l[b] && a < b); }

/* min-heap on the top-k order: h[0] is the weakest of those kept */
static void sift_down(const float *l, int32_t *h, int n, int i)
{
    for (;;) {
        int c = 2 * i + 1;
        if (c >= n)
            return;
        if (c + 1 < n && ranks_before(l, h[c], h[c + 1]))
            c++;
        if (!ranks_before(l, h[i], h[c]))
            return;
        int32_t t = h[i];
        h[i] = h[c];
        h[c] = t;
        i = c;
    }
}

void el_topk_logprobs(const float *logits, int n_vocab, int k, int32_t *ids, float *lp, float *tail_lp)
{
    if (k > n_vocab)
        k = n_vocab;
    float mx = -INFINITY;
    for (int i = 0; i < n_vocab; i++)
        mx = logits[i] > mx ? logits[i] : mx;
    double z = 0;
    for (int i = 0; i < n_vocab; i++)
        z += exp((double)logits[i] - mx);
    /* heap of the k best; then sorted by popping the weakest to the back */
    for (int i = 0; i < k; i++) {
        ids[i] = i;
        for (int j = i; j > 0;) {
            int p = (j - 1) / 2;
            if (!ranks_before(logits, ids[p], ids[j]))
                break;
            int32_t t = ids[p];
            ids[p] = ids[j];
            ids[j] = t;
            j = p;
        }
    }
    for (int i = k; i < n_vocab; i++)
        if (ranks_before(logits, i, ids[0])) {
            ids[0] = i;
            sift_down(logits, ids, k, 0);
        }
    for (int n = k; n > 1; n--) {
        int32_t t = ids[0];
        ids[0] = ids[n - 1];
        ids[n - 1] = t;
        sift_down(logits, ids, n - 1, 0);
    }
    const double lz = log(z);
    double top = 0;
    for (int i = 0; i < k; i++) {
        double d = (double)logits[ids[i]] - mx;
        top += exp(d);
        lp[i] = (float)(d - lz);
    }
    double tail = z - top;
    *tail_lp = tail > 0 ? (float)(log(tail) - lz) : -INFINITY;
}

/* ---- writer ---------------------------------------------------------------------------------------- */

struct el_dshard_writer {
    int k, n_vocab;
    bool wide;             /* ids need 32 bits */
    int64_t *index;        /* [R][6] */
    int32_t *tokens;
    uint8_t *ids;          /* u16 or i32 */
    uint16_t *lp, *tail;
    int64_t n_rec, cap_rec, n_tok, cap_tok, n_row, cap_ids, cap_lp, cap_tail;
};

int el_dshard_writer_new(el_dshard_writer **out, int k, int n_vocab, el_error *err)
{
    *out = NULL;
    if (k <= 0 || n_vocab <= 0 || k > n_vocab)
        return EL_FAIL(err, EL_EUSAGE, NULL, -1, "top-k of %d over a vocabulary of %d", k, n_vocab);
    el_dshard_writer *w = calloc(1, sizeof *w);
    if (!w)
        return EL_NOMEM(err);
    w->k = k;
    w->n_vocab = n_vocab;
    w->wide = n_vocab > 65536;
    *out = w;
    return EL_OK;
}

void el_dshard_writer_free(el_dshard_writer *w)
{
    if (!w)
        return;
    free(w->index);
    free(w->tokens);
    free(w->ids);
    free(w->lp);
    free(w->tail);
    free(w);
}

void el_dshard_writer_clear(el_dshard_writer *w) { w->n_rec = w->n_tok = w->n_row = 0; }

int64_t el_dshard_writer_records(const el_dshard_writer *w) { return w->n_rec; }
int64_t el_dshard_writer_tokens(const el_dshard_writer *w) { return w->n_tok; }

/* grow *p (elements of size sz) to hold need, doubling */
static bool grow(void **p, int64_t *cap, int64_t need, size_t sz)
{
    if (need <= *cap)
        return true;
    int64_t c = *cap ? *cap : 256;
    while (c < need)
        c *= 2;
    void *n = realloc(*p, (size_t)c * sz);
    if (!n)
        return false;
    *p = n;
    *cap = c;
    return true;
}

int el_dshard_add(el_dshard_writer *w, const el_dshard_rec *r, el_error *err)
{
    if (r->start < 1 || r->start > r->n_tok)
        return EL_FAIL(err, EL_EUSAGE, NULL, -1, "record %lld: scored tokens start at %lld of %lld", (long long)r->id,
                       (long long)r->start, (long long)r->n_tok);
    const int64_t rows = r->n_tok - r->start, k = w->k;
    bool ok = grow((void **)&w->index, &w->cap_rec, w->n_rec + 1, EL_DSHARD_INDEX_COLS * sizeof(int64_t)) &&
              grow((void **)&w->tokens, &w->cap_tok, w->n_tok + r->n_tok, sizeof(int32_t)) &&
              grow((void **)&w->ids, &w->cap_ids, w->n_row + rows, (size_t)k * (w->wide ? 4 : 2)) &&
              grow((void **)&w->lp, &w->cap_lp, w->n_row + rows, (size_t)k * 2) &&
              grow((void **)&w->tail, &w->cap_tail, w->n_row + rows, 2);
    if (!ok)
        return EL_NOMEM(err);
    int64_t *ix = w->index + w->n_rec * EL_DSHARD_INDEX_COLS;
    ix[0] = r->id;
    ix[1] = r->sub;
    ix[2] = w->n_tok;
    ix[3] = r->n_tok;
    ix[4] = r->start;
    ix[5] = w->n_row;
    memcpy(w->tokens + w->n_tok, r->tokens, (size_t)r->n_tok * sizeof(int32_t));
    for (int64_t i = 0; i < rows * k; i++) {
        const int64_t o = w->n_row * k + i;
        if (w->wide)
            memcpy(w->ids + o * 4, &r->topk_ids[i], 4);
        else {
            uint16_t v = (uint16_t)r->topk_ids[i];
            memcpy(w->ids + o * 2, &v, 2);
        }
        w->lp[o] = el_f32_to_f16(r->topk_lp[i]);
    }
    for (int64_t i = 0; i < rows; i++)
        w->tail[w->n_row + i] = el_f32_to_f16(r->tail_lp[i]);
    w->n_rec++;
    w->n_tok += r->n_tok;
    w->n_row += rows;
    return EL_OK;
}

typedef struct {
    const char *name;
    int dtype;
    uint32_t n_dims;
    int64_t shape[2];
    const void *data;
    uint64_t size;
    uint8_t *z;   /* compressed bytes, or NULL: stored as is */
    uint64_t zsize;
} out_tensor;

int el_dshard_write(el_dshard_writer *w, const char *path, el_error *err)
{
    const int64_t k = w->k;
    out_tensor t[5] = {
        {"index", ST_I64, 2, {w->n_rec, EL_DSHARD_INDEX_COLS}, w->index, (uint64_t)w->n_rec * EL_DSHARD_INDEX_COLS * 8, NULL, 0},
        {"input_ids", ST_I32, 1, {w->n_tok, 0}, w->tokens, (uint64_t)w->n_tok * 4, NULL, 0},
        {"topk_ids", w->wide ? ST_I32 : ST_U16, 2, {w->n_row, k}, w->ids, (uint64_t)(w->n_row * k) * (w->wide ? 4 : 2), NULL, 0},
        {"topk_logprobs", ST_F16, 2, {w->n_row, k}, w->lp, (uint64_t)(w->n_row * k) * 2, NULL, 0},
        {"tail_logprob", ST_F16, 1, {w->n_row, 0}, w->tail, (uint64_t)w->n_row * 2, NULL, 0},
    };
    int rc = EL_OK;
    /* zlib where it pays: at least 10% smaller */
    for (size_t i = 0; i < EL_ARRAY_LEN(t) && !rc; i++) {
        if (t[i].size < 256)
            continue;
        uLongf zn = compressBound((uLong)t[i].size);
        uint8_t *z = malloc(zn);
        if (!z) {
            rc = EL_NOMEM(err);
            break;
        }
        if (compress2(z, &zn, t[i].data, (uLong)t[i].size, 6) != Z_OK || (uint64_t)zn * 10 > t[i].size * 9) {
            free(z);
            continue;
        }
        t[i].z = z;
        t[i].zsize = zn;
    }
    st_writer *sw = NULL;
    char buf[64], key[64];
    if (!rc)
        rc = st_writer_open(&sw, path, err);
    if (!rc)
        rc = st_writer_meta(sw, "format", "edgelm.distill.logits", err);
    if (!rc)
        rc = st_writer_meta(sw, "version", "1", err);
    snprintf(buf, sizeof buf, "%d", w->k);
    if (!rc)
        rc = st_writer_meta(sw, "k", buf, err);
    snprintf(buf, sizeof buf, "%d", w->n_vocab);
    if (!rc)
        rc = st_writer_meta(sw, "n_vocab", buf, err);
    snprintf(buf, sizeof buf, "%lld", (long long)w->n_rec);
    if (!rc)
        rc = st_writer_meta(sw, "records", buf, err);
    for (size_t i = 0; i < EL_ARRAY_LEN(t) && !rc; i++) {
        if (!t[i].z) {
            rc = st_writer_add(sw, t[i].name, t[i].dtype, t[i].n_dims, t[i].shape, err);
            continue;
        }
        snprintf(key, sizeof key, "zlib.%s", t[i].name);
        if (t[i].n_dims == 1)
            snprintf(buf, sizeof buf, "%s %lld", st_dtype_name(t[i].dtype), (long long)t[i].shape[0]);
        else
            snprintf(buf, sizeof buf, "%s %lld,%lld", st_dtype_name(t[i].dtype), (long long)t[i].shape[0],
                     (long long)t[i].shape[1]);
        const int64_t zs = (int64_t)t[i].zsize;
        rc = st_writer_meta(sw, key, buf, err);
        if (!rc)
            rc = st_writer_add(sw, t[i].name, ST_U8, 1, &zs, err);
    }
    if (!rc)
        rc = st_writer_begin_data(sw, err);
    for (size_t i = 0; i < EL_ARRAY_LEN(t) && !rc; i++)
        rc = t[i].z ? st_writer_write(sw, t[i].z, t[i].zsize, err) : st_writer_write(sw, t[i].data, t[i].size, err);
    if (!rc) {
        rc = st_writer_finish(sw, err);
        sw = NULL;
    }
    if (sw)
        st_writer_abort(sw);
    for (size_t i = 0; i < EL_ARRAY_LEN(t); i++)
        free(t[i].z);
    if (!rc)
        el_dshard_writer_clear(w);
    return rc;
}

/* ---- reader ---------------------------------------------------------------------------------------- */

struct el_dshard {
    st_file *f;
    int k, n_vocab;
    int64_t n_rec, n_tok, n_row;
    int64_t *index;
    int32_t *tokens, *ids;
    float *lp, *tail;
};

void el_dshard_close(el_dshard *s)
{
    if (!s)
        return;
    st_close(s->f);
    free(s->index);
    free(s->tokens);
    free(s->ids);
    free(s->lp);
    free(s->tail);
    free(s);
}

int64_t el_dshard_records(const el_dshard *s) { return s->n_rec; }
int el_dshard_k(const el_dshard *s) { return s->k; }
int el_dshard_vocab(const el_dshard *s) { return s->n_vocab; }

void el_dshard_get(const el_dshard *s, int64_t i, el_dshard_rec *r)
{
    const int64_t *ix = s->index + i * EL_DSHARD_INDEX_COLS;
    r->id = ix[0];
    r->sub = ix[1];
    r->tokens = s->tokens + ix[2];
    r->n_tok = ix[3];
    r->start = ix[4];
    r->topk_ids = s->ids + ix[5] * s->k;
    r->topk_lp = s->lp + ix[5] * s->k;
    r->tail_lp = s->tail + ix[5];
}

static const char *meta_str(const st_file *f, const char *key)
{
    json_t *v = f->metadata ? json_object_get(f->metadata, key) : NULL;
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool meta_int(const st_file *f, const char *key, int64_t lo, int64_t hi, int64_t *out)
{
    const char *s = meta_str(f, key);
    char *end;
    if (!s || !*s)
        return false;
    long long v = strtoll(s, &end, 10);
    if (*end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/*
 * Tensor `name` as n_dims dims of one of the accepted dtypes, inflated when stored with zlib, into a
 * malloc'd buffer. shape[] receives the dims.
 */
static int load_tensor(const st_file *f, const char *name, const int *dtypes, int n_dtypes, uint32_t n_dims,
                       int64_t *shape, int *dtype, void **out, el_error *err)
{
    *out = NULL;
    const st_tensor *t = NULL;
    for (uint64_t i = 0; i < f->n_tensors; i++)
        if (strcmp(f->tensors[i].name, name) == 0)
            t = &f->tensors[i];
    if (!t)
        return EL_FAIL(err, EL_EFORMAT, f->path, -1, "no tensor %s: not a distill logits shard", name);
    char key[64];
    snprintf(key, sizeof key, "zlib.%s", name);
    const char *z = meta_str(f, key);
    int dt = t->dtype;
    uint32_t nd = t->n_dims;
    int64_t sh[2] = {t->shape[0], t->n_dims > 1 ? t->shape[1] : 0};
    if (z) {
        char dname[16];
        long long a = -1, b = -1;
        int n = sscanf(z, "%15s %lld,%lld", dname, &a, &b);
        dt = st_dtype_from_name(dname);
        nd = n == 3 ? 2 : 1;
        sh[0] = a;
        sh[1] = n == 3 ? b : 0;
        if (n < 2 || dt < 0 || a < 0 || (n == 3 && b < 0) || t->dtype != ST_U8)
            return EL_FAIL(err, EL_EFORMAT, f->path, -1, "%s: bad compression entry \"%s\"", name, z);
    }
    bool dt_ok = false;
    for (int i = 0; i < n_dtypes; i++)
        dt_ok |= dt == dtypes[i];
    if (!dt_ok || nd != n_dims)
        return EL_FAIL(err, EL_EFORMAT, f->path, -1, "tensor %s: unexpected dtype %s or rank %u", name,
                       dt >= 0 ? st_dtype_name(dt) : "?", nd);
    uint64_t bytes;
    const uint64_t stored = (uint64_t)(t->end - t->begin);
    if (!EL_PROD(&bytes, (uint64_t)sh[0], n_dims > 1 ? (uint64_t)sh[1] : 1, st_dtype_size(dt)) || bytes >= SIZE_MAX)
        return EL_FAIL(err, EL_ERANGE, f->path, -1, "tensor %s: its shape's byte size overflows", name);
    /* checked before the allocation: the stored size for plain data; for zlib what deflate can give
     * (at most 1032:1, zlib's own limit) */
    if (!z && stored != bytes)
        return EL_FAIL(err, EL_EFORMAT, f->path, -1, "tensor %s: size mismatch", name);
    if (z && bytes / 1032 > stored + 64)
        return EL_FAIL(err, EL_EFORMAT, f->path, -1, "tensor %s: %llu bytes of zlib data cannot inflate to the %llu its shape says",
                       name, (unsigned long long)stored, (unsigned long long)bytes);
    void *buf = malloc(bytes ? bytes : 1);
    if (!buf)
        return EL_NOMEM(err);
    if (z) {
        uLongf got = (uLongf)bytes;
        if (uncompress(buf, &got, t->data, (uLong)(t->end - t->begin)) != Z_OK || got != bytes) {
            free(buf);
            return EL_FAIL(err, EL_EFORMAT, f->path, -1, "tensor %s: its zlib data does not inflate to %llu bytes", name,
                           (unsigned long long)bytes);
        }
    } else {
        memcpy(buf, t->data, bytes);
    }
    shape[0] = sh[0];
    if (n_dims > 1)
        shape[1] = sh[1];
    *dtype = dt;
    *out = buf;
    return EL_OK;
}

static int check(el_dshard *s, const char *path, el_error *err)
{
    for (int64_t t = 0; t < s->n_tok; t++)
        if (s->tokens[t] < 0 || s->tokens[t] >= s->n_vocab)
            return EL_FAIL(err, EL_EFORMAT, path, -1, "input_ids[%lld] = %d is outside the vocabulary (%d)", (long long)t,
                           s->tokens[t], s->n_vocab);
    for (int64_t i = 0; i < s->n_row * s->k; i++)
        if (s->ids[i] < 0 || s->ids[i] >= s->n_vocab)
            return EL_FAIL(err, EL_EFORMAT, path, -1, "topk_ids holds %d, outside the vocabulary (%d)", s->ids[i], s->n_vocab);
    int64_t tok = 0, row = 0;
    for (int64_t r = 0; r < s->n_rec; r++) {
        const int64_t *ix = s->index + r * EL_DSHARD_INDEX_COLS;
        if (ix[2] != tok || ix[3] < 1 || ix[3] > s->n_tok - tok || ix[4] < 1 || ix[4] > ix[3] || ix[5] != row)
            return EL_FAIL(err, EL_EFORMAT, path, -1, "index row %lld (record %lld) is inconsistent", (long long)r,
                           (long long)ix[0]);
        tok += ix[3];
        row += ix[3] - ix[4];
    }
    if (tok != s->n_tok || row != s->n_row)
        return EL_FAIL(err, EL_EFORMAT, path, -1, "the index covers %lld tokens and %lld rows; the tensors hold %lld and %lld",
                       (long long)tok, (long long)row, (long long)s->n_tok, (long long)s->n_row);
    return EL_OK;
}

int el_dshard_count(const char *path, int64_t *n_records, el_error *err)
{
    *n_records = 0;
    st_file *f = NULL;
    int rc = st_open(&f, path, err);
    const char *fmt = rc ? NULL : meta_str(f, "format");
    if (!rc && (!fmt || strcmp(fmt, "edgelm.distill.logits") != 0 || !meta_int(f, "records", 0, INT64_MAX, n_records)))
        rc = EL_FAIL(err, EL_EFORMAT, path, -1, "not a distill logits shard (its metadata lacks the format or the record count)");
    st_close(f);
    return rc;
}

int el_dshard_open(el_dshard **out, const char *path, el_error *err)
{
    *out = NULL;
    el_dshard *s = calloc(1, sizeof *s);
    if (!s)
        return EL_NOMEM(err);
    int rc = st_open(&s->f, path, err);
    int64_t k = 0, nv = 0;
    const char *fmt = rc ? NULL : meta_str(s->f, "format");
    if (!rc && (!fmt || strcmp(fmt, "edgelm.distill.logits") != 0))
        rc = EL_FAIL(err, EL_EFORMAT, path, -1, "not a distill logits shard (no format \"edgelm.distill.logits\" in its metadata)");
    if (!rc && (!meta_int(s->f, "k", 1, 1 << 16, &k) || !meta_int(s->f, "n_vocab", 1, INT32_MAX, &nv) || k > nv))
        rc = EL_FAIL(err, EL_EFORMAT, path, -1, "missing or bad k / n_vocab in the metadata");
    s->k = (int)k;
    s->n_vocab = (int)nv;
    int64_t sh[2], sh2[2], sh3[2], sh4[2], sh5[1];
    int dt;
    void *ids = NULL, *lp = NULL, *tail = NULL;
    if (!rc)
        rc = load_tensor(s->f, "index", (const int[]){ST_I64}, 1, 2, sh, &dt, (void **)&s->index, err);
    if (!rc && sh[1] != EL_DSHARD_INDEX_COLS)
        rc = EL_FAIL(err, EL_EFORMAT, path, -1, "index has %lld columns, not %d", (long long)sh[1], EL_DSHARD_INDEX_COLS);
    s->n_rec = rc ? 0 : sh[0];
    if (!rc)
        rc = load_tensor(s->f, "input_ids", (const int[]){ST_I32}, 1, 1, sh2, &dt, (void **)&s->tokens, err);
    s->n_tok = rc ? 0 : sh2[0];
    int ids_dt = 0;
    if (!rc)
        rc = load_tensor(s->f, "topk_ids", (const int[]){ST_U16, ST_I32}, 2, 2, sh3, &ids_dt, &ids, err);
    if (!rc)
        rc = load_tensor(s->f, "topk_logprobs", (const int[]){ST_F16}, 1, 2, sh4, &dt, &lp, err);
    if (!rc)
        rc = load_tensor(s->f, "tail_logprob", (const int[]){ST_F16}, 1, 1, sh5, &dt, &tail, err);
    if (!rc && (sh3[1] != k || sh4[1] != k || sh3[0] != sh4[0] || sh5[0] != sh3[0]))
        rc = EL_FAIL(err, EL_EFORMAT, path, -1, "top-k tensors disagree on their shapes (k = %lld)", (long long)k);
    if (!rc) {
        s->n_row = sh3[0];
        size_t n = (size_t)(s->n_row * k);
        s->ids = malloc((n ? n : 1) * sizeof(int32_t));
        s->lp = malloc((n ? n : 1) * sizeof(float));
        s->tail = malloc((size_t)(s->n_row ? s->n_row : 1) * sizeof(float));
        if (!s->ids || !s->lp || !s->tail)
            rc = EL_NOMEM(err);
        for (size_t i = 0; i < n && !rc; i++) {
            if (ids_dt == ST_U16) {
                uint16_t v;
                memcpy(&v, (const uint8_t *)ids + 2 * i, 2);
                s->ids[i] = v;
            } else {
                memcpy(&s->ids[i], (const uint8_t *)ids + 4 * i, 4);
            }
            s->lp[i] = el_f16_to_f32(((const uint16_t *)lp)[i]);
        }
        for (int64_t i = 0; i < s->n_row && !rc; i++)
            s->tail[i] = el_f16_to_f32(((const uint16_t *)tail)[i]);
    }
    free(ids);
    free(lp);
    free(tail);
    int64_t n_meta = -1;
    if (!rc && (!meta_int(s->f, "records", 0, INT64_MAX, &n_meta) || n_meta != s->n_rec))
        rc = EL_FAIL(err, EL_EFORMAT, path, -1, "the metadata counts %lld records; the index holds %lld", (long long)n_meta,
                     (long long)s->n_rec);
    if (!rc)
        rc = check(s, path, err);
    if (rc) {
        el_dshard_close(s);
        return rc;
    }
    *out = s;
    return EL_OK;
}
