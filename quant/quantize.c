/*
 * quant/quantize.c - requantize a GGUF, one chunk of rows at a time (see quantize.h).
 */
#include "quant/quantize.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "formats/ggml_type.h"
#include "formats/gguf.h"
#include "quant/quant.h"

uint32_t el_ftype_of(uint32_t type)
{
    switch (type) {
    case EL_TYPE_F32: return 0;
    case EL_TYPE_F16: return 1;
    case EL_TYPE_Q4_0: return 2;
    case EL_TYPE_Q4_1: return 3;
    case EL_TYPE_Q8_0: return 7;
    case EL_TYPE_Q5_0: return 8;
    case EL_TYPE_Q5_1: return 9;
    case EL_TYPE_Q2_K: return 10;
    case EL_TYPE_Q3_K: return 11;
    case EL_TYPE_Q4_K: return 14;
    case EL_TYPE_Q5_K: return 16;
    case EL_TYPE_Q6_K: return 18;
    case EL_TYPE_BF16: return 32;
    default: return 0;
    }
}

static bool is_matrix(const gguf_tensor *t)
{
    size_t n = strlen(t->name);
    bool norm = n >= 12 && strcmp(t->name + n - 12, "_norm.weight") == 0;
    return t->n_dims >= 2 && !norm && n > 7 && strcmp(t->name + n - 7, ".weight") == 0;
}

int el_quantize_pure(const el_quantize_opts *o, el_quantize_result *r, el_error *err)
{
    memset(r, 0, sizeof *r);
    const el_qtraits *target = el_qtraits_get(o->type);
    if (!target || !target->from_float_ref)
        return EL_FAIL(err, EL_EUNSUPPORTED, NULL, -1, "cannot quantize to %s", el_type_name(o->type));
    gguf_file *in = NULL;
    gguf_writer *w = NULL;
    uint32_t *types = NULL;
    float *rows = NULL;
    uint8_t *out = NULL;
    int rc = gguf_open(&in, o->in_path, err);
    if (rc)
        return rc;
    if ((rc = gguf_writer_open(&w, o->out_path, err)))
        goto done;
    for (uint64_t i = 0; i < in->n_kv && !rc; i++) {
        const gguf_kv *kv = &in->kv[i];
        char *key = strndup(kv->key.ptr, (size_t)kv->key.len);
        if (!key) {
            rc = EL_NOMEM(err);
            break;
        }
        if (strcmp(key, "general.file_type") == 0)
            rc = gguf_add_u32(w, key, el_ftype_of(o->type), err);
        else
            rc = gguf_add(w, key, &kv->v, err);
        free(key);
    }
    types = malloc((size_t)EL_MAX(in->n_tensors, 1) * sizeof *types);
    if (!types && !rc)
        rc = EL_NOMEM(err);
    int64_t max_cols = 1;
    for (uint64_t i = 0; i < in->n_tensors && !rc; i++) {
        const gguf_tensor *t = &in->tensors[i];
        if (!el_qtraits_get(t->type)) {
            rc = EL_FAIL(err, EL_EUNSUPPORTED, in->path, -1, "tensor '%s' has type %s, which cannot be read", t->name,
                         el_type_name(t->type));
            break;
        }
        uint32_t ty = EL_TYPE_F32;
        if (is_matrix(t)) {
            ty = o->type;
            if (t->ne[0] % el_type_get(ty)->block_size != 0) {
                if (o->strict) {
                    rc = EL_FAIL(err, EL_ESHAPE, in->path, -1, "tensor '%s' rows of %lld do not fit %s blocks of %u",
                                 t->name, (long long)t->ne[0], el_type_name(ty), el_type_get(ty)->block_size);
                    break;
                }
                ty = EL_TYPE_F16;
                r->n_fallback++;
            } else {
                r->n_quantized++;
            }
        }
        types[i] = ty;
        max_cols = EL_MAX(max_cols, t->ne[0]);
        rc = gguf_add_tensor(w, t->name, ty, t->n_dims, t->ne, err);
    }
    if (!rc)
        rc = gguf_writer_begin_data(w, err);
    const int nt = o->threads > 0 ? o->threads : omp_get_max_threads();
    const int64_t chunk_rows_max = 256;
    rows = malloc((size_t)nt * (size_t)max_cols * sizeof(float));
    out = malloc((size_t)chunk_rows_max * (size_t)max_cols * 4 + 64);
    if (!rc && (!rows || !out))
        rc = EL_NOMEM(err);
    for (uint64_t i = 0; i < in->n_tensors && !rc; i++) {
        const gguf_tensor *t = &in->tensors[i];
        const int64_t cols = t->ne[0], nrows = cols ? (int64_t)(t->n_elements / (uint64_t)cols) : 0;
        uint64_t in_rb, out_rb;
        el_type_row_bytes(t->type, (uint64_t)cols, &in_rb);
        el_type_row_bytes(types[i], (uint64_t)cols, &out_rb);
        const el_qtraits *src = el_qtraits_get(t->type), *dst = el_qtraits_get(types[i]);
        r->bytes_in += t->size;
        for (int64_t r0 = 0; r0 < nrows && !rc; r0 += chunk_rows_max) {
            const int64_t r1 = EL_MIN(nrows, r0 + chunk_rows_max);
#pragma omp parallel for num_threads(nt) schedule(static)
            for (int64_t rr = r0; rr < r1; rr++) {
                float *x = rows + (size_t)omp_get_thread_num() * (size_t)max_cols;
                src->to_float(t->data + (uint64_t)rr * in_rb, x, cols);
                dst->from_float_ref(x, out + (uint64_t)(rr - r0) * out_rb, cols);
            }
            rc = gguf_writer_write(w, out, (uint64_t)(r1 - r0) * out_rb, err);
            r->bytes_out += (uint64_t)(r1 - r0) * out_rb;
        }
        r->n_tensors++;
    }
    if (!rc) {
        rc = gguf_writer_finish(w, err);
        w = NULL;
    }
done:
    gguf_writer_abort(w);
    free(types);
    free(rows);
    free(out);
    gguf_close(in);
    return rc;
}
