/*
 * quant/hessian.c - input second moments and their files (see hessian.h).
 */
#include "quant/hessian.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/ggml_type.h"

/* the largest n accepted: n^2 floats must be addressable and the file's tensor sizes sane */
#define EL_HESSIAN_MAX_N 65536

void el_hessian_free(el_hessian *h)
{
    for (int i = 0; i < h->n_in; i++) {
        free(h->in[i].name);
        free(h->in[i].sum);
    }
    for (int i = 0; i < h->n_m; i++)
        free(h->m[i].name);
    free(h->in);
    free(h->m);
    gguf_close(h->g);
    memset(h, 0, sizeof *h);
}

static bool grow(void **p, int *cap, int n, size_t size)
{
    if (n < *cap)
        return true;
    const int c = *cap ? 2 * *cap : 64;
    void *q = realloc(*p, (size_t)c * size);
    if (!q)
        return false;
    *p = q;
    *cap = c;
    return true;
}

el_hessian_matrix *el_hessian_add_matrix(el_hessian *h, const char *name)
{
    if (!grow((void **)&h->m, &h->cap_m, h->n_m, sizeof *h->m))
        return NULL;
    el_hessian_matrix *m = &h->m[h->n_m];
    if (!(m->name = strdup(name)))
        return NULL;
    m->input = -1;
    h->n_m++;
    return m;
}

int el_hessian_add_input(el_hessian *h, const char *name, int64_t n)
{
    if (n < 1 || n > EL_HESSIAN_MAX_N || !grow((void **)&h->in, &h->cap_in, h->n_in, sizeof *h->in))
        return -1;
    el_hessian_input *in = &h->in[h->n_in];
    memset(in, 0, sizeof *in);
    in->n = n;
    in->name = strdup(name);
    in->sum = calloc((size_t)n * (size_t)n, sizeof *in->sum);
    if (!in->name || !in->sum) {
        free(in->name);
        free(in->sum);
        return -1;
    }
    return h->n_in++;
}

int el_hessian_find_matrix(const el_hessian *h, const char *matrix)
{
    for (int i = 0; h && i < h->n_m; i++)
        if (strcmp(h->m[i].name, matrix) == 0)
            return i;
    return -1;
}

const el_hessian_input *el_hessian_find(const el_hessian *h, const char *matrix)
{
    const int i = el_hessian_find_matrix(h, matrix);
    return i < 0 || h->m[i].input < 0 ? NULL : &h->in[h->m[i].input];
}

/* ---- collecting: quant/xtx.c's kernel for this CPU ---------------------------------------------------- */

void el_xtx_accumulate_base(float *sum, int64_t n, const float *x, int ldx, int T, int ith, int nth);
#if defined(__x86_64__)
void el_xtx_accumulate_avx512(float *sum, int64_t n, const float *x, int ldx, int T, int ith, int nth);
#endif

void el_xtx_accumulate(float *sum, int64_t n, const float *x, int ldx, int T, int ith, int nth)
{
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx512f")) {
        el_xtx_accumulate_avx512(sum, n, x, ldx, T, ith, nth);
        return;
    }
#endif
    el_xtx_accumulate_base(sum, n, x, ldx, T, ith, nth);
}

/* ---- files -------------------------------------------------------------------------------------------- */

int el_hessian_save(el_hessian *h, const char *path, el_error *err)
{
    /* the matrices whose input was seen, and their inputs' names */
    const char **mn = calloc((size_t)(h->n_m + 1), sizeof *mn), **inn = calloc((size_t)(h->n_m + 1), sizeof *inn);
    int k = 0;
    if (!mn || !inn) {
        free(mn);
        free(inn);
        return EL_NOMEM(err);
    }
    for (int i = 0; i < h->n_m; i++)
        if (h->m[i].input >= 0) {
            mn[k] = h->m[i].name;
            inn[k++] = h->in[h->m[i].input].name;
        }
    gguf_writer *w = NULL;
    int rc = gguf_writer_open(&w, path, err);
    if (!rc)
        rc = gguf_add_str(w, "general.type", "hessian", err);
    if (!rc)
        rc = gguf_add_u32(w, "hessian.chunk_count", (uint32_t)h->chunks, err);
    if (!rc)
        rc = gguf_add_u32(w, "hessian.chunk_size", (uint32_t)h->chunk_size, err);
    const char *ds = h->dataset;
    if (!rc)
        rc = gguf_add_str_arr(w, "hessian.datasets", &ds, 1, err);
    if (!rc)
        rc = gguf_add_str_arr(w, "hessian.matrices", mn, (uint64_t)k, err);
    if (!rc)
        rc = gguf_add_str_arr(w, "hessian.inputs", inn, (uint64_t)k, err);
    free(mn);
    free(inn);
    char name[GGUF_MAX_NAME + 16];
    for (int i = 0; i < h->n_in && !rc; i++) {
        const int64_t ne[2] = {h->in[i].n, h->in[i].n}, one[2] = {1, 1};
        snprintf(name, sizeof name, "%s.xtx", h->in[i].name);
        rc = gguf_add_tensor(w, name, EL_TYPE_F32, 2, ne, err);
        snprintf(name, sizeof name, "%s.counts", h->in[i].name);
        if (!rc)
            rc = gguf_add_tensor(w, name, EL_TYPE_F32, 2, one, err);
    }
    if (!rc)
        rc = gguf_writer_begin_data(w, err);
    for (int i = 0; i < h->n_in && !rc; i++) {
        el_hessian_input *in = &h->in[i];
        const size_t n = (size_t)in->n;
        const float inv = in->count > 0 ? (float)(1.0 / in->count) : 0.0f;
        /* the mean, the upper triangle mirrored, one row at a time into the row's own slot */
        for (size_t r = 0; r < n; r++) {
            float *row = in->sum + r * n;
            for (size_t c = 0; c < r; c++)
                row[c] = in->sum[c * n + r]; /* already scaled: rows above were done */
            for (size_t c = r; c < n; c++)
                row[c] *= inv;
        }
        rc = gguf_writer_write(w, in->sum, 4 * n * n, err);
        const float c = (float)in->count;
        if (!rc)
            rc = gguf_writer_write(w, &c, 4, err);
    }
    if (rc) {
        gguf_writer_abort(w);
        return rc;
    }
    return gguf_writer_finish(w, err);
}

static bool str_is(gguf_str s, const char *z) { return s.len == strlen(z) && memcmp(s.ptr, z, s.len) == 0; }

int el_hessian_load(el_hessian *h, const char *path, el_error *err)
{
    memset(h, 0, sizeof *h);
    int rc = gguf_open(&h->g, path, err);
    if (rc)
        return rc;
    const gguf_file *g = h->g;
    gguf_str s;
    const gguf_array *ma = NULL, *ia = NULL;
    if (gguf_get_str(g, "general.type", &s) != 1 || !str_is(s, "hessian")) {
        rc = EL_FAIL(err, EL_EFORMAT, path, -1, "not a hessian file (general.type is not \"hessian\"; make one with `edgelm imatrix --hessian`)");
        goto done;
    }
    if (gguf_get_arr(g, "hessian.matrices", &ma) != 1 || gguf_get_arr(g, "hessian.inputs", &ia) != 1 ||
        ma->type != GGUF_TYPE_STRING || ia->type != GGUF_TYPE_STRING || ma->n != ia->n || ma->n == 0 || ma->n > INT32_MAX) {
        rc = EL_FAIL(err, EL_EFORMAT, path, -1, "hessian.matrices and hessian.inputs must be string arrays of one non-zero length");
        goto done;
    }
    uint32_t u;
    if (gguf_get_u32(g, "hessian.chunk_count", &u) == 1)
        h->chunks = (int)(u > INT32_MAX ? INT32_MAX : u);
    if (gguf_get_u32(g, "hessian.chunk_size", &u) == 1)
        h->chunk_size = (int)(u > INT32_MAX ? INT32_MAX : u);
    char name[GGUF_MAX_NAME + 16];
    for (uint64_t i = 0; i < ma->n && !rc; i++) {
        const gguf_str mname = ma->strs[i], iname = ia->strs[i];
        if (mname.len == 0 || mname.len >= GGUF_MAX_NAME || iname.len == 0 || iname.len >= GGUF_MAX_NAME) {
            rc = EL_FAIL(err, EL_EFORMAT, path, -1, "hessian entry %llu has an empty or over-long name", (unsigned long long)i);
            break;
        }
        /* the input, added the first time a matrix names it */
        snprintf(name, sizeof name, "%.*s", (int)iname.len, iname.ptr);
        int k = -1;
        for (int j = 0; j < h->n_in && k < 0; j++)
            if (strcmp(h->in[j].name, name) == 0)
                k = j;
        if (k < 0) {
            char tname[GGUF_MAX_NAME + 32];
            snprintf(tname, sizeof tname, "%s.xtx", name);
            const gguf_tensor *t = gguf_find_tensor(g, tname);
            snprintf(tname, sizeof tname, "%s.counts", name);
            const gguf_tensor *c = gguf_find_tensor(g, tname);
            if (!t || t->type != EL_TYPE_F32 || t->n_dims != 2 || t->ne[0] < 1 || t->ne[0] > EL_HESSIAN_MAX_N ||
                t->ne[1] != t->ne[0] || ((uintptr_t)t->data & 3) || !c || c->type != EL_TYPE_F32 || c->n_elements != 1) {
                rc = EL_FAIL(err, EL_EFORMAT, path, -1, "hessian input '%s' is not an F32 n x n tensor '%s.xtx' (n <= %d) with an F32 count",
                             name, name, EL_HESSIAN_MAX_N);
                break;
            }
            float cnt;
            memcpy(&cnt, c->data, 4);
            if (!isfinite(cnt) || cnt < 0) {
                rc = EL_FAIL(err, EL_ERANGE, path, (int64_t)(c->data - g->map.data),
                             "hessian input '%s' has count %g; it must be a finite number >= 0", name, cnt);
                break;
            }
            /* every value finite and the diagonal >= 0: the factorization relies on both */
            const float *v = (const float *)(const void *)t->data;
            const int64_t n = t->ne[0];
            for (uint64_t e = 0; e < t->n_elements && !rc; e++)
                if (!isfinite(v[e]) || (e % (uint64_t)(n + 1) == 0 && v[e] < 0))
                    rc = EL_FAIL(err, EL_ERANGE, path, (int64_t)(t->data - g->map.data) + (int64_t)(4 * e),
                                 "hessian input '%s' has %g at [%lld, %lld]; values must be finite and the diagonal >= 0", name,
                                 v[e], (long long)(e / (uint64_t)n), (long long)(e % (uint64_t)n));
            if (rc)
                break;
            if (!grow((void **)&h->in, &h->cap_in, h->n_in, sizeof *h->in) || !(h->in[h->n_in].name = strdup(name))) {
                rc = EL_NOMEM(err);
                break;
            }
            el_hessian_input *in = &h->in[h->n_in];
            in->n = n;
            in->sum = NULL;
            in->mean = v;
            in->count = cnt;
            k = h->n_in++;
        }
        snprintf(name, sizeof name, "%.*s", (int)mname.len, mname.ptr);
        if (el_hessian_find_matrix(h, name) >= 0) {
            rc = EL_FAIL(err, EL_EFORMAT, path, -1, "hessian.matrices names '%s' twice", name);
            break;
        }
        el_hessian_matrix *m = el_hessian_add_matrix(h, name);
        if (!m) {
            rc = EL_NOMEM(err);
            break;
        }
        m->input = k;
    }
done:
    if (rc)
        el_hessian_free(h);
    else
        snprintf(h->source, sizeof h->source, "%s", path);
    return rc;
}

int el_hessian_to_imatrix(const el_hessian *h, el_imatrix *m, el_error *err)
{
    memset(m, 0, sizeof *m);
    for (int i = 0; i < h->n_m; i++) {
        const el_hessian_input *in = &h->in[h->m[i].input];
        el_imatrix_entry *e = el_imatrix_add(m, h->m[i].name, in->n);
        if (!e) {
            el_imatrix_free(m);
            return EL_NOMEM(err);
        }
        for (int64_t j = 0; j < in->n; j++)
            e->sum2[j] = (double)in->mean[(size_t)j * (size_t)in->n + (size_t)j] * in->count;
        e->count = in->count;
    }
    m->chunks = h->chunks;
    m->chunk_size = h->chunk_size;
    snprintf(m->source, sizeof m->source, "%s", h->source);
    const int rc = el_imatrix_finish(m, err);
    if (rc)
        el_imatrix_free(m);
    return rc;
}
