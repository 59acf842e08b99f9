/*
 * formats/gguf_read.c - GGUF reader: parse and validate, then index.
 *
 * Layout of this file:
 *   1. the cursor: bounded little-endian reads over the mapped bytes
 *   2. values (recursive for nested arrays)
 *   3. header, metadata, tensor infos, data section checks
 *   4. lookups and typed getters
 *
 * Every length read from the file is checked against the bytes that remain
 * before anything is allocated for it, so a hostile count cannot make us
 * allocate more than a small multiple of the file size.
 */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "formats/ggml_type.h"
#include "formats/gguf.h"

/* ---- 1. cursor ----------------------------------------------------------- */

typedef struct cursor {
    const uint8_t *p;     /* file bytes */
    uint64_t size;        /* file size */
    uint64_t pos;         /* next byte to read */
    const char *path;     /* for messages */
    el_error *err;
} cursor;

static int need(cursor *c, uint64_t n, const char *what)
{
    if (n > c->size - c->pos)
        return EL_FAIL(c->err, EL_ETRUNC, c->path, (int64_t)c->pos,
                       "file ends inside %s (needs %llu bytes, %llu left)", what, (unsigned long long)n,
                       (unsigned long long)(c->size - c->pos));
    return EL_OK;
}

/* An unsigned little-endian integer of n bytes (4 or 8) at the cursor, which moves past it. */
static int rd_uint(cursor *c, unsigned n, uint64_t *v, const char *what)
{
    int rc = need(c, n, what);
    if (rc)
        return rc;
    *v = n == 4 ? el_rd32(c->p + c->pos) : el_rd64(c->p + c->pos);
    c->pos += n;
    return EL_OK;
}

static int rd_u64(cursor *c, uint64_t *v, const char *what) { return rd_uint(c, 8, v, what); }

static int rd_u32(cursor *c, uint32_t *v, const char *what)
{
    uint64_t x;
    const int rc = rd_uint(c, 4, &x, what);
    if (!rc)
        *v = (uint32_t)x;
    return rc;
}

static int rd_str(cursor *c, gguf_str *s, const char *what)
{
    uint64_t start = c->pos;
    int rc = rd_u64(c, &s->len, what);
    if (rc)
        return rc;
    if (s->len > c->size - c->pos)
        return EL_FAIL(c->err, EL_ETRUNC, c->path, (int64_t)start,
                       "%s has length %llu but only %llu bytes are left in the file", what,
                       (unsigned long long)s->len, (unsigned long long)(c->size - c->pos));
    s->ptr = (const char *)c->p + c->pos;
    c->pos += s->len;
    return EL_OK;
}

/* ---- 2. values ----------------------------------------------------------- */

static const char *const vtype_names[GGUF_TYPE_COUNT] = {
    "u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "str", "arr", "u64", "i64", "f64",
};
static const uint8_t vtype_sizes[GGUF_TYPE_COUNT] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

const char *gguf_vtype_name(uint32_t t) { return t < GGUF_TYPE_COUNT ? vtype_names[t] : "?"; }
uint32_t gguf_vtype_size(uint32_t t) { return t < GGUF_TYPE_COUNT ? vtype_sizes[t] : 0; }

static void free_value(gguf_value *v);

static void free_array(gguf_array *a)
{
    free(a->strs);
    if (a->items) {
        for (uint64_t i = 0; i < a->n; i++)
            free_value(&a->items[i]);
        free(a->items);
    }
    a->strs = NULL;
    a->items = NULL;
}

static void free_value(gguf_value *v)
{
    if (v->type == GGUF_TYPE_ARRAY)
        free_array(&v->arr);
}

static int read_scalar(cursor *c, uint32_t type, gguf_value *v)
{
    uint32_t sz = vtype_sizes[type];
    int rc = need(c, sz, "a metadata value");
    if (rc)
        return rc;
    const uint8_t *p = c->p + c->pos;
    v->type = type;
    switch (type) {
    case GGUF_TYPE_UINT8: v->u64 = p[0]; break;
    case GGUF_TYPE_INT8: v->i64 = (int8_t)p[0]; break;
    case GGUF_TYPE_UINT16: v->u64 = el_rd16(p); break;
    case GGUF_TYPE_INT16: v->i64 = (int16_t)el_rd16(p); break;
    case GGUF_TYPE_UINT32: v->u64 = el_rd32(p); break;
    case GGUF_TYPE_INT32: v->i64 = (int32_t)el_rd32(p); break;
    case GGUF_TYPE_FLOAT32: v->f64 = el_rdf32(p); break;
    case GGUF_TYPE_BOOL: v->b = p[0] != 0; break;
    case GGUF_TYPE_UINT64: v->u64 = el_rd64(p); break;
    case GGUF_TYPE_INT64: v->i64 = (int64_t)el_rd64(p); break;
    case GGUF_TYPE_FLOAT64: v->f64 = el_rdf64(p); break;
    default: return EL_FAIL(c->err, EL_EINTERNAL, c->path, (int64_t)c->pos, "not a scalar type");
    }
    c->pos += sz;
    return EL_OK;
}

static int read_value(cursor *c, uint32_t type, gguf_value *v, int depth);

static int read_array(cursor *c, gguf_array *a, int depth)
{
    uint64_t at = c->pos;
    memset(a, 0, sizeof *a);
    if (depth >= GGUF_MAX_NESTING)
        return EL_FAIL(c->err, EL_EFORMAT, c->path, (int64_t)at, "arrays nested deeper than %d levels",
                       GGUF_MAX_NESTING);
    int rc = rd_u32(c, &a->type, "an array element type");
    if (!rc)
        rc = rd_u64(c, &a->n, "an array length");
    if (rc)
        return rc;
    if (a->type >= GGUF_TYPE_COUNT)
        return EL_FAIL(c->err, EL_EFORMAT, c->path, (int64_t)at, "array has unknown element type %u", a->type);
    uint64_t left = c->size - c->pos;
    if (a->type == GGUF_TYPE_STRING || a->type == GGUF_TYPE_ARRAY) {
        /* every string needs 8 length bytes, every nested array 12 header bytes */
        uint64_t min_each = a->type == GGUF_TYPE_STRING ? 8 : 12;
        if (a->n > left / min_each)
            return EL_FAIL(c->err, EL_ETRUNC, c->path, (int64_t)at,
                           "array of %llu %s elements cannot fit in the %llu bytes left", (unsigned long long)a->n,
                           vtype_names[a->type], (unsigned long long)left);
        if (a->n == 0)
            return EL_OK;
        if (a->type == GGUF_TYPE_STRING) {
            a->strs = malloc((size_t)a->n * sizeof *a->strs);
            if (!a->strs)
                return EL_NOMEM(c->err);
            for (uint64_t i = 0; i < a->n; i++) {
                rc = rd_str(c, &a->strs[i], "an array string");
                if (rc)
                    return rc;
            }
        } else {
            a->items = calloc((size_t)a->n, sizeof *a->items);
            if (!a->items)
                return EL_NOMEM(c->err);
            for (uint64_t i = 0; i < a->n; i++) {
                a->items[i].type = GGUF_TYPE_ARRAY;
                rc = read_array(c, &a->items[i].arr, depth + 1);
                if (rc)
                    return rc;
            }
        }
        return EL_OK;
    }
    uint64_t bytes;
    if (!el_mul64(a->n, vtype_sizes[a->type], &bytes) || bytes > left)
        return EL_FAIL(c->err, EL_ETRUNC, c->path, (int64_t)at,
                       "array of %llu %s values needs more than the %llu bytes left", (unsigned long long)a->n,
                       vtype_names[a->type], (unsigned long long)left);
    a->data = c->p + c->pos;
    c->pos += bytes;
    return EL_OK;
}

static int read_value(cursor *c, uint32_t type, gguf_value *v, int depth)
{
    memset(v, 0, sizeof *v);
    v->type = type;
    if (type == GGUF_TYPE_STRING)
        return rd_str(c, &v->str, "a string value");
    if (type == GGUF_TYPE_ARRAY)
        return read_array(c, &v->arr, depth);
    return read_scalar(c, type, v);
}

/* ---- 3. the file ----------------------------------------------------------- */

static bool str_eq(gguf_str s, const char *z)
{
    size_t n = strlen(z);
    return s.len == n && memcmp(s.ptr, z, n) == 0;
}

void gguf_close(gguf_file *f)
{
    if (!f)
        return;
    if (f->kv) {
        for (uint64_t i = 0; i < f->n_kv; i++)
            free_value(&f->kv[i].v);
        free(f->kv);
    }
    free(f->tensors);
    el_map_close(&f->map);
    free(f);
}

/* Key order for duplicate detection. */
static int cmp_kv_ptr(const void *a, const void *b)
{
    const gguf_kv *x = *(const gguf_kv *const *)a, *y = *(const gguf_kv *const *)b;
    uint64_t n = EL_MIN(x->key.len, y->key.len);
    int r = memcmp(x->key.ptr, y->key.ptr, (size_t)n);
    if (r)
        return r;
    return x->key.len < y->key.len ? -1 : x->key.len > y->key.len;
}

static int cmp_tensor_name(const void *a, const void *b)
{
    const gguf_tensor *x = *(const gguf_tensor *const *)a, *y = *(const gguf_tensor *const *)b;
    return strcmp(x->name, y->name);
}

static int cmp_tensor_off(const void *a, const void *b)
{
    const gguf_tensor *x = *(const gguf_tensor *const *)a, *y = *(const gguf_tensor *const *)b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static int check_unique_keys(gguf_file *f, el_error *err)
{
    if (f->n_kv < 2)
        return EL_OK;
    const gguf_kv **idx = malloc((size_t)f->n_kv * sizeof *idx);
    if (!idx)
        return EL_NOMEM(err);
    for (uint64_t i = 0; i < f->n_kv; i++)
        idx[i] = &f->kv[i];
    qsort(idx, (size_t)f->n_kv, sizeof *idx, cmp_kv_ptr);
    int rc = EL_OK;
    for (uint64_t i = 1; i < f->n_kv; i++)
        if (cmp_kv_ptr(&idx[i - 1], &idx[i]) == 0) {
            rc = EL_FAIL(err, EL_EDUP, f->path, (int64_t)idx[i]->offset, "duplicate metadata key '%.*s'",
                         (int)EL_MIN(idx[i]->key.len, 200), idx[i]->key.ptr);
            break;
        }
    free(idx);
    return rc;
}

static int read_tensor_info(cursor *c, gguf_file *f, gguf_tensor *t, uint64_t i)
{
    uint64_t at = c->pos;
    gguf_str name;
    int rc = rd_str(c, &name, "a tensor name");
    if (rc)
        return rc;
    if (name.len >= GGUF_MAX_NAME)
        return EL_FAIL(c->err, EL_EFORMAT, c->path, (int64_t)at, "tensor %llu name is %llu bytes (limit %d)",
                       (unsigned long long)i, (unsigned long long)name.len, GGUF_MAX_NAME - 1);
    if (memchr(name.ptr, 0, (size_t)name.len))
        return EL_FAIL(c->err, EL_EFORMAT, c->path, (int64_t)at, "tensor %llu name contains a NUL byte",
                       (unsigned long long)i);
    memcpy(t->name, name.ptr, (size_t)name.len);
    t->name[name.len] = '\0';
    if ((rc = rd_u32(c, &t->n_dims, "a tensor's dimension count")))
        return rc;
    if (t->n_dims > GGUF_MAX_DIMS)
        return EL_FAIL(c->err, EL_EFORMAT, c->path, (int64_t)at, "tensor '%s' has %u dimensions (at most %d)",
                       t->name, t->n_dims, GGUF_MAX_DIMS);
    uint64_t nel = 1;
    for (uint32_t d = 0; d < GGUF_MAX_DIMS; d++) {
        t->ne[d] = 1;
        if (d < t->n_dims) {
            uint64_t v;
            if ((rc = rd_u64(c, &v, "a tensor dimension")))
                return rc;
            if (v > (uint64_t)INT64_MAX)
                return EL_FAIL(c->err, EL_ERANGE, c->path, (int64_t)at, "tensor '%s' dimension %u is negative",
                               t->name, d);
            t->ne[d] = (int64_t)v;
        }
        if (!el_mul64(nel, (uint64_t)t->ne[d], &nel) || nel > (uint64_t)INT64_MAX)
            return EL_FAIL(c->err, EL_ERANGE, c->path, (int64_t)at, "tensor '%s' element count overflows",
                           t->name);
    }
    t->n_elements = nel;
    if ((rc = rd_u32(c, &t->type, "a tensor type")))
        return rc;
    const el_type_info *ti = el_type_get(t->type);
    if (!ti)
        return EL_FAIL(c->err, EL_EFORMAT, c->path, (int64_t)at, "tensor '%s' has unknown ggml type %u", t->name,
                       t->type);
    if (t->ne[0] % ti->block_size != 0)
        return EL_FAIL(c->err, EL_ESHAPE, c->path, (int64_t)at,
                       "tensor '%s' rows have %lld elements, not a multiple of %s's block size %u", t->name,
                       (long long)t->ne[0], ti->name, ti->block_size);
    uint64_t row;
    if (!el_type_row_bytes(t->type, (uint64_t)t->ne[0], &row) ||
        !el_mul64(row, nel / ((uint64_t)t->ne[0] ? (uint64_t)t->ne[0] : 1), &t->size))
        return EL_FAIL(c->err, EL_ERANGE, c->path, (int64_t)at, "tensor '%s' byte size overflows", t->name);
    if (t->ne[0] == 0)
        t->size = 0;
    if ((rc = rd_u64(c, &t->offset, "a tensor offset")))
        return rc;
    if (t->offset % f->alignment != 0)
        return EL_FAIL(c->err, EL_EFORMAT, c->path, (int64_t)at,
                       "tensor '%s' data offset %llu is not a multiple of the alignment %u", t->name,
                       (unsigned long long)t->offset, f->alignment);
    return EL_OK;
}

/* The header: magic, version (2 or 3, little-endian), tensor and metadata counts. */
static int read_header(cursor *c, gguf_file *f)
{
    int rc = need(c, 4, "the magic");
    if (rc)
        return rc;
    if (memcmp(c->p, "GGUF", 4) != 0)
        return EL_FAIL(c->err, EL_EFORMAT, f->path, 0, "not a GGUF file (magic is not \"GGUF\")");
    c->pos = 4;
    if ((rc = rd_u32(c, &f->version, "the version")))
        return rc;
    if (f->version == 1)
        return EL_FAIL(c->err, EL_EVERSION, f->path, 4, "GGUF version 1 is not supported (only 2 and 3)");
    if (f->version != 2 && f->version != 3) {
        /* A byte-swapped small number means a big-endian file. */
        if ((f->version & 0xffff) == 0 && f->version != 0)
            return EL_FAIL(c->err, EL_EVERSION, f->path, 4, "big-endian GGUF files are not supported");
        return EL_FAIL(c->err, EL_EVERSION, f->path, 4, "GGUF version %u is not supported (only 2 and 3)",
                       f->version);
    }
    if ((rc = rd_u64(c, &f->n_tensors, "the tensor count")) || (rc = rd_u64(c, &f->n_kv, "the metadata count")))
        return rc;
    return EL_OK;
}

/* The metadata: n_kv keys (non-empty, no NUL) with their typed values. On failure f->n_kv is cut to
 * the entries whose values may own memory, so gguf_close frees only what was read. */
static int read_kvs(cursor *c, gguf_file *f)
{
    /* Each key-value needs >= 13 bytes (8 key length + 4 type + 1 value). */
    if (f->n_kv > (c->size - c->pos) / 13)
        return EL_FAIL(c->err, EL_ETRUNC, f->path, 16,
                       "header claims %llu metadata entries, more than the file can hold", (unsigned long long)f->n_kv);
    f->kv = calloc((size_t)EL_MAX(f->n_kv, 1), sizeof *f->kv);
    if (!f->kv)
        return EL_NOMEM(c->err);
    uint64_t n_read = 0;
    int rc = EL_OK;
    for (uint64_t i = 0; i < f->n_kv && !rc; i++) {
        gguf_kv *kv = &f->kv[i];
        kv->offset = c->pos;
        uint32_t type;
        if ((rc = rd_str(c, &kv->key, "a metadata key")))
            break;
        if (kv->key.len == 0 || memchr(kv->key.ptr, 0, (size_t)kv->key.len)) {
            rc = EL_FAIL(c->err, EL_EFORMAT, f->path, (int64_t)kv->offset,
                         "metadata key %llu is empty or contains NUL", (unsigned long long)i);
            break;
        }
        if ((rc = rd_u32(c, &type, "a metadata value type")))
            break;
        if (type >= GGUF_TYPE_COUNT) {
            rc = EL_FAIL(c->err, EL_EFORMAT, f->path, (int64_t)(c->pos - 4),
                         "metadata key '%.*s' has unknown value type %u", (int)EL_MIN(kv->key.len, 200), kv->key.ptr,
                         type);
            break;
        }
        n_read = i + 1; /* from here on kv[i].v may own memory */
        rc = read_value(c, type, &kv->v, 0);
    }
    if (rc)
        f->n_kv = n_read; /* free only what was read */
    return rc;
}

/* general.alignment: a u32 power of two, GGUF_DEFAULT_ALIGNMENT when absent. */
static int read_alignment(gguf_file *f, el_error *err)
{
    f->alignment = GGUF_DEFAULT_ALIGNMENT;
    const gguf_kv *al = gguf_find_kv(f, "general.alignment");
    if (!al)
        return EL_OK;
    if (al->v.type != GGUF_TYPE_UINT32)
        return EL_FAIL(err, EL_EFORMAT, f->path, (int64_t)al->offset, "general.alignment is %s, must be u32",
                       gguf_vtype_name(al->v.type));
    if (!el_is_pow2(al->v.u64))
        return EL_FAIL(err, EL_EFORMAT, f->path, (int64_t)al->offset, "general.alignment %llu is not a power of two",
                       (unsigned long long)al->v.u64);
    f->alignment = (uint32_t)al->v.u64;
    return EL_OK;
}

/* The tensor infos (read_tensor_info each), then where the data section starts. */
static int read_tensor_infos(cursor *c, gguf_file *f)
{
    /* Each tensor info needs >= 24 bytes (name length, n_dims, type, offset). */
    if (f->n_tensors > (c->size - c->pos) / 24)
        return EL_FAIL(c->err, EL_ETRUNC, f->path, 8, "header claims %llu tensors, more than the file can hold",
                       (unsigned long long)f->n_tensors);
    f->tensors = calloc((size_t)EL_MAX(f->n_tensors, 1), sizeof *f->tensors);
    if (!f->tensors)
        return EL_NOMEM(c->err);
    int rc;
    for (uint64_t i = 0; i < f->n_tensors; i++)
        if ((rc = read_tensor_info(c, f, &f->tensors[i], i)))
            return rc;
    if (!el_align_up(c->pos, f->alignment, &f->data_offset))
        return EL_FAIL(c->err, EL_ERANGE, f->path, (int64_t)c->pos, "data section offset overflows");
    if (f->n_tensors > 0 && f->data_offset > c->size)
        return EL_FAIL(c->err, EL_ETRUNC, f->path, (int64_t)c->pos, "file ends before the tensor data section");
    return EL_OK;
}

/* Every tensor with a name of its own, its data inside the file at the alignment its type needs, none
 * overlapping; each tensor's data pointer set. idx: room for n_tensors pointers, reordered here. */
static int check_tensors(gguf_file *f, const uint8_t *data, uint64_t size, const gguf_tensor **idx, el_error *err)
{
    for (uint64_t i = 0; i < f->n_tensors; i++)
        idx[i] = &f->tensors[i];
    qsort(idx, (size_t)f->n_tensors, sizeof *idx, cmp_tensor_name);
    for (uint64_t i = 1; i < f->n_tensors; i++)
        if (strcmp(idx[i - 1]->name, idx[i]->name) == 0)
            return EL_FAIL(err, EL_EDUP, f->path, -1, "duplicate tensor name '%s'", idx[i]->name);
    uint64_t data_size = size > f->data_offset ? size - f->data_offset : 0;
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        gguf_tensor *t = &f->tensors[i];
        uint64_t end;
        if (!el_add64(t->offset, t->size, &end) || end > data_size)
            return EL_FAIL(err, EL_ETRUNC, f->path, -1,
                           "tensor '%s' data (offset %llu, %llu bytes) runs past the end of the file", t->name,
                           (unsigned long long)t->offset, (unsigned long long)t->size);
        t->data = data + f->data_offset + t->offset;
        /* the kernels read a type's numbers in place: its halves, floats and blocks at their natural
         * alignment (general.alignment 1 could put an F16 tensor at an odd address) */
        const el_type_info *ti = el_type_get(t->type);
        const uint32_t need = ti ? EL_MIN(ti->type_size & (0u - ti->type_size), 8u) : 1;
        if (need > 1 && (uintptr_t)t->data % need != 0)
            return EL_FAIL(err, EL_EFORMAT, f->path, (int64_t)(f->data_offset + t->offset),
                           "tensor '%s' data is not aligned to %u bytes, which its type %s needs (general.alignment %u)",
                           t->name, need, ti->name, f->alignment);
    }
    qsort(idx, (size_t)f->n_tensors, sizeof *idx, cmp_tensor_off);
    for (uint64_t i = 1; i < f->n_tensors; i++)
        if (idx[i - 1]->offset + idx[i - 1]->size > idx[i]->offset && idx[i - 1]->size && idx[i]->size)
            return EL_FAIL(err, EL_EFORMAT, f->path, -1, "tensors '%s' and '%s' overlap", idx[i - 1]->name,
                           idx[i]->name);
    return EL_OK;
}

/* llama.cpp's packed layout: each tensor right after the one before, padded to the alignment. */
static bool is_llama_cpp_layout(const gguf_file *f)
{
    bool packed = true;
    uint64_t expect = 0;
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        if (f->tensors[i].offset != expect)
            packed = false;
        uint64_t padded;
        if (!el_align_up(f->tensors[i].size, f->alignment, &padded) || !el_add64(expect, padded, &expect))
            packed = false;
    }
    return packed;
}

static int parse(gguf_file *f, const uint8_t *data, uint64_t size, el_error *err)
{
    cursor c = {data, size, 0, f->path, err};
    f->file_size = size;
    int rc;
    if ((rc = read_header(&c, f)) || (rc = read_kvs(&c, f)) || (rc = check_unique_keys(f, err)) ||
        (rc = read_alignment(f, err)) || (rc = read_tensor_infos(&c, f)))
        return rc;
    const gguf_tensor **idx = malloc((size_t)EL_MAX(f->n_tensors, 1) * sizeof *idx);
    if (!idx)
        return EL_NOMEM(err);
    rc = check_tensors(f, data, size, idx, err);
    free(idx);
    if (rc)
        return rc;
    f->llama_cpp_layout = is_llama_cpp_layout(f);
    return EL_OK;
}

int gguf_parse(gguf_file **out, const uint8_t *data, uint64_t size, const char *name, el_error *err)
{
    *out = NULL;
    gguf_file *f = calloc(1, sizeof *f);
    if (!f)
        return EL_NOMEM(err);
    f->path = name ? name : "";
    int rc = parse(f, data, size, err);
    if (rc) {
        gguf_close(f);
        return rc;
    }
    *out = f;
    return EL_OK;
}

/* gguf_parse on the mapped file, which the gguf_file then owns (the path in errors is the map's copy) */
int gguf_open(gguf_file **out, const char *path, el_error *err)
{
    *out = NULL;
    el_map map;
    int rc = el_map_open(&map, path, err);
    if (!rc)
        rc = gguf_parse(out, map.data, map.size, map.path, err);
    if (rc) {
        el_map_close(&map);
        return rc;
    }
    (*out)->map = map;
    return EL_OK;
}

/* ---- 4. lookups ------------------------------------------------------------ */

const gguf_kv *gguf_find_kv(const gguf_file *f, const char *key)
{
    for (uint64_t i = 0; i < f->n_kv; i++)
        if (str_eq(f->kv[i].key, key))
            return &f->kv[i];
    return NULL;
}

const gguf_tensor *gguf_find_tensor(const gguf_file *f, const char *name)
{
    for (uint64_t i = 0; i < f->n_tensors; i++)
        if (strcmp(f->tensors[i].name, name) == 0)
            return &f->tensors[i];
    return NULL;
}

static bool is_unsigned(uint32_t t)
{
    return t == GGUF_TYPE_UINT8 || t == GGUF_TYPE_UINT16 || t == GGUF_TYPE_UINT32 || t == GGUF_TYPE_UINT64;
}

static bool is_signed(uint32_t t)
{
    return t == GGUF_TYPE_INT8 || t == GGUF_TYPE_INT16 || t == GGUF_TYPE_INT32 || t == GGUF_TYPE_INT64;
}

int gguf_get_u64(const gguf_file *f, const char *key, uint64_t *out)
{
    const gguf_kv *kv = gguf_find_kv(f, key);
    if (!kv)
        return 0;
    if (is_unsigned(kv->v.type)) {
        *out = kv->v.u64;
        return 1;
    }
    if (is_signed(kv->v.type) && kv->v.i64 >= 0) {
        *out = (uint64_t)kv->v.i64;
        return 1;
    }
    return -1;
}

int gguf_get_i64(const gguf_file *f, const char *key, int64_t *out)
{
    const gguf_kv *kv = gguf_find_kv(f, key);
    if (kv && is_signed(kv->v.type)) {
        *out = kv->v.i64;
        return 1;
    }
    uint64_t u; /* absent, not an integer, or unsigned: as gguf_get_u64 says, up to INT64_MAX */
    int r = gguf_get_u64(f, key, &u);
    if (r == 1 && u > (uint64_t)INT64_MAX)
        r = -1;
    if (r == 1)
        *out = (int64_t)u;
    return r;
}

int gguf_get_u32(const gguf_file *f, const char *key, uint32_t *out)
{
    uint64_t v;
    int r = gguf_get_u64(f, key, &v);
    if (r != 1)
        return r;
    if (v > UINT32_MAX)
        return -1;
    *out = (uint32_t)v;
    return 1;
}

int gguf_get_f64(const gguf_file *f, const char *key, double *out)
{
    const gguf_kv *kv = gguf_find_kv(f, key);
    if (!kv)
        return 0;
    if (kv->v.type == GGUF_TYPE_FLOAT32 || kv->v.type == GGUF_TYPE_FLOAT64) {
        *out = kv->v.f64;
        return 1;
    }
    return -1;
}

/* 0 when key is absent, -1 when its value is not of type t, else 1 with *v its value */
static int typed(const gguf_file *f, const char *key, uint32_t t, const gguf_value **v)
{
    const gguf_kv *kv = gguf_find_kv(f, key);
    *v = kv ? &kv->v : NULL;
    return !kv ? 0 : kv->v.type == t ? 1 : -1;
}

/* the getters of one GGUF type: typed(), then the value as the caller's type */
#define GGUF_GET_TYPED(name, ctype, vtype, value)                                                                    \
    int gguf_get_##name(const gguf_file *f, const char *key, ctype *out)                                           \
    {                                                                                                              \
        const gguf_value *v;                                                                                       \
        const int r = typed(f, key, vtype, &v);                                                                    \
        if (r == 1)                                                                                                \
            *out = value;                                                                                          \
        return r;                                                                                                  \
    }
GGUF_GET_TYPED(bool, bool, GGUF_TYPE_BOOL, v->b)
GGUF_GET_TYPED(str, gguf_str, GGUF_TYPE_STRING, v->str)
GGUF_GET_TYPED(arr, const gguf_array *, GGUF_TYPE_ARRAY, &v->arr)
#undef GGUF_GET_TYPED

/* A float converted to an integer without undefined behaviour (NaN -> 0, clamped). */
static int64_t f2i(double d)
{
    if (!(d == d))
        return 0;
    if (d >= 9.2e18)
        return INT64_MAX;
    if (d <= -9.2e18)
        return INT64_MIN;
    return (int64_t)d;
}

int64_t gguf_arr_i64(const gguf_array *a, uint64_t i)
{
    const uint8_t *p = (const uint8_t *)a->data + i * vtype_sizes[a->type];
    switch (a->type) {
    case GGUF_TYPE_UINT8: return p[0];
    case GGUF_TYPE_INT8: return (int8_t)p[0];
    case GGUF_TYPE_BOOL: return p[0] != 0;
    case GGUF_TYPE_UINT16: return el_rd16(p);
    case GGUF_TYPE_INT16: return (int16_t)el_rd16(p);
    case GGUF_TYPE_UINT32: return el_rd32(p);
    case GGUF_TYPE_INT32: return (int32_t)el_rd32(p);
    case GGUF_TYPE_UINT64: return (int64_t)el_rd64(p);
    case GGUF_TYPE_INT64: return (int64_t)el_rd64(p);
    case GGUF_TYPE_FLOAT32: return f2i(el_rdf32(p));
    case GGUF_TYPE_FLOAT64: return f2i(el_rdf64(p));
    default: return 0;
    }
}

uint64_t gguf_arr_u64(const gguf_array *a, uint64_t i)
{
    if (a->type == GGUF_TYPE_UINT64)
        return el_rd64((const uint8_t *)a->data + i * 8);
    return (uint64_t)gguf_arr_i64(a, i);
}

double gguf_arr_f64(const gguf_array *a, uint64_t i)
{
    const uint8_t *p = (const uint8_t *)a->data + i * vtype_sizes[a->type];
    if (a->type == GGUF_TYPE_FLOAT32)
        return el_rdf32(p);
    if (a->type == GGUF_TYPE_FLOAT64)
        return el_rdf64(p);
    if (a->type == GGUF_TYPE_UINT64)
        return (double)el_rd64(p);
    return (double)gguf_arr_i64(a, i);
}
