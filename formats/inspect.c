/*
 * formats/inspect.c - GGUF / safetensors description as JSON (see inspect.h).
 */
#include "formats/inspect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "core/json.h"
#include "core/util.h"
#include "formats/ggml_type.h"
#include "formats/safetensors.h"

static json_t *u64_json(uint64_t v)
{
    /* jansson integers are signed 64-bit: larger values are written as exact decimal strings. */
    if (v <= (uint64_t)INT64_MAX)
        return json_integer((json_int_t)v);
    char buf[24];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
    return json_string(buf);
}

static json_t *f64_json(double d)
{
    /* NaN and infinities are not JSON: spell them as strings. */
    if (d != d)
        return json_string("nan");
    if (d > 1.7976931348623157e308)
        return json_string("inf");
    if (d < -1.7976931348623157e308)
        return json_string("-inf");
    return json_real(d);
}

static json_t *array_json(const gguf_array *a)
{
    json_t *j = json_array();
    if (!j)
        return NULL;
    for (uint64_t i = 0; i < a->n; i++) {
        json_t *e;
        switch (a->type) {
        case GGUF_TYPE_STRING: e = el_json_str(a->strs[i].ptr, (size_t)a->strs[i].len); break;
        case GGUF_TYPE_ARRAY: e = array_json(&a->items[i].arr); break;
        case GGUF_TYPE_FLOAT32:
        case GGUF_TYPE_FLOAT64: e = f64_json(gguf_arr_f64(a, i)); break;
        case GGUF_TYPE_BOOL: e = json_boolean(gguf_arr_i64(a, i) != 0); break;
        case GGUF_TYPE_UINT64: e = u64_json(gguf_arr_u64(a, i)); break;
        default: e = json_integer(gguf_arr_i64(a, i)); break;
        }
        if (!e || json_array_append_new(j, e) != 0) {
            json_decref(j);
            return NULL;
        }
    }
    return j;
}

json_t *el_gguf_value_json(const gguf_value *v)
{
    switch (v->type) {
    case GGUF_TYPE_UINT8:
    case GGUF_TYPE_UINT16:
    case GGUF_TYPE_UINT32:
    case GGUF_TYPE_UINT64: return u64_json(v->u64);
    case GGUF_TYPE_INT8:
    case GGUF_TYPE_INT16:
    case GGUF_TYPE_INT32:
    case GGUF_TYPE_INT64: return json_integer(v->i64);
    case GGUF_TYPE_FLOAT32:
    case GGUF_TYPE_FLOAT64: return f64_json(v->f64);
    case GGUF_TYPE_BOOL: return json_boolean(v->b);
    case GGUF_TYPE_STRING: return el_json_str(v->str.ptr, (size_t)v->str.len);
    case GGUF_TYPE_ARRAY: return array_json(&v->arr);
    default: return json_null();
    }
}

const char *el_gguf_value_type(const gguf_value *v, char *buf, size_t cap)
{
    if (v->type != GGUF_TYPE_ARRAY) {
        snprintf(buf, cap, "%s", gguf_vtype_name(v->type));
        return buf;
    }
    snprintf(buf, cap, "arr[%s]", gguf_vtype_name(v->arr.type));
    return buf;
}

static json_t *totals_json(uint64_t n, uint64_t params, uint64_t bytes, json_t *types)
{
    json_t *t = json_object();
    if (!t) {
        json_decref(types);
        return NULL;
    }
    json_object_set_new(t, "tensors", u64_json(n));
    json_object_set_new(t, "parameters", u64_json(params));
    json_object_set_new(t, "bytes", u64_json(bytes));
    json_object_set_new(t, "bits_per_weight", json_real(params ? 8.0 * (double)bytes / (double)params : 0.0));
    json_object_set_new(t, "types", types);
    return t;
}

static void count_type(json_t *types, const char *name)
{
    json_t *c = json_object_get(types, name);
    json_object_set_new(types, name, json_integer(c ? json_integer_value(c) + 1 : 1));
}

static int inspect_gguf(const char *path, bool with_tensors, json_t **out, el_error *err)
{
    gguf_file *f = NULL;
    int rc = gguf_open(&f, path, err);
    if (rc)
        return rc;
    json_t *j = json_object(), *meta = json_object(), *mtypes = json_object(), *types = json_object();
    json_t *tensors = with_tensors ? json_array() : NULL;
    if (!j || !meta || !mtypes || !types || (with_tensors && !tensors))
        goto oom;
    json_object_set_new(j, "file", el_json_str(path, strlen(path)));
    json_object_set_new(j, "format", json_string("gguf"));
    json_object_set_new(j, "version", json_integer(f->version));
    json_object_set_new(j, "alignment", json_integer(f->alignment));
    json_object_set_new(j, "file_size", u64_json(f->file_size));
    json_object_set_new(j, "data_offset", u64_json(f->data_offset));
    json_object_set_new(j, "llama_cpp_layout", json_boolean(f->llama_cpp_layout));
    for (uint64_t i = 0; i < f->n_kv; i++) {
        const gguf_kv *kv = &f->kv[i];
        char *key = strndup(kv->key.ptr, (size_t)kv->key.len);
        json_t *v = el_gguf_value_json(&kv->v);
        char tb[32];
        if (!key || !v) {
            free(key);
            json_decref(v);
            goto oom;
        }
        /* Keys are looked up as C strings; jansson needs valid UTF-8 keys. */
        json_t *ks = el_json_str(key, strlen(key));
        const char *k = ks ? json_string_value(ks) : key;
        json_object_set_new(meta, k, v);
        json_object_set_new(mtypes, k, json_string(el_gguf_value_type(&kv->v, tb, sizeof tb)));
        json_decref(ks);
        free(key);
    }
    uint64_t params = 0, bytes = 0;
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        const gguf_tensor *t = &f->tensors[i];
        params += t->n_elements;
        bytes += t->size;
        count_type(types, el_type_name(t->type));
        if (!tensors)
            continue;
        json_t *shape = json_array();
        for (uint32_t d = 0; d < t->n_dims; d++)
            json_array_append_new(shape, json_integer(t->ne[d]));
        json_t *tj = json_object();
        if (!tj) {
            json_decref(shape);
            goto oom;
        }
        json_object_set_new(tj, "name", el_json_str(t->name, strlen(t->name)));
        json_object_set_new(tj, "shape", shape);
        json_object_set_new(tj, "type", json_string(el_type_name(t->type)));
        json_object_set_new(tj, "offset", u64_json(t->offset));
        json_object_set_new(tj, "bytes", u64_json(t->size));
        if (!tj || json_array_append_new(tensors, tj) != 0)
            goto oom;
    }
    json_object_set_new(j, "metadata", meta);
    json_object_set_new(j, "metadata_types", mtypes);
    if (tensors)
        json_object_set_new(j, "tensors", tensors);
    json_object_set_new(j, "totals", totals_json(f->n_tensors, params, bytes, types));
    gguf_close(f);
    *out = j;
    return EL_OK;
oom:
    json_decref(j);
    json_decref(meta);
    json_decref(mtypes);
    json_decref(types);
    json_decref(tensors);
    gguf_close(f);
    return EL_NOMEM(err);
}

static int inspect_safetensors(const char *path, bool with_tensors, json_t **out, el_error *err)
{
    st_model *m = NULL;
    int rc = st_model_open(&m, path, err);
    if (rc)
        return rc;
    json_t *j = json_object(), *shards = json_array(), *types = json_object();
    json_t *tensors = with_tensors ? json_array() : NULL;
    if (!j || !shards || !types || (with_tensors && !tensors)) {
        json_decref(j);
        json_decref(shards);
        json_decref(types);
        json_decref(tensors);
        st_model_close(m);
        return EL_NOMEM(err);
    }
    json_object_set_new(j, "file", el_json_str(path, strlen(path)));
    json_object_set_new(j, "format", json_string("safetensors"));
    for (int i = 0; i < m->n_shards; i++)
        json_array_append_new(shards, el_json_str(m->shards[i]->path, strlen(m->shards[i]->path)));
    json_object_set_new(j, "shards", shards);
    /* config.json beside the weights, when there is one */
    const char *first = m->shards[0]->path;
    const char *slash = strrchr(first, '/');
    char *dir = slash ? strndup(first, (size_t)(slash - first)) : strdup(".");
    char *cfg = dir ? el_path_join(dir, "config.json") : NULL;
    free(dir);
    if (cfg && el_path_exists(cfg)) {
        json_t *c = NULL;
        rc = el_json_load(cfg, 16u << 20, &c, err);
        if (rc) {
            free(cfg);
            json_decref(j);
            json_decref(types);
            json_decref(tensors);
            st_model_close(m);
            return rc;
        }
        json_object_set_new(j, "config", c);
    }
    free(cfg);
    if (m->shards[0]->metadata)
        json_object_set(j, "metadata", m->shards[0]->metadata);
    uint64_t params = 0, bytes = 0;
    for (uint64_t i = 0; i < m->n_tensors; i++) {
        const st_tensor *t = m->tensors[i];
        params += t->n_elements;
        bytes += t->end - t->begin;
        count_type(types, st_dtype_name(t->dtype));
        if (!tensors)
            continue;
        json_t *shape = json_array();
        for (uint32_t d = 0; d < t->n_dims; d++)
            json_array_append_new(shape, json_integer(t->shape[d]));
        json_t *tj = json_object();
        json_object_set_new(tj, "name", el_json_str(t->name, strlen(t->name)));
        json_object_set_new(tj, "shape", shape);
        json_object_set_new(tj, "dtype", json_string(st_dtype_name(t->dtype)));
        json_object_set_new(tj, "offset", u64_json(t->file_offset));
        json_object_set_new(tj, "bytes", u64_json(t->end - t->begin));
        json_object_set_new(tj, "file", json_string(el_basename(st_model_shard_path(m, t))));
        json_array_append_new(tensors, tj);
    }
    if (tensors)
        json_object_set_new(j, "tensors", tensors);
    json_object_set_new(j, "totals", totals_json(m->n_tensors, params, bytes, types));
    st_model_close(m);
    *out = j;
    return EL_OK;
}

int el_inspect(const char *path, bool with_tensors, json_t **out, el_error *err)
{
    *out = NULL;
    if (el_path_is_dir(path))
        return inspect_safetensors(path, with_tensors, out, err);
    /* Decide by content, not by name: the first four bytes of a GGUF are "GGUF". */
    el_map m;
    int rc = el_map_open(&m, path, err);
    if (rc)
        return rc;
    bool is_gguf = m.size >= 4 && memcmp(m.data, "GGUF", 4) == 0;
    el_map_close(&m);
    if (is_gguf)
        return inspect_gguf(path, with_tensors, out, err);
    if (el_ends_with(path, ".gguf"))
        return EL_FAIL(err, EL_EFORMAT, path, 0, "not a GGUF file (magic is not \"GGUF\")");
    return inspect_safetensors(path, with_tensors, out, err);
}
