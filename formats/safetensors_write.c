/*
 * formats/safetensors_write.c - streaming safetensors writer.
 *
 * Tensors are declared first (name, dtype, shape); begin_data writes the
 * header - tensors in declaration order, packed back to back, "__metadata__"
 * first, padded with spaces to a multiple of 8 bytes as the reference
 * implementation does - then data streams in the same order. Same calls, same
 * bytes; the file appears at its path only when complete (core/atomic.h).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/atomic.h"
#include "core/json.h"
#include "core/strmap.h"
#include "core/utf8.h"
#include "core/util.h"
#include "formats/safetensors.h"

typedef struct wt {
    char *name;
    int dtype;
    uint32_t n_dims;
    int64_t shape[ST_MAX_DIMS];
    uint64_t size;
} wt;

struct st_writer {
    el_out *out;
    char *path;
    json_t *meta;        /* "__metadata__" or NULL */
    wt *t;
    uint64_t n, cap;
    el_strmap names;
    int state;           /* 0 declaring, 1 data, 2 failed */
    uint64_t cur, cur_done;
};

int st_writer_open(st_writer **out, const char *path, el_error *err)
{
    *out = NULL;
    st_writer *w = calloc(1, sizeof *w);
    if (!w)
        return EL_NOMEM(err);
    w->path = strdup(path);
    if (!w->path || !el_strmap_init(&w->names, 256)) {
        st_writer_abort(w);
        return EL_NOMEM(err);
    }
    int rc = el_out_open(&w->out, path, err);
    if (rc) {
        st_writer_abort(w);
        return rc;
    }
    *out = w;
    return EL_OK;
}

/* Checked apart from jansson, whose NULL means invalid UTF-8 or no memory alike. */
static bool valid_utf8(const char *s)
{
    const size_t n = strlen(s);
    for (size_t i = 0, l; i < n; i += l)
        if (!(l = el_utf8_len((const unsigned char *)s + i, n - i)))
            return false;
    return true;
}

int st_writer_meta(st_writer *w, const char *key, const char *value, el_error *err)
{
    if (w->state != 0)
        return EL_FAIL(err, EL_EINTERNAL, w->path, -1, "safetensors writer: metadata after data started");
    if (!w->meta && !(w->meta = json_object()))
        return EL_NOMEM(err);
    if (!valid_utf8(value))
        return EL_FAIL(err, EL_EFORMAT, w->path, -1, "metadata value for '%s' is not valid UTF-8", key);
    json_t *v = json_string(value);
    if (!v)
        return EL_NOMEM(err);
    if (json_object_set_new(w->meta, key, v) != 0)
        return EL_NOMEM(err);
    return EL_OK;
}

int st_writer_add(st_writer *w, const char *name, int dtype, uint32_t n_dims, const int64_t *shape,
                  el_error *err)
{
    if (w->state != 0)
        return EL_FAIL(err, EL_EINTERNAL, w->path, -1, "safetensors writer: tensor added after data started");
    if (st_dtype_size(dtype) == 0)
        return EL_FAIL(err, EL_EINTERNAL, w->path, -1, "tensor '%s': invalid dtype", name);
    if (n_dims > ST_MAX_DIMS)
        return EL_FAIL(err, EL_EFORMAT, w->path, -1, "tensor '%s': too many dimensions", name);
    if (strcmp(name, "__metadata__") == 0 || name[0] == '\0')
        return EL_FAIL(err, EL_EFORMAT, w->path, -1, "invalid tensor name '%s'", name);
    if (el_strmap_get(&w->names, name, strlen(name)) >= 0)
        return EL_FAIL(err, EL_EDUP, w->path, -1, "duplicate tensor name '%s'", name);
    wt t = {0};
    t.dtype = dtype;
    t.n_dims = n_dims;
    uint64_t nel = 1;
    for (uint32_t d = 0; d < n_dims; d++) {
        if (shape[d] < 0 || !el_mul64(nel, (uint64_t)shape[d], &nel))
            return EL_FAIL(err, EL_ERANGE, w->path, -1, "tensor '%s': invalid shape", name);
        t.shape[d] = shape[d];
    }
    if (!el_mul64(nel, st_dtype_size(dtype), &t.size))
        return EL_FAIL(err, EL_ERANGE, w->path, -1, "tensor '%s': size overflows", name);
    if (w->n == w->cap) {
        uint64_t cap = w->cap ? w->cap * 2 : 256;
        wt *nt = realloc(w->t, (size_t)cap * sizeof *nt);
        if (!nt)
            return EL_NOMEM(err);
        w->t = nt;
        w->cap = cap;
    }
    t.name = strdup(name);
    if (!t.name)
        return EL_NOMEM(err);
    if (el_strmap_put(&w->names, t.name, strlen(t.name), (int64_t)w->n, NULL) < 0) {
        free(t.name);
        return EL_NOMEM(err);
    }
    w->t[w->n++] = t;
    return EL_OK;
}

int st_writer_begin_data(st_writer *w, el_error *err)
{
    if (w->state != 0)
        return EL_FAIL(err, EL_EINTERNAL, w->path, -1, "safetensors writer: begin_data twice");
    json_t *root = json_object();
    if (!root)
        return EL_NOMEM(err);
    int rc = EL_OK;
    if (w->meta && json_object_set(root, "__metadata__", w->meta) != 0)
        rc = EL_NOMEM(err);
    uint64_t off = 0;
    for (uint64_t i = 0; i < w->n && !rc; i++) {
        json_t *shape = json_array();
        json_t *e = json_object();
        json_t *offs = json_array();
        if (!shape || !e || !offs) {
            json_decref(shape);
            json_decref(e);
            json_decref(offs);
            rc = EL_NOMEM(err);
            break;
        }
        /* every step checked: a member lost to a failed allocation would be a shard without a shape */
        int bad = 0;
        for (uint32_t d = 0; d < w->t[i].n_dims; d++)
            bad |= json_array_append_new(shape, json_integer(w->t[i].shape[d]));
        bad |= json_array_append_new(offs, json_integer((json_int_t)off));
        bad |= json_array_append_new(offs, json_integer((json_int_t)(off + w->t[i].size)));
        off += w->t[i].size;
        bad |= json_object_set_new(e, "dtype", json_string(st_dtype_name(w->t[i].dtype)));
        bad |= json_object_set_new(e, "shape", shape);
        bad |= json_object_set_new(e, "data_offsets", offs);
        if (bad) {
            json_decref(e);
            rc = EL_NOMEM(err);
            break;
        }
        if (!valid_utf8(w->t[i].name)) {
            json_decref(e);
            rc = EL_FAIL(err, EL_EFORMAT, w->path, -1, "tensor name is not valid UTF-8");
            break;
        }
        if (json_object_set_new(root, w->t[i].name, e) != 0)
            rc = EL_NOMEM(err);
    }
    char *text = rc ? NULL : el_json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!rc && !text)
        rc = EL_NOMEM(err);
    if (!rc) {
        size_t len = strlen(text);
        size_t padded = (len + 7) & ~(size_t)7;
        uint8_t hdr[8];
        el_wr64(hdr, padded);
        rc = el_out_write(w->out, hdr, 8, err);
        if (!rc)
            rc = el_out_write(w->out, text, len, err);
        for (size_t i = len; i < padded && !rc; i++)
            rc = el_out_write(w->out, " ", 1, err);
    }
    free(text);
    w->state = rc ? 2 : 1;
    return rc;
}

int st_writer_write(st_writer *w, const void *data, uint64_t n, el_error *err)
{
    if (w->state != 1)
        return EL_FAIL(err, EL_EINTERNAL, w->path, -1, "safetensors writer: data outside the data phase");
    const uint8_t *p = data;
    while (n > 0) {
        while (w->cur < w->n && w->cur_done == w->t[w->cur].size) {
            w->cur++;
            w->cur_done = 0;
        }
        if (w->cur >= w->n) {
            w->state = 2;
            return EL_FAIL(err, EL_EINTERNAL, w->path, -1, "safetensors writer: more data than declared");
        }
        uint64_t take = EL_MIN(n, w->t[w->cur].size - w->cur_done);
        int rc = el_out_write(w->out, p, take, err);
        if (rc) {
            w->state = 2;
            return rc;
        }
        p += take;
        n -= take;
        w->cur_done += take;
    }
    return EL_OK;
}

static void free_writer(st_writer *w)
{
    for (uint64_t i = 0; i < w->n; i++)
        free(w->t[i].name);
    free(w->t);
    el_strmap_free(&w->names);
    json_decref(w->meta);
    free(w->path);
    free(w);
}

int st_writer_finish(st_writer *w, el_error *err)
{
    int rc = EL_OK;
    if (w->state == 0)
        rc = st_writer_begin_data(w, err);
    if (!rc && w->state != 1)
        rc = EL_FAIL(err, EL_EINTERNAL, w->path, -1, "safetensors writer: finishing after a failure");
    while (!rc && w->cur < w->n && w->cur_done == w->t[w->cur].size) {
        w->cur++;
        w->cur_done = 0;
    }
    if (!rc && w->cur < w->n)
        rc = EL_FAIL(err, EL_EINTERNAL, w->path, -1, "safetensors writer: tensor '%s' got %llu of %llu bytes",
                     w->t[w->cur].name, (unsigned long long)w->cur_done, (unsigned long long)w->t[w->cur].size);
    if (rc) {
        st_writer_abort(w);
        return rc;
    }
    rc = el_out_commit(w->out, err);
    w->out = NULL;
    free_writer(w);
    return rc;
}

void st_writer_abort(st_writer *w)
{
    if (!w)
        return;
    el_out_abort(w->out);
    free_writer(w);
}
