/*
 * formats/gguf_write.c - streaming GGUF v3 writer (layout in gguf.h).
 *
 * Metadata is serialised into a memory buffer as it is added (it is small:
 * the largest part is a vocabulary of a few MB). Tensor infos are kept until
 * gguf_writer_begin_data() computes their offsets - each tensor padded to the
 * alignment, packed in declaration order exactly as llama.cpp lays files out -
 * and writes the header. Tensor bytes then stream through in order.
 */
#include <stdlib.h>
#include <string.h>

#include "core/atomic.h"
#include "core/strmap.h"
#include "core/util.h"
#include "formats/ggml_type.h"
#include "formats/gguf.h"

typedef struct wtensor {
    char *name;
    uint32_t type;
    uint32_t n_dims;
    int64_t ne[GGUF_MAX_DIMS];
    uint64_t size;       /* bytes of data */
    uint64_t offset;     /* in the data section */
} wtensor;

enum { W_DECLARE, W_DATA, W_FAILED };

struct gguf_writer {
    el_out *out;
    char *path;
    int state;
    uint32_t alignment;
    /* metadata, serialised */
    uint8_t *meta;
    size_t meta_len, meta_cap;
    uint64_t n_kv;
    char **keys;          /* owned copies (strmap keys point here) */
    size_t keys_cap;
    el_strmap key_set;
    /* tensors */
    wtensor *tensors;
    uint64_t n_tensors, tensors_cap;
    el_strmap name_set;
    /* data streaming */
    uint64_t cur;         /* tensor being written */
    uint64_t cur_done;    /* its bytes written so far */
    uint64_t data_size;   /* padded size of the data section */
    uint64_t total;       /* whole file */
};

/* ---- serialising metadata ------------------------------------------------ */

static int meta_put(gguf_writer *w, const void *p, size_t n, el_error *err)
{
    if (n == 0) /* empty arrays and strings may come with a NULL pointer */
        return EL_OK;
    if (w->meta_len + n > w->meta_cap) {
        size_t cap = w->meta_cap ? w->meta_cap : 4096;
        while (cap < w->meta_len + n)
            cap *= 2;
        uint8_t *m = realloc(w->meta, cap);
        if (!m)
            return EL_NOMEM(err);
        w->meta = m;
        w->meta_cap = cap;
    }
    memcpy(w->meta + w->meta_len, p, n);
    w->meta_len += n;
    return EL_OK;
}

static int put_u32(gguf_writer *w, uint32_t v, el_error *err)
{
    uint8_t b[4];
    el_wr32(b, v);
    return meta_put(w, b, 4, err);
}

static int put_u64(gguf_writer *w, uint64_t v, el_error *err)
{
    uint8_t b[8];
    el_wr64(b, v);
    return meta_put(w, b, 8, err);
}

static int put_str(gguf_writer *w, const char *s, uint64_t n, el_error *err)
{
    int rc = put_u64(w, n, err);
    return rc ? rc : meta_put(w, s, (size_t)n, err);
}

static int put_value(gguf_writer *w, const gguf_value *v, int depth, el_error *err);

static int put_array(gguf_writer *w, const gguf_array *a, int depth, el_error *err)
{
    if (depth >= GGUF_MAX_NESTING)
        return EL_FAIL(err, EL_EFORMAT, w->path, -1, "arrays nested deeper than %d levels", GGUF_MAX_NESTING);
    if (a->type >= GGUF_TYPE_COUNT)
        return EL_FAIL(err, EL_EFORMAT, w->path, -1, "array of unknown type %u", a->type);
    int rc = put_u32(w, a->type, err);
    if (!rc)
        rc = put_u64(w, a->n, err);
    if (rc)
        return rc;
    if (a->type == GGUF_TYPE_STRING) {
        for (uint64_t i = 0; i < a->n && !rc; i++)
            rc = put_str(w, a->strs[i].ptr, a->strs[i].len, err);
        return rc;
    }
    if (a->type == GGUF_TYPE_ARRAY) {
        for (uint64_t i = 0; i < a->n && !rc; i++) {
            if (a->items[i].type != GGUF_TYPE_ARRAY)
                return EL_FAIL(err, EL_EFORMAT, w->path, -1, "element %llu of an array of arrays is not an array",
                               (unsigned long long)i);
            rc = put_array(w, &a->items[i].arr, depth + 1, err);
        }
        return rc;
    }
    uint64_t bytes;
    if (!el_mul64(a->n, gguf_vtype_size(a->type), &bytes) || bytes > SIZE_MAX)
        return EL_FAIL(err, EL_ERANGE, w->path, -1, "array too large");
    if (a->type == GGUF_TYPE_BOOL) {
        /* normalise to 0/1 */
        for (uint64_t i = 0; i < a->n && !rc; i++) {
            uint8_t b = ((const uint8_t *)a->data)[i] != 0;
            rc = meta_put(w, &b, 1, err);
        }
        return rc;
    }
    return meta_put(w, a->data, (size_t)bytes, err);
}

static int put_value(gguf_writer *w, const gguf_value *v, int depth, el_error *err)
{
    uint8_t b[8];
    switch (v->type) {
    case GGUF_TYPE_UINT8: b[0] = (uint8_t)v->u64; return meta_put(w, b, 1, err);
    case GGUF_TYPE_INT8: b[0] = (uint8_t)(int8_t)v->i64; return meta_put(w, b, 1, err);
    case GGUF_TYPE_UINT16: el_wr16(b, (uint16_t)v->u64); return meta_put(w, b, 2, err);
    case GGUF_TYPE_INT16: el_wr16(b, (uint16_t)(int16_t)v->i64); return meta_put(w, b, 2, err);
    case GGUF_TYPE_UINT32: return put_u32(w, (uint32_t)v->u64, err);
    case GGUF_TYPE_INT32: return put_u32(w, (uint32_t)(int32_t)v->i64, err);
    case GGUF_TYPE_FLOAT32: {
        float f = (float)v->f64;
        memcpy(b, &f, 4);
        return meta_put(w, b, 4, err);
    }
    case GGUF_TYPE_BOOL: b[0] = v->b ? 1 : 0; return meta_put(w, b, 1, err);
    case GGUF_TYPE_STRING: return put_str(w, v->str.ptr, v->str.len, err);
    case GGUF_TYPE_ARRAY: return put_array(w, &v->arr, depth, err);
    case GGUF_TYPE_UINT64: return put_u64(w, v->u64, err);
    case GGUF_TYPE_INT64: return put_u64(w, (uint64_t)v->i64, err);
    case GGUF_TYPE_FLOAT64: memcpy(b, &v->f64, 8); return meta_put(w, b, 8, err);
    default: return EL_FAIL(err, EL_EFORMAT, w->path, -1, "unknown metadata value type %u", v->type);
    }
}

/* ---- public API --------------------------------------------------------------- */

int gguf_writer_open(gguf_writer **out, const char *path, el_error *err)
{
    *out = NULL;
    gguf_writer *w = calloc(1, sizeof *w);
    if (!w)
        return EL_NOMEM(err);
    w->alignment = GGUF_DEFAULT_ALIGNMENT;
    w->path = strdup(path);
    if (!w->path || !el_strmap_init(&w->key_set, 64) || !el_strmap_init(&w->name_set, 256)) {
        gguf_writer_abort(w);
        return EL_NOMEM(err);
    }
    int rc = el_out_open(&w->out, path, err);
    if (rc) {
        gguf_writer_abort(w);
        return rc;
    }
    *out = w;
    return EL_OK;
}

static int check_declaring(gguf_writer *w, el_error *err)
{
    if (w->state != W_DECLARE)
        return EL_FAIL(err, EL_EINTERNAL, w->path, -1, "GGUF writer: metadata or tensor added after data started");
    return EL_OK;
}

int gguf_add(gguf_writer *w, const char *key, const gguf_value *v, el_error *err)
{
    int rc = check_declaring(w, err);
    if (rc)
        return rc;
    size_t klen = strlen(key);
    if (klen == 0)
        return EL_FAIL(err, EL_EFORMAT, w->path, -1, "empty metadata key");
    if (el_strmap_get(&w->key_set, key, klen) >= 0)
        return EL_FAIL(err, EL_EDUP, w->path, -1, "duplicate metadata key '%s'", key);
    if (strcmp(key, "general.alignment") == 0) {
        if (v->type != GGUF_TYPE_UINT32 || !el_is_pow2(v->u64))
            return EL_FAIL(err, EL_EFORMAT, w->path, -1, "general.alignment must be a u32 power of two");
        if (w->n_tensors > 0)
            return EL_FAIL(err, EL_EINTERNAL, w->path, -1, "general.alignment must be set before tensors");
        w->alignment = (uint32_t)v->u64;
    }
    if (w->n_kv == w->keys_cap) {
        size_t cap = w->keys_cap ? w->keys_cap * 2 : 64;
        char **k = realloc(w->keys, cap * sizeof *k);
        if (!k)
            return EL_NOMEM(err);
        w->keys = k;
        w->keys_cap = cap;
    }
    char *copy = strdup(key);
    if (!copy)
        return EL_NOMEM(err);
    size_t mark = w->meta_len;
    rc = put_str(w, key, klen, err);
    if (!rc)
        rc = put_u32(w, v->type, err);
    if (!rc)
        rc = put_value(w, v, 0, err);
    if (!rc && el_strmap_put(&w->key_set, copy, klen, (int64_t)w->n_kv, NULL) < 0)
        rc = EL_NOMEM(err);
    if (rc) {
        w->meta_len = mark; /* unchanged on failure */
        free(copy);
        return rc;
    }
    w->keys[w->n_kv++] = copy;
    return EL_OK;
}

/* the typed scalar adders: one gguf_value of the type, through gguf_add */
#define GGUF_ADD_SCALAR(name, ctype, vtype, field)                                                                   \
    int gguf_add_##name(gguf_writer *w, const char *key, ctype v, el_error *err)                                   \
    {                                                                                                              \
        gguf_value x = {.type = vtype, .field = v};                                                                \
        return gguf_add(w, key, &x, err);                                                                          \
    }
GGUF_ADD_SCALAR(u32, uint32_t, GGUF_TYPE_UINT32, u64)
GGUF_ADD_SCALAR(i32, int32_t, GGUF_TYPE_INT32, i64)
GGUF_ADD_SCALAR(u64, uint64_t, GGUF_TYPE_UINT64, u64)
GGUF_ADD_SCALAR(f32, float, GGUF_TYPE_FLOAT32, f64)
GGUF_ADD_SCALAR(bool, bool, GGUF_TYPE_BOOL, b)
#undef GGUF_ADD_SCALAR

int gguf_add_str(gguf_writer *w, const char *key, const char *v, el_error *err)
{
    gguf_value x = {.type = GGUF_TYPE_STRING, .str = {strlen(v), v}};
    return gguf_add(w, key, &x, err);
}

int gguf_add_arr(gguf_writer *w, const char *key, uint32_t type, const void *data, uint64_t n, el_error *err)
{
    if (gguf_vtype_size(type) == 0)
        return EL_FAIL(err, EL_EINTERNAL, w->path, -1, "gguf_add_arr needs a scalar element type");
    gguf_value x = {.type = GGUF_TYPE_ARRAY, .arr = {.type = type, .n = n, .data = data}};
    return gguf_add(w, key, &x, err);
}

int gguf_add_str_arr(gguf_writer *w, const char *key, const char *const *strs, uint64_t n, el_error *err)
{
    gguf_str *s = malloc((size_t)EL_MAX(n, 1) * sizeof *s);
    if (!s)
        return EL_NOMEM(err);
    for (uint64_t i = 0; i < n; i++) {
        s[i].ptr = strs[i];
        s[i].len = strlen(strs[i]);
    }
    gguf_value x = {.type = GGUF_TYPE_ARRAY, .arr = {.type = GGUF_TYPE_STRING, .n = n, .strs = s}};
    int rc = gguf_add(w, key, &x, err);
    free(s);
    return rc;
}

int gguf_add_tensor(gguf_writer *w, const char *name, uint32_t type, uint32_t n_dims, const int64_t *ne,
                    el_error *err)
{
    int rc = check_declaring(w, err);
    if (rc)
        return rc;
    size_t len = strlen(name);
    if (len == 0 || len >= GGUF_MAX_NAME)
        return EL_FAIL(err, EL_EFORMAT, w->path, -1, "tensor name '%s' must be 1..%d bytes", name,
                       GGUF_MAX_NAME - 1);
    if (n_dims < 1 || n_dims > GGUF_MAX_DIMS)
        return EL_FAIL(err, EL_EFORMAT, w->path, -1, "tensor '%s' has %u dimensions (1..%d)", name, n_dims,
                       GGUF_MAX_DIMS);
    const el_type_info *ti = el_type_get(type);
    if (!ti)
        return EL_FAIL(err, EL_EFORMAT, w->path, -1, "tensor '%s' has unknown type %u", name, type);
    if (el_strmap_get(&w->name_set, name, len) >= 0)
        return EL_FAIL(err, EL_EDUP, w->path, -1, "duplicate tensor name '%s'", name);
    wtensor t = {0};
    t.type = type;
    t.n_dims = n_dims;
    uint64_t nel = 1;
    for (uint32_t d = 0; d < GGUF_MAX_DIMS; d++) {
        t.ne[d] = d < n_dims ? ne[d] : 1;
        if (t.ne[d] < 0 || !el_mul64(nel, (uint64_t)t.ne[d], &nel) || nel > (uint64_t)INT64_MAX)
            return EL_FAIL(err, EL_ERANGE, w->path, -1, "tensor '%s' has an invalid shape", name);
    }
    if (t.ne[0] % ti->block_size != 0)
        return EL_FAIL(err, EL_ESHAPE, w->path, -1, "tensor '%s' rows of %lld are not a multiple of %s's block size %u",
                       name, (long long)t.ne[0], ti->name, ti->block_size);
    uint64_t row;
    if (!el_type_row_bytes(type, (uint64_t)t.ne[0], &row) ||
        !el_mul64(row, t.ne[0] ? nel / (uint64_t)t.ne[0] : 0, &t.size))
        return EL_FAIL(err, EL_ERANGE, w->path, -1, "tensor '%s' byte size overflows", name);
    if (w->n_tensors == w->tensors_cap) {
        uint64_t cap = w->tensors_cap ? w->tensors_cap * 2 : 256;
        wtensor *nt = realloc(w->tensors, (size_t)cap * sizeof *nt);
        if (!nt)
            return EL_NOMEM(err);
        w->tensors = nt;
        w->tensors_cap = cap;
    }
    t.name = strdup(name);
    if (!t.name)
        return EL_NOMEM(err);
    if (el_strmap_put(&w->name_set, t.name, len, (int64_t)w->n_tensors, NULL) < 0) {
        free(t.name);
        return EL_NOMEM(err);
    }
    w->tensors[w->n_tensors++] = t;
    return EL_OK;
}

int gguf_writer_begin_data(gguf_writer *w, el_error *err)
{
    int rc = check_declaring(w, err);
    if (rc)
        return rc;
    /* Offsets: packed in order, each padded to the alignment. */
    uint64_t off = 0;
    for (uint64_t i = 0; i < w->n_tensors; i++) {
        w->tensors[i].offset = off;
        uint64_t padded;
        if (!el_align_up(w->tensors[i].size, w->alignment, &padded) || !el_add64(off, padded, &off))
            return EL_FAIL(err, EL_ERANGE, w->path, -1, "data section size overflows");
    }
    w->data_size = off;
    /* Tensor infos are appended after the metadata already serialised. */
    uint8_t hdr[24];
    memcpy(hdr, "GGUF", 4);
    el_wr32(hdr + 4, 3);
    el_wr64(hdr + 8, w->n_tensors);
    el_wr64(hdr + 16, w->n_kv);
    for (uint64_t i = 0; i < w->n_tensors && !rc; i++) {
        const wtensor *t = &w->tensors[i];
        rc = put_str(w, t->name, strlen(t->name), err);
        if (!rc)
            rc = put_u32(w, t->n_dims, err);
        for (uint32_t d = 0; d < t->n_dims && !rc; d++)
            rc = put_u64(w, (uint64_t)t->ne[d], err);
        if (!rc)
            rc = put_u32(w, t->type, err);
        if (!rc)
            rc = put_u64(w, t->offset, err);
    }
    if (!rc)
        rc = el_out_write(w->out, hdr, sizeof hdr, err);
    if (!rc)
        rc = el_out_write(w->out, w->meta, w->meta_len, err);
    uint64_t head = sizeof hdr + w->meta_len, head_padded = 0;
    if (!rc && !el_align_up(head, w->alignment, &head_padded))
        rc = EL_FAIL(err, EL_ERANGE, w->path, -1, "header size overflows");
    if (!rc)
        rc = el_out_zeros(w->out, head_padded - head, err);
    if (!rc && !el_add64(head_padded, w->data_size, &w->total))
        rc = EL_FAIL(err, EL_ERANGE, w->path, -1, "file size overflows");
    if (rc) {
        w->state = W_FAILED;
        return rc;
    }
    free(w->meta); /* no longer needed */
    w->meta = NULL;
    w->meta_len = w->meta_cap = 0;
    w->state = W_DATA;
    w->cur = 0;
    w->cur_done = 0;
    return EL_OK;
}

/* Pad after the current tensor and move on to the next one. */
static int next_tensor(gguf_writer *w, el_error *err)
{
    const wtensor *t = &w->tensors[w->cur];
    uint64_t padded = t->size;
    el_align_up(t->size, w->alignment, &padded); /* cannot overflow: checked in begin_data */
    int rc = el_out_zeros(w->out, padded - t->size, err);
    if (rc)
        return rc;
    w->cur++;
    w->cur_done = 0;
    return EL_OK;
}

int gguf_writer_write(gguf_writer *w, const void *data, uint64_t n, el_error *err)
{
    if (w->state != W_DATA)
        return EL_FAIL(err, EL_EINTERNAL, w->path, -1, "GGUF writer: data written before begin_data or after a failure");
    const uint8_t *p = data;
    int rc = EL_OK;
    /* Zero-sized tensors complete immediately. */
    while (w->cur < w->n_tensors && w->tensors[w->cur].size == 0 && !rc)
        rc = next_tensor(w, err);
    while (n > 0 && !rc) {
        if (w->cur >= w->n_tensors) {
            rc = EL_FAIL(err, EL_EINTERNAL, w->path, -1, "GGUF writer: more tensor data than declared");
            break;
        }
        const wtensor *t = &w->tensors[w->cur];
        uint64_t take = EL_MIN(n, t->size - w->cur_done);
        rc = el_out_write(w->out, p, take, err);
        if (rc)
            break;
        p += take;
        n -= take;
        w->cur_done += take;
        if (w->cur_done == t->size)
            rc = next_tensor(w, err);
        while (!rc && w->cur < w->n_tensors && w->tensors[w->cur].size == 0)
            rc = next_tensor(w, err);
    }
    if (rc)
        w->state = W_FAILED;
    return rc;
}

static void free_writer(gguf_writer *w)
{
    for (uint64_t i = 0; i < w->n_kv; i++)
        free(w->keys[i]);
    free(w->keys);
    for (uint64_t i = 0; i < w->n_tensors; i++)
        free(w->tensors[i].name);
    free(w->tensors);
    el_strmap_free(&w->key_set);
    el_strmap_free(&w->name_set);
    free(w->meta);
    free(w->path);
    free(w);
}

int gguf_writer_finish(gguf_writer *w, el_error *err)
{
    int rc = EL_OK;
    if (w->state == W_DECLARE)
        rc = gguf_writer_begin_data(w, err);
    if (!rc && w->state == W_DATA) {
        while (!rc && w->cur < w->n_tensors && w->tensors[w->cur].size == 0)
            rc = next_tensor(w, err);
        if (!rc && w->cur < w->n_tensors)
            rc = EL_FAIL(err, EL_EINTERNAL, w->path, -1, "GGUF writer: tensor '%s' got %llu of %llu bytes",
                         w->tensors[w->cur].name, (unsigned long long)w->cur_done,
                         (unsigned long long)w->tensors[w->cur].size);
    } else if (!rc) {
        rc = EL_FAIL(err, EL_EINTERNAL, w->path, -1, "GGUF writer: finishing after a failure");
    }
    if (rc) {
        gguf_writer_abort(w);
        return rc;
    }
    rc = el_out_commit(w->out, err);
    w->out = NULL;
    free_writer(w);
    return rc;
}

void gguf_writer_abort(gguf_writer *w)
{
    if (!w)
        return;
    el_out_abort(w->out);
    free_writer(w);
}

uint64_t gguf_writer_total_size(const gguf_writer *w) { return w->total; }
