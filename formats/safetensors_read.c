/*
 * formats/safetensors_read.c - safetensors reader (layout in safetensors.h).
 *
 * Layout of this file:
 *   1. dtypes
 *   2. one file: header length, JSON, per-tensor checks, overlap check
 *   3. a model: single file or shards from model.safetensors.index.json
 *   4. float conversion
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "core/half.h"
#include "core/json.h"
#include "core/util.h"
#include "formats/safetensors.h"

/* ---- 1. dtypes ----------------------------------------------------------------- */

static const struct {
    const char *name;
    uint8_t size;
    bool is_float;
} dtypes[ST_DTYPE_COUNT] = {
    [ST_BOOL] = {"BOOL", 1, false},       [ST_U8] = {"U8", 1, false},
    [ST_I8] = {"I8", 1, false},           [ST_F8_E5M2] = {"F8_E5M2", 1, true},
    [ST_F8_E4M3] = {"F8_E4M3", 1, true},  [ST_I16] = {"I16", 2, false},
    [ST_U16] = {"U16", 2, false},         [ST_F16] = {"F16", 2, true},
    [ST_BF16] = {"BF16", 2, true},        [ST_I32] = {"I32", 4, false},
    [ST_U32] = {"U32", 4, false},         [ST_F32] = {"F32", 4, true},
    [ST_F64] = {"F64", 8, true},          [ST_I64] = {"I64", 8, false},
    [ST_U64] = {"U64", 8, false},
};

const char *st_dtype_name(int d) { return d >= 0 && d < ST_DTYPE_COUNT ? dtypes[d].name : "?"; }
uint32_t st_dtype_size(int d) { return d >= 0 && d < ST_DTYPE_COUNT ? dtypes[d].size : 0; }
bool st_dtype_is_float(int d) { return d >= 0 && d < ST_DTYPE_COUNT && dtypes[d].is_float; }

int st_dtype_from_name(const char *name)
{
    for (int i = 0; i < ST_DTYPE_COUNT; i++)
        if (strcmp(dtypes[i].name, name) == 0)
            return i;
    return -1;
}

/* ---- 2. one file -------------------------------------------------------------- */

void st_close(st_file *f)
{
    if (!f)
        return;
    for (uint64_t i = 0; i < f->n_tensors; i++)
        free(f->tensors[i].name);
    free(f->tensors);
    json_decref(f->metadata);
    el_map_close(&f->map);
    free(f);
}

static int cmp_begin(const void *a, const void *b)
{
    const st_tensor *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

/* Parse one header entry into t (t->data is set by the caller, which has the base pointer). */
static int parse_entry(st_file *f, const char *name, json_t *e, st_tensor *t, uint64_t buf_size, el_error *err)
{
    const char *p = f->path;
    if (!json_is_object(e))
        return EL_FAIL(err, EL_EJSON, p, 8, "tensor '%s': header entry is not an object", name);
    const char *dt = el_json_get_str(e, "dtype");
    if (!dt)
        return EL_FAIL(err, EL_EJSON, p, 8, "tensor '%s': missing or non-string \"dtype\"", name);
    t->dtype = st_dtype_from_name(dt);
    if (t->dtype < 0)
        return EL_FAIL(err, EL_EUNSUPPORTED, p, 8, "tensor '%s': unknown dtype \"%s\"", name, dt);
    json_t *shape = json_object_get(e, "shape");
    if (!json_is_array(shape))
        return EL_FAIL(err, EL_EJSON, p, 8, "tensor '%s': missing or non-array \"shape\"", name);
    size_t nd = json_array_size(shape);
    if (nd > ST_MAX_DIMS)
        return EL_FAIL(err, EL_EUNSUPPORTED, p, 8, "tensor '%s': %zu dimensions (at most %d)", name, nd,
                       ST_MAX_DIMS);
    t->n_dims = (uint32_t)nd;
    uint64_t nel = 1;
    for (size_t d = 0; d < nd; d++) {
        json_t *v = json_array_get(shape, d);
        if (!json_is_integer(v) || json_integer_value(v) < 0)
            return EL_FAIL(err, EL_EJSON, p, 8, "tensor '%s': shape[%zu] is not a non-negative integer", name, d);
        t->shape[d] = (int64_t)json_integer_value(v);
        if (!el_mul64(nel, (uint64_t)t->shape[d], &nel))
            return EL_FAIL(err, EL_ERANGE, p, 8, "tensor '%s': element count overflows", name);
    }
    t->n_elements = nel;
    json_t *off = json_object_get(e, "data_offsets");
    if (!json_is_array(off) || json_array_size(off) != 2 || !json_is_integer(json_array_get(off, 0)) ||
        !json_is_integer(json_array_get(off, 1)))
        return EL_FAIL(err, EL_EJSON, p, 8, "tensor '%s': \"data_offsets\" must be [begin, end] integers", name);
    json_int_t b = json_integer_value(json_array_get(off, 0)), en = json_integer_value(json_array_get(off, 1));
    if (b < 0 || en < b)
        return EL_FAIL(err, EL_ERANGE, p, 8, "tensor '%s': data_offsets [%lld, %lld] are invalid", name,
                       (long long)b, (long long)en);
    t->begin = (uint64_t)b;
    t->end = (uint64_t)en;
    uint64_t bytes;
    if (!el_mul64(nel, dtypes[t->dtype].size, &bytes))
        return EL_FAIL(err, EL_ERANGE, p, 8, "tensor '%s': byte size overflows", name);
    if (bytes != t->end - t->begin)
        return EL_FAIL(err, EL_ESHAPE, p, 8,
                       "tensor '%s': shape x %s size is %llu bytes but data_offsets span %llu", name, dt,
                       (unsigned long long)bytes, (unsigned long long)(t->end - t->begin));
    if (t->end > buf_size)
        return EL_FAIL(err, EL_ETRUNC, p, (int64_t)(f->data_offset + t->begin),
                       "tensor '%s': data runs past the end of the file (ends at byte %llu of a %llu-byte buffer)", name,
                       (unsigned long long)t->end, (unsigned long long)buf_size);
    t->file_offset = f->data_offset + t->begin;
    t->name = strdup(name);
    if (!t->name)
        return EL_NOMEM(err);
    return EL_OK;
}

static int parse(st_file *f, const uint8_t *data, uint64_t size, el_error *err)
{
    const char *p = f->path;
    if (size < 8)
        return EL_FAIL(err, EL_ETRUNC, p, 0, "file is %llu bytes, too short for a safetensors header",
                       (unsigned long long)size);
    f->header_len = el_rd64(data);
    if (f->header_len > ST_MAX_HEADER)
        return EL_FAIL(err, EL_ERANGE, p, 0, "header length %llu exceeds the %u-byte limit",
                       (unsigned long long)f->header_len, ST_MAX_HEADER);
    if (f->header_len > size - 8)
        return EL_FAIL(err, EL_ETRUNC, p, 0, "header length %llu runs past the end of the %llu-byte file",
                       (unsigned long long)f->header_len, (unsigned long long)size);
    if (f->header_len < 2 || data[8] != '{')
        return EL_FAIL(err, EL_EFORMAT, p, 8, "not a safetensors file (header does not start with '{')");
    f->data_offset = 8 + f->header_len;
    uint64_t buf_size = size - f->data_offset;
    json_t *root = NULL;
    el_error jerr;
    el_error_clear(&jerr);
    if (el_json_parse((const char *)data + 8, (size_t)f->header_len, p, &root, &jerr)) {
        /* make the offset absolute */
        return EL_FAIL(err, EL_EJSON, p, jerr.offset >= 0 ? jerr.offset + 8 : 8, "header: %s", jerr.msg);
    }
    int rc = EL_OK;
    if (!json_is_object(root)) {
        rc = EL_FAIL(err, EL_EJSON, p, 8, "header is not a JSON object");
        goto out;
    }
    size_t n = json_object_size(root);
    f->tensors = calloc(n ? n : 1, sizeof *f->tensors);
    if (!f->tensors) {
        rc = EL_NOMEM(err);
        goto out;
    }
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val) {
        if (strcmp(key, "__metadata__") == 0) {
            if (!json_is_object(val)) {
                rc = EL_FAIL(err, EL_EJSON, p, 8, "\"__metadata__\" is not an object");
                goto out;
            }
            const char *mk;
            json_t *mv;
            json_object_foreach(val, mk, mv) {
                if (!json_is_string(mv)) {
                    rc = EL_FAIL(err, EL_EJSON, p, 8, "\"__metadata__\" value for '%s' is not a string", mk);
                    goto out;
                }
            }
            f->metadata = json_incref(val);
            continue;
        }
        st_tensor *t = &f->tensors[f->n_tensors];
        rc = parse_entry(f, key, val, t, buf_size, err);
        if (rc) {
            free(t->name);
            t->name = NULL;
            goto out;
        }
        t->data = data + t->file_offset;
        f->n_tensors++;
    }
    qsort(f->tensors, (size_t)f->n_tensors, sizeof *f->tensors, cmp_begin);
    for (uint64_t i = 1; i < f->n_tensors; i++) {
        const st_tensor *a = &f->tensors[i - 1], *b = &f->tensors[i];
        if (a->end > b->begin && a->end > a->begin && b->end > b->begin) {
            rc = EL_FAIL(err, EL_EFORMAT, p, (int64_t)b->file_offset, "tensors '%s' and '%s' overlap", a->name,
                         b->name);
            goto out;
        }
    }
out:
    json_decref(root);
    return rc;
}

int st_parse(st_file **out, const uint8_t *data, uint64_t size, const char *name, el_error *err)
{
    *out = NULL;
    st_file *f = calloc(1, sizeof *f);
    if (!f)
        return EL_NOMEM(err);
    f->path = name ? name : "";
    int rc = parse(f, data, size, err);
    if (rc) {
        st_close(f);
        return rc;
    }
    *out = f;
    return EL_OK;
}

/* st_parse on the mapped file, which the st_file then owns (the path in errors is the map's copy) */
int st_open(st_file **out, const char *path, el_error *err)
{
    *out = NULL;
    el_map map;
    int rc = el_map_open(&map, path, err);
    if (!rc)
        rc = st_parse(out, map.data, map.size, map.path, err);
    if (rc) {
        el_map_close(&map);
        return rc;
    }
    (*out)->map = map;
    return EL_OK;
}

/* ---- 3. models ------------------------------------------------------------------- */

void st_model_close(st_model *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->n_shards; i++)
        st_close(m->shards[i]);
    free(m->shards);
    free(m->tensors);
    el_strmap_free(&m->by_name);
    free(m->index_path);
    free(m);
}

static int add_shard(st_model *m, const char *path, el_error *err)
{
    st_file **s = realloc(m->shards, (size_t)(m->n_shards + 1) * sizeof *s);
    if (!s)
        return EL_NOMEM(err);
    m->shards = s;
    int rc = st_open(&m->shards[m->n_shards], path, err);
    if (rc)
        return rc;
    m->n_shards++;
    return EL_OK;
}

/* Index all tensors of all shards; a name in two shards is an error. */
static int build_index(st_model *m, el_error *err)
{
    uint64_t total = 0;
    for (int i = 0; i < m->n_shards; i++)
        total += m->shards[i]->n_tensors;
    m->tensors = malloc((size_t)(total ? total : 1) * sizeof *m->tensors);
    if (!m->tensors || !el_strmap_init(&m->by_name, (size_t)total))
        return EL_NOMEM(err);
    for (int i = 0; i < m->n_shards; i++) {
        st_file *f = m->shards[i];
        for (uint64_t j = 0; j < f->n_tensors; j++) {
            st_tensor *t = &f->tensors[j];
            t->shard = i;
            int64_t old = -1;
            int r = el_strmap_put(&m->by_name, t->name, strlen(t->name), (int64_t)m->n_tensors, &old);
            if (r < 0)
                return EL_NOMEM(err);
            if (r == 0)
                return EL_FAIL(err, EL_EDUP, f->path, -1, "tensor '%s' is also in %s", t->name,
                               m->shards[m->tensors[old]->shard]->path);
            m->tensors[m->n_tensors++] = t;
        }
    }
    return EL_OK;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int open_index(st_model *m, const char *index_path, el_error *err)
{
    json_t *root = NULL;
    int rc = el_json_load(index_path, 64u << 20, &root, err);
    if (rc)
        return rc;
    json_t *wm = json_object_get(root, "weight_map");
    if (!json_is_object(wm) || json_object_size(wm) == 0) {
        const bool empty = json_is_object(wm); /* asked before wm goes with root */
        json_decref(root);
        return EL_FAIL(err, EL_EJSON, index_path, -1, empty ? "\"weight_map\" is empty: no tensors" : "no \"weight_map\" object");
    }
    /* The shard files, each once, in sorted order (deterministic). */
    size_t n = json_object_size(wm), nf = 0;
    char **files = calloc(n ? n : 1, sizeof *files);
    if (!files) {
        json_decref(root);
        return EL_NOMEM(err);
    }
    const char *key;
    json_t *val;
    json_object_foreach(wm, key, val) {
        if (!json_is_string(val) || strchr(json_string_value(val), '/') || json_string_length(val) == 0) {
            rc = EL_FAIL(err, EL_EJSON, index_path, -1, "weight_map entry for '%s' is not a plain file name", key);
            goto out;
        }
        files[nf++] = (char *)json_string_value(val);
    }
    qsort(files, nf, sizeof *files, cmp_str);
    char *dir = strdup(index_path);
    if (!dir) {
        rc = EL_NOMEM(err);
        goto out;
    }
    char *slash = strrchr(dir, '/');
    if (slash)
        slash[1] = '\0';
    else
        dir[0] = '\0';
    for (size_t i = 0; i < nf && !rc; i++) {
        if (i > 0 && strcmp(files[i], files[i - 1]) == 0)
            continue;
        char *path = el_path_join(dir[0] ? dir : ".", files[i]);
        if (!path) {
            rc = EL_NOMEM(err);
            break;
        }
        if (!el_path_exists(path))
            rc = EL_FAIL(err, EL_EMISSING, index_path, -1, "shard '%s' listed in weight_map does not exist", files[i]);
        else
            rc = add_shard(m, path, err);
        free(path);
    }
    free(dir);
    if (!rc)
        rc = build_index(m, err);
    /* Every tensor in the map must be in the shard it names. */
    if (!rc) {
        json_object_foreach(wm, key, val) {
            const st_tensor *t = st_model_find(m, key);
            if (!t) {
                rc = EL_FAIL(err, EL_EMISSING, index_path, -1, "tensor '%s' is in weight_map but in no shard", key);
                break;
            }
            if (strcmp(el_basename(m->shards[t->shard]->path), json_string_value(val)) != 0) {
                rc = EL_FAIL(err, EL_EFORMAT, index_path, -1, "tensor '%s' is in %s, weight_map says %s", key,
                             el_basename(m->shards[t->shard]->path), json_string_value(val));
                break;
            }
        }
    }
out:
    free(files);
    json_decref(root);
    return rc;
}

/* The only *.safetensors file of a folder, for checkpoints with another name. */
static char *find_single(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char *found = NULL;
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] != '.' && el_ends_with(e->d_name, ".safetensors")) {
            count++;
            if (!found)
                found = el_path_join(dir, e->d_name);
        }
    }
    closedir(d);
    if (count != 1) {
        free(found);
        return NULL;
    }
    return found;
}

int st_model_open(st_model **out, const char *path, el_error *err)
{
    *out = NULL;
    st_model *m = calloc(1, sizeof *m);
    if (!m)
        return EL_NOMEM(err);
    int rc;
    if (el_path_is_dir(path)) {
        char *idx = el_path_join(path, "model.safetensors.index.json");
        char *single = el_path_join(path, "model.safetensors");
        if (!idx || !single) {
            free(idx);
            free(single);
            st_model_close(m);
            return EL_NOMEM(err);
        }
        if (el_path_exists(idx)) {
            m->index_path = idx;
            rc = open_index(m, idx, err);
            free(single);
        } else {
            free(idx);
            if (!el_path_exists(single)) {
                free(single);
                single = find_single(path);
            }
            if (!single)
                rc = EL_FAIL(err, EL_EMISSING, path, -1,
                             "no model.safetensors or model.safetensors.index.json in this folder");
            else if (!(rc = add_shard(m, single, err)))
                rc = build_index(m, err);
            free(single);
        }
    } else if (el_ends_with(path, ".index.json")) {
        m->index_path = strdup(path);
        rc = m->index_path ? open_index(m, path, err) : EL_NOMEM(err);
    } else {
        rc = add_shard(m, path, err);
        if (!rc)
            rc = build_index(m, err);
    }
    if (rc) {
        st_model_close(m);
        return rc;
    }
    *out = m;
    return EL_OK;
}

const st_tensor *st_model_find(const st_model *m, const char *name)
{
    int64_t i = el_strmap_get(&m->by_name, name, strlen(name));
    return i >= 0 ? m->tensors[i] : NULL;
}

const char *st_model_shard_path(const st_model *m, const st_tensor *t) { return m->shards[t->shard]->path; }

/* ---- 4. float conversion --------------------------------------------------------- */

int st_read_f32(const st_tensor *t, uint64_t first, uint64_t n, float *out, el_error *err)
{
    uint64_t end;
    if (!el_add64(first, n, &end) || end > t->n_elements)
        return EL_FAIL(err, EL_EINTERNAL, NULL, -1, "read of elements [%llu, +%llu) outside tensor '%s'",
                       (unsigned long long)first, (unsigned long long)n, t->name);
    const uint8_t *p = t->data + first * dtypes[t->dtype].size;
    switch (t->dtype) {
    case ST_F32:
        memcpy(out, p, (size_t)n * 4);
        break;
    case ST_F16:
        for (uint64_t i = 0; i < n; i++)
            out[i] = el_f16_to_f32(el_rd16(p + 2 * i));
        break;
    case ST_BF16:
        for (uint64_t i = 0; i < n; i++)
            out[i] = el_bf16_to_f32(el_rd16(p + 2 * i));
        break;
    case ST_F64:
        for (uint64_t i = 0; i < n; i++)
            out[i] = (float)el_rdf64(p + 8 * i);
        break;
    case ST_F8_E4M3:
        for (uint64_t i = 0; i < n; i++)
            out[i] = el_f8e4m3_to_f32(p[i]);
        break;
    case ST_F8_E5M2:
        for (uint64_t i = 0; i < n; i++)
            out[i] = el_f8e5m2_to_f32(p[i]);
        break;
    default:
        return EL_FAIL(err, EL_EUNSUPPORTED, NULL, -1, "tensor '%s' has dtype %s, not a float type", t->name,
                       dtypes[t->dtype].name);
    }
    return EL_OK;
}
