/*
 * quant/imatrix.c - importance matrix files (see imatrix.h).
 */
#include "quant/imatrix.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/atomic.h"
#include "core/file.h"
#include "formats/ggml_type.h"
#include "formats/gguf.h"

void el_imatrix_free(el_imatrix *m)
{
    for (int i = 0; i < m->n; i++) {
        free(m->e[i].name);
        free(m->e[i].sum2);
        free(m->e[i].mean);
    }
    free(m->e);
    memset(m, 0, sizeof *m);
}

const el_imatrix_entry *el_imatrix_find(const el_imatrix *m, const char *name)
{
    for (int i = 0; m && i < m->n; i++)
        if (strcmp(m->e[i].name, name) == 0)
            return &m->e[i];
    return NULL;
}

el_imatrix_entry *el_imatrix_add(el_imatrix *m, const char *name, int64_t n)
{
    if (m->n == m->cap) {
        int cap = m->cap ? 2 * m->cap : 64;
        el_imatrix_entry *e = realloc(m->e, (size_t)cap * sizeof *e);
        if (!e)
            return NULL;
        m->e = e;
        m->cap = cap;
    }
    el_imatrix_entry *e = &m->e[m->n];
    memset(e, 0, sizeof *e);
    e->name = strdup(name);
    e->n = n;
    e->sum2 = calloc((size_t)n, sizeof *e->sum2);
    if (!e->name || !e->sum2) {
        free(e->name);
        free(e->sum2);
        return NULL;
    }
    m->n++;
    return e;
}

int el_imatrix_finish(el_imatrix *m, el_error *err)
{
    for (int i = 0; i < m->n; i++) {
        el_imatrix_entry *e = &m->e[i];
        free(e->mean);
        e->mean = malloc((size_t)e->n * sizeof *e->mean);
        if (!e->mean)
            return EL_NOMEM(err);
        for (int64_t j = 0; j < e->n; j++) {
            const double v = e->count > 0 ? e->sum2[j] / e->count : e->sum2[j];
            if (!isfinite(v) || v < 0)
                return EL_FAIL(err, EL_EFORMAT, NULL, -1, "imatrix entry '%s' has a value that is not a finite non-negative number",
                               e->name);
            e->mean[j] = (float)v;
        }
    }
    return EL_OK;
}

/* ---- llama.cpp's legacy .dat --------------------------------------------------------------------------- */

typedef struct {
    const uint8_t *p;
    uint64_t size, off;
    const char *path;
} rd_t;

static int rd_i32(rd_t *r, int32_t *v, const char *what, el_error *err)
{
    if (r->size - r->off < 4)
        return EL_FAIL(err, EL_ETRUNC, r->path, (int64_t)r->off, "file ends inside %s", what);
    memcpy(v, r->p + r->off, 4);
    r->off += 4;
    return EL_OK;
}

static int load_dat(el_imatrix *m, const uint8_t *p, uint64_t size, const char *path, el_error *err)
{
    rd_t r = {p, size, 0, path};
    int32_t n_entries = 0;
    int rc = rd_i32(&r, &n_entries, "the entry count", err);
    if (rc)
        return rc;
    if (n_entries < 1 || (uint64_t)n_entries > size / 12)
        return EL_FAIL(err, EL_EFORMAT, path, 0, "entry count %d is not plausible for a %llu-byte imatrix file", n_entries,
                       (unsigned long long)size);
    for (int32_t i = 0; i < n_entries; i++) {
        int32_t len = 0, ncall = 0, nval = 0;
        const uint64_t at = r.off;
        if ((rc = rd_i32(&r, &len, "an entry's name length", err)))
            return rc;
        if (len < 1 || len > 255 || r.size - r.off < (uint64_t)len)
            return EL_FAIL(err, EL_EFORMAT, path, (int64_t)at, "entry %d has a bad name length %d", i, len);
        char name[256];
        memcpy(name, r.p + r.off, (size_t)len);
        name[len] = 0;
        if (strlen(name) != (size_t)len) /* a NUL would cut the name: a file edgelm could not write back */
            return EL_FAIL(err, EL_EFORMAT, path, (int64_t)at, "entry %d's name holds a NUL byte", i);
        r.off += (uint64_t)len;
        if ((rc = rd_i32(&r, &ncall, "an entry's call count", err)) || (rc = rd_i32(&r, &nval, "an entry's value count", err)))
            return rc;
        if (ncall < 0 || nval < 1 || (uint64_t)nval > (r.size - r.off) / 4)
            return EL_FAIL(err, EL_EFORMAT, path, (int64_t)at, "entry '%s' has %d values and %d calls, which the file cannot hold",
                           name, nval, ncall);
        if (el_imatrix_find(m, name))
            return EL_FAIL(err, EL_EDUP, path, (int64_t)at, "entry '%s' appears twice", name);
        el_imatrix_entry *e = el_imatrix_add(m, name, nval);
        if (!e)
            return EL_NOMEM(err);
        for (int32_t j = 0; j < nval; j++) {
            float v;
            memcpy(&v, r.p + r.off + 4 * (uint64_t)j, 4);
            e->sum2[j] = v; /* stored as mean x ncall: the sum over ncall calls, each a mean */
        }
        r.off += 4 * (uint64_t)nval;
        e->count = ncall;
    }
    if (r.size - r.off >= 8) {
        int32_t chunks = 0, len = 0;
        rd_i32(&r, &chunks, "", err);
        rd_i32(&r, &len, "", err);
        m->chunks = chunks;
        if (len > 0 && (uint64_t)len <= r.size - r.off) {
            size_t k = (size_t)len < sizeof m->dataset - 1 ? (size_t)len : sizeof m->dataset - 1;
            memcpy(m->dataset, r.p + r.off, k);
            m->dataset[k] = 0;
        }
    }
    return EL_OK;
}

static int save_dat(const el_imatrix *m, const char *path, el_error *err)
{
    el_out *o = NULL;
    int rc = el_out_open(&o, path, err);
    if (rc)
        return rc;
    int32_t n = m->n;
    rc = el_out_write(o, &n, 4, err);
    for (int i = 0; i < m->n && !rc; i++) {
        const el_imatrix_entry *e = &m->e[i];
        /* ncall = the row count, values = sum of squares: llama-quantize divides one by the other */
        if (!(e->count <= INT32_MAX) || e->n > INT32_MAX) { /* .dat holds int32 counts (a GGUF's are floats) */
            rc = EL_FAIL(err, EL_ERANGE, path, -1, "imatrix entry '%s': count %g does not fit a .dat file", e->name,
                         (double)e->count);
            break;
        }
        int32_t len = (int32_t)strlen(e->name), ncall = (int32_t)(e->count > 0 ? e->count : 1), nval = (int32_t)e->n;
        rc = el_out_write(o, &len, 4, err);
        if (!rc)
            rc = el_out_write(o, e->name, (uint64_t)len, err);
        if (!rc)
            rc = el_out_write(o, &ncall, 4, err);
        if (!rc)
            rc = el_out_write(o, &nval, 4, err);
        for (int64_t j = 0; j < e->n && !rc; j++) {
            float v = (float)(e->count > 0 ? e->sum2[j] / e->count * ncall : e->sum2[j]);
            rc = el_out_write(o, &v, 4, err);
        }
    }
    if (!rc) {
        int32_t chunks = m->chunks, len = (int32_t)strlen(m->dataset);
        rc = el_out_write(o, &chunks, 4, err);
        if (!rc)
            rc = el_out_write(o, &len, 4, err);
        if (!rc)
            rc = el_out_write(o, m->dataset, (uint64_t)len, err);
    }
    if (rc) {
        el_out_abort(o);
        return rc;
    }
    return el_out_commit(o, err);
}

/* ---- GGUF ------------------------------------------------------------------------------------------------ */

static bool suffix(const char *s, const char *suf, size_t *stem)
{
    size_t n = strlen(s), m = strlen(suf);
    if (n <= m || strcmp(s + n - m, suf) != 0)
        return false;
    *stem = n - m;
    return true;
}

static int load_gguf(el_imatrix *m, const char *path, el_error *err)
{
    gguf_file *g = NULL;
    int rc = gguf_open(&g, path, err);
    if (rc)
        return rc;
    gguf_str s;
    if (gguf_get_str(g, "general.type", &s) != 1 || s.len != 7 || memcmp(s.ptr, "imatrix", 7) != 0) {
        gguf_close(g);
        return EL_FAIL(err, EL_EFORMAT, path, -1, "not an imatrix file (general.type is not \"imatrix\")");
    }
    uint32_t u;
    if (gguf_get_u32(g, "imatrix.chunk_count", &u) == 1)
        m->chunks = (int)u;
    if (gguf_get_u32(g, "imatrix.chunk_size", &u) == 1)
        m->chunk_size = (int)u;
    for (uint64_t i = 0; i < g->n_tensors && !rc; i++) {
        const gguf_tensor *t = &g->tensors[i];
        size_t stem;
        if (!suffix(t->name, ".in_sum2", &stem))
            continue;
        char name[GGUF_MAX_NAME], cname[GGUF_MAX_NAME + 8];
        memcpy(name, t->name, stem);
        name[stem] = 0;
        snprintf(cname, sizeof cname, "%s.counts", name);
        const gguf_tensor *c = gguf_find_tensor(g, cname);
        if (t->type != EL_TYPE_F32 || t->n_dims > 2 || t->ne[1] != 1 || t->ne[0] < 1 || !c || c->type != EL_TYPE_F32 ||
            c->n_elements != 1) {
            rc = EL_FAIL(err, EL_EFORMAT, path, -1, "imatrix entry '%s' is not one F32 row with an F32 count", name);
            break;
        }
        el_imatrix_entry *e = el_imatrix_add(m, name, t->ne[0]);
        if (!e) {
            rc = EL_NOMEM(err);
            break;
        }
        for (int64_t j = 0; j < t->ne[0]; j++) {
            float v;
            memcpy(&v, t->data + 4 * j, 4);
            e->sum2[j] = v;
        }
        float cnt;
        memcpy(&cnt, c->data, 4);
        if (!isfinite(cnt) || cnt < 0) { /* NaN or negative: the weights would silently be the raw sums */
            rc = EL_FAIL(err, EL_ERANGE, path, (int64_t)(c->data - g->map.data), "imatrix entry '%s' has count %g; it must be a finite number >= 0",
                         name, cnt);
            break;
        }
        e->count = cnt;
    }
    gguf_close(g);
    if (!rc && m->n == 0)
        rc = EL_FAIL(err, EL_EFORMAT, path, -1, "the imatrix file has no entries");
    return rc;
}

static int save_gguf(const el_imatrix *m, const char *path, el_error *err)
{
    gguf_writer *w = NULL;
    int rc = gguf_writer_open(&w, path, err);
    if (rc)
        return rc;
    rc = gguf_add_str(w, "general.type", "imatrix", err);
    if (!rc)
        rc = gguf_add_u32(w, "imatrix.chunk_count", (uint32_t)m->chunks, err);
    if (!rc)
        rc = gguf_add_u32(w, "imatrix.chunk_size", (uint32_t)m->chunk_size, err);
    const char *ds = m->dataset;
    if (!rc)
        rc = gguf_add_str_arr(w, "imatrix.datasets", &ds, 1, err);
    char name[GGUF_MAX_NAME + 16];
    for (int i = 0; i < m->n && !rc; i++) {
        const int64_t ne[2] = {m->e[i].n, 1}, one[2] = {1, 1};
        snprintf(name, sizeof name, "%s.in_sum2", m->e[i].name);
        rc = gguf_add_tensor(w, name, EL_TYPE_F32, 2, ne, err);
        snprintf(name, sizeof name, "%s.counts", m->e[i].name);
        if (!rc)
            rc = gguf_add_tensor(w, name, EL_TYPE_F32, 2, one, err);
    }
    if (!rc)
        rc = gguf_writer_begin_data(w, err);
    for (int i = 0; i < m->n && !rc; i++) {
        for (int64_t j = 0; j < m->e[i].n && !rc; j++) {
            float v = (float)m->e[i].sum2[j];
            rc = gguf_writer_write(w, &v, 4, err);
        }
        float c = (float)m->e[i].count;
        if (!rc)
            rc = gguf_writer_write(w, &c, 4, err);
    }
    if (rc) {
        gguf_writer_abort(w);
        return rc;
    }
    return gguf_writer_finish(w, err);
}

int el_imatrix_load(el_imatrix *m, const char *path, el_error *err)
{
    memset(m, 0, sizeof *m);
    el_map map;
    int rc = el_map_open(&map, path, err);
    if (rc)
        return rc;
    const bool is_gguf = map.size >= 4 && memcmp(map.data, "GGUF", 4) == 0;
    if (!is_gguf)
        rc = load_dat(m, map.data, map.size, path, err);
    el_map_close(&map);
    if (is_gguf)
        rc = load_gguf(m, path, err);
    if (!rc)
        rc = el_imatrix_finish(m, err);
    if (rc)
        el_imatrix_free(m);
    else
        snprintf(m->source, sizeof m->source, "%s", path);
    return rc;
}

int el_imatrix_save(const el_imatrix *m, const char *path, el_error *err)
{
    size_t n = strlen(path);
    if (n > 4 && strcmp(path + n - 4, ".dat") == 0)
        return save_dat(m, path, err);
    return save_gguf(m, path, err);
}
