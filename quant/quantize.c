/*
 * quant/quantize.c - requantize a GGUF, one chunk of rows at a time (see quantize.h).
 *
 * Two passes over the tensor table: the plan (a type per tensor, every error found before a byte
 * is written), then the data, in file order, each chunk of rows quantized by the team and handed to
 * the writer. Per-row errors are kept per row and summed in row order, so the report is the same
 * for any thread count, as are the bytes.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "quant/quantize.h"

#include <math.h>
#include <omp.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "core/util.h"
#include "formats/convert.h"
#include "formats/ggml_type.h"
#include "formats/gguf.h"
#include "quant/quant.h"
#include "quant/search.h"

void el_quantize_result_free(el_quantize_result *r)
{
    free(r->tensors);
    r->tensors = NULL;
}

static bool is_float(uint32_t t) { return t == EL_TYPE_F32 || t == EL_TYPE_F16 || t == EL_TYPE_BF16; }

/* An architecture key as u32 ("llama.block_count"), 0 when absent. */
static uint32_t arch_u32(const gguf_file *g, const char *suffix)
{
    gguf_str arch;
    char key[96];
    uint32_t v = 0;
    if (gguf_get_str(g, "general.architecture", &arch) != 1 || arch.len > 40)
        return 0;
    snprintf(key, sizeof key, "%.*s.%s", (int)arch.len, arch.ptr, suffix);
    if (gguf_get_u32(g, key, &v) != 1)
        return 0;
    return v;
}

/* Patterns compiled, and the match data they share. */
typedef struct {
    pcre2_code *re[EL_QUANT_MAX_OVERRIDES];
    pcre2_match_data *md;
    int n;
} overrides;

static void overrides_free(overrides *v)
{
    for (int k = 0; k < v->n; k++)
        pcre2_code_free(v->re[k]);
    pcre2_match_data_free(v->md);
    v->n = 0;
}

static int overrides_compile(const el_quantize_opts *o, overrides *v, el_error *err)
{
    memset(v, 0, sizeof *v);
    for (int k = 0; k < o->n_overrides; k++) {
        int ec;
        PCRE2_SIZE eo;
        v->re[k] = pcre2_compile((PCRE2_SPTR)o->override_re[k], PCRE2_ZERO_TERMINATED, 0, &ec, &eo, NULL);
        if (!v->re[k]) {
            PCRE2_UCHAR msg[128];
            pcre2_get_error_message(ec, msg, sizeof msg);
            overrides_free(v);
            return EL_FAIL(err, EL_EUSAGE, NULL, -1, "--override '%s': %s at offset %zu", o->override_re[k], (const char *)msg,
                           (size_t)eo);
        }
        v->n = k + 1;
    }
    if (o->n_overrides && !(v->md = pcre2_match_data_create(4, NULL))) {
        overrides_free(v);
        return EL_NOMEM(err);
    }
    return EL_OK;
}

/*
 * The type of one tensor (r: name, source type and shape filled in): the recipe's, then --embd-type /
 * --output-type, then the first matching --override, then the fallback for its row length; the checks
 * that must pass before anything is written. path: the input, for the messages.
 */
static int plan_one(const el_quantize_opts *o, const el_recipe *rcp, const overrides *ov, const char *path,
                    el_qtensor_report *r, el_error *err)
{
    r->type = r->wanted = r->src_type;
    if (!el_recipe_quantizable(r->name, (int)r->n_dims))
        return EL_OK;
    uint32_t ty = el_recipe_type(rcp, r->name, r->ne[0]);
    if (o->embd_type >= 0 && strcmp(r->name, "token_embd.weight") == 0)
        ty = (uint32_t)o->embd_type;
    if (o->output_type >= 0 && strcmp(r->name, "output.weight") == 0)
        ty = (uint32_t)o->output_type;
    for (int k = 0; k < ov->n; k++)
        if (pcre2_match(ov->re[k], (PCRE2_SPTR)r->name, PCRE2_ZERO_TERMINATED, 0, 0, ov->md, NULL) >= 0) {
            ty = o->override_type[k];
            break;
        }
    r->wanted = ty;
    const uint32_t fit = el_recipe_fallback(ty, r->ne[0]);
    if (fit != ty && o->strict)
        return EL_FAIL(err, EL_ESHAPE, path, -1, "tensor '%s' has rows of %lld, not a multiple of %s's %u (--strict)", r->name,
                       (long long)r->ne[0], el_type_name(ty), el_type_get(ty)->block_size);
    if (fit == r->src_type)
        return EL_OK; /* already that type: copied */
    if (!is_float(r->src_type) && !o->allow_requantize)
        return EL_FAIL(err, EL_EUNSUPPORTED, path, -1,
                       "tensor '%s' is already quantized (%s); requantizing to %s loses quality twice, allow it with "
                       "--allow-requantize",
                       r->name, el_type_name(r->src_type), el_type_name(fit));
    r->type = fit;
    r->quantized = true;
    return EL_OK;
}

/* The imatrix entry of a tensor (NULL: none), checked against its rows. */
static int imatrix_of(const el_quantize_opts *o, el_qtensor_report *r, const float **w, el_error *err)
{
    const el_imatrix_entry *ie = el_imatrix_find(o->imatrix, r->name);
    *w = NULL;
    if (!ie)
        return EL_OK;
    if (ie->n != r->ne[0])
        return EL_FAIL(err, EL_ESHAPE, o->imatrix->source, -1, "entry '%s' has %lld values, the tensor's rows have %lld", r->name,
                       (long long)ie->n, (long long)r->ne[0]);
    r->imatrix = true;
    *w = ie->mean;
    return EL_OK;
}

/* The recipe for the options and the model's counts (head counts 0: unknown). */
static el_recipe recipe_of(const el_quantize_opts *o, bool has_output, uint32_t n_layer, uint32_t n_head, uint32_t n_head_kv)
{
    return (el_recipe){.mix = o->mix, .pure = o->pure, .has_output = has_output, .has_imatrix = o->imatrix != NULL,
                       .n_layer = (int)n_layer, .n_gqa = n_head && n_head_kv ? (int)(n_head / n_head_kv) : 1};
}

/* The type of every tensor of a GGUF input, and the checks that must pass before anything is written. */
static int plan(const el_quantize_opts *o, const gguf_file *in, const overrides *ov, el_qtensor_report *rep, el_error *err)
{
    const el_recipe rcp = recipe_of(o, gguf_find_tensor(in, "output.weight") != NULL, arch_u32(in, "block_count"),
                                    arch_u32(in, "attention.head_count"), arch_u32(in, "attention.head_count_kv"));
    int rc = EL_OK;
    for (uint64_t i = 0; i < in->n_tensors && !rc; i++) {
        const gguf_tensor *t = &in->tensors[i];
        el_qtensor_report *r = &rep[i];
        memset(r, 0, sizeof *r);
        snprintf(r->name, sizeof r->name, "%s", t->name);
        r->src_type = t->type;
        r->n_dims = t->n_dims;
        memcpy(r->ne, t->ne, sizeof r->ne);
        r->n_elements = t->n_elements;
        if (!el_qtraits_get(t->type))
            rc = EL_FAIL(err, EL_EUNSUPPORTED, in->path, -1, "tensor '%s' has type %s, which edgelm cannot read", t->name,
                         el_type_name(t->type));
        else
            rc = plan_one(o, &rcp, ov, in->path, r, err);
    }
    return rc;
}

/* Chunks of rows: up to this many bytes of floats per chunk (bounded memory for any matrix). */
#define CHUNK_FLOATS (4u << 20)

/* A quantized chunk waiting to be written, and the input rows it came from (dropped from memory once written). */
typedef struct {
    const uint8_t *buf;
    uint64_t size, in_off, in_len;
} pending_chunk;

static int flush(gguf_writer *w, gguf_file *in, pending_chunk *p, el_error *err)
{
    if (!p->size)
        return EL_OK;
    const int rc = gguf_writer_write(w, p->buf, p->size, err);
    /* the input rows are done with: drop them from memory (the mapping would otherwise keep the whole
     * input resident, and peak RSS would be the input's size) */
    el_map_advise(&in->map, p->in_off, p->in_len, EL_ADVISE_DONTNEED);
    p->size = 0;
    return rc;
}

int el_quantize(const el_quantize_opts *o, el_quantize_result *r, el_error *err)
{
    memset(r, 0, sizeof *r);
    gguf_file *in = NULL;
    gguf_writer *w = NULL;
    overrides ov = {0};
    float *src = NULL, *deq = NULL;
    double *row_sse = NULL, *row_max = NULL;
    uint8_t *outs[2] = {NULL, NULL};
    pending_chunk pend = {0};
    int rc = EL_OK;
    if ((rc = overrides_compile(o, &ov, err)))
        goto done;
    if ((rc = gguf_open(&in, o->in_path, err)))
        goto done;
    r->tensors = calloc((size_t)EL_MAX(in->n_tensors, 1), sizeof *r->tensors);
    if (!r->tensors) {
        rc = EL_NOMEM(err);
        goto done;
    }
    if ((rc = plan(o, in, &ov, r->tensors, err)))
        goto done;
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
            rc = gguf_add_u32(w, key, o->mix->ftype, err);
        else if (strcmp(key, "general.quantization_version") != 0)
            rc = gguf_add(w, key, &kv->v, err);
        free(key);
    }
    if (!rc && !gguf_find_kv(in, "general.file_type"))
        rc = gguf_add_u32(w, "general.file_type", o->mix->ftype, err);
    if (!rc)
        rc = gguf_add_u32(w, "general.quantization_version", 2, err);
    int64_t max_cols = 1;
    for (uint64_t i = 0; i < in->n_tensors && !rc; i++) {
        const gguf_tensor *t = &in->tensors[i];
        max_cols = EL_MAX(max_cols, t->ne[0]);
        rc = gguf_add_tensor(w, t->name, r->tensors[i].type, t->n_dims, t->ne, err);
    }
    if (!rc)
        rc = gguf_writer_begin_data(w, err);
    const int nt = o->threads > 0 ? o->threads : omp_get_max_threads();
    const int64_t chunk_rows = EL_MAX(1, (int64_t)CHUNK_FLOATS / max_cols);
    src = malloc((size_t)nt * (size_t)max_cols * sizeof(float));
    deq = malloc((size_t)nt * (size_t)max_cols * sizeof(float));
    /* two output buffers: one chunk is written while the next is quantized */
    outs[0] = malloc((size_t)chunk_rows * (size_t)max_cols * 4 + 64);
    outs[1] = malloc((size_t)chunk_rows * (size_t)max_cols * 4 + 64);
    row_sse = malloc((size_t)chunk_rows * sizeof *row_sse);
    row_max = malloc((size_t)chunk_rows * sizeof *row_max);
    if (!rc && (!src || !deq || !outs[0] || !outs[1] || !row_sse || !row_max))
        rc = EL_NOMEM(err);
    uint64_t total = 0, done_bytes = 0;
    for (uint64_t i = 0; i < in->n_tensors; i++)
        total += in->tensors[i].size;
    if (o->progress && !rc)
        el_progress_begin(o->progress, "quantize", "B", total);
    for (uint64_t i = 0; i < in->n_tensors && !rc; i++) {
        const gguf_tensor *t = &in->tensors[i];
        el_qtensor_report *rt = &r->tensors[i];
        r->n_tensors++;
        r->bytes_in += t->size;
        r->n_elements += t->n_elements;
        if (rt->wanted != rt->type)
            r->n_fallback++;
        if (!rt->quantized) {
            rt->bytes = t->size;
            if ((rc = flush(w, in, &pend, err)))
                break;
            rc = gguf_writer_write(w, t->data, t->size, err);
            el_map_advise(&in->map, in->data_offset + t->offset, t->size, EL_ADVISE_DONTNEED);
            r->bytes_out += t->size;
            done_bytes += t->size;
            if (o->progress)
                el_progress_set(o->progress, done_bytes);
            continue;
        }
        r->n_quantized++;
        const int64_t cols = t->ne[0], nrows = cols ? (int64_t)(t->n_elements / (uint64_t)cols) : 0;
        uint64_t in_rb, out_rb;
        el_type_row_bytes(t->type, (uint64_t)cols, &in_rb);
        el_type_row_bytes(rt->type, (uint64_t)cols, &out_rb);
        const el_qtraits *st = el_qtraits_get(t->type);
        const float *imw;
        if ((rc = imatrix_of(o, rt, &imw, err)))
            break;
        double sse = 0, mx = 0;
        for (int64_t r0 = 0; r0 < nrows && !rc; r0 += chunk_rows) {
            const int64_t r1 = EL_MIN(nrows, r0 + chunk_rows);
            uint8_t *out = pend.buf == outs[0] ? outs[1] : outs[0]; /* not the one still to be written */
            int wrc = EL_OK;
#pragma omp parallel num_threads(nt)
            {
                /* one thread writes the previous chunk, then joins the others */
#pragma omp single nowait
                wrc = flush(w, in, &pend, err);
#pragma omp for schedule(dynamic, 4)
                for (int64_t rr = r0; rr < r1; rr++) {
                    float *x = src + (size_t)omp_get_thread_num() * (size_t)max_cols;
                    float *y = deq + (size_t)omp_get_thread_num() * (size_t)max_cols;
                    uint8_t *q = out + (uint64_t)(rr - r0) * out_rb;
                    st->to_float(t->data + (uint64_t)rr * in_rb, x, cols);
                    el_quantize_row_best(rt->type, x, q, cols, imw, y);
                    el_quant_row_error(x, y, cols, &row_sse[rr - r0], &row_max[rr - r0]);
                }
            }
            if ((rc = wrc))
                break;
            for (int64_t rr = r0; rr < r1; rr++) {
                sse += row_sse[rr - r0];
                mx = row_max[rr - r0] > mx ? row_max[rr - r0] : mx;
            }
            pend = (pending_chunk){out, (uint64_t)(r1 - r0) * out_rb, in->data_offset + t->offset + (uint64_t)r0 * in_rb,
                                   (uint64_t)(r1 - r0) * in_rb};
            done_bytes += (uint64_t)(r1 - r0) * in_rb;
            if (o->progress)
                el_progress_set(o->progress, done_bytes);
        }
        rt->bytes = (uint64_t)nrows * out_rb;
        rt->rmse = t->n_elements ? sqrt(sse / (double)t->n_elements) : 0;
        rt->max_abs = mx;
        r->sse += sse;
        r->n_err_elements += t->n_elements;
        r->bytes_out += rt->bytes;
    }
    if (!rc)
        rc = flush(w, in, &pend, err);
    if (o->progress)
        el_progress_end(o->progress);
    if (!rc) {
        rc = gguf_writer_finish(w, err);
        w = NULL;
    }
done:
    gguf_writer_abort(w);
    overrides_free(&ov);
    free(src);
    free(deq);
    free(outs[0]);
    free(outs[1]);
    free(row_sse);
    free(row_max);
    gguf_close(in);
    if (rc)
        el_quantize_result_free(r);
    return rc;
}

/* ---- a Hugging Face folder: converted and quantized in one pass (formats/convert.c's hook) ---------------- */

typedef struct {
    const el_quantize_opts *o;
    const overrides *ov;
    el_quantize_result *r;
    const float **imw; /* per tensor */
    const char *dir;   /* for messages */
} hf_pass;

static int hf_plan(void *ud, const el_convert_model *m, el_convert_tensor *t, uint64_t n, el_error *err)
{
    hf_pass *h = ud;
    el_quantize_result *r = h->r;
    r->tensors = calloc((size_t)EL_MAX(n, 1), sizeof *r->tensors);
    h->imw = calloc((size_t)EL_MAX(n, 1), sizeof *h->imw);
    if (!r->tensors || !h->imw)
        return EL_NOMEM(err);
    bool has_output = false;
    for (uint64_t i = 0; i < n; i++)
        has_output |= strcmp(t[i].name, "output.weight") == 0;
    const el_recipe rcp = recipe_of(h->o, has_output, m->n_layer, m->n_head, m->n_head_kv);
    for (uint64_t i = 0; i < n; i++) {
        el_qtensor_report *rt = &r->tensors[i];
        snprintf(rt->name, sizeof rt->name, "%s", t[i].name);
        rt->src_type = t[i].src_type;
        rt->n_dims = t[i].n_dims;
        rt->ne[0] = t[i].ne[0];
        rt->ne[1] = t[i].n_dims > 1 ? t[i].ne[1] : 1;
        rt->ne[2] = rt->ne[3] = 1;
        rt->n_elements = (uint64_t)rt->ne[0] * (uint64_t)rt->ne[1];
        int rc = plan_one(h->o, &rcp, h->ov, h->dir, rt, err);
        if (!rc && rt->quantized)
            rc = imatrix_of(h->o, rt, &h->imw[i], err);
        if (rc)
            return rc;
        if (rt->quantized) {
            t[i].type = rt->type;
            t[i].own = true;
        } else {
            rt->type = rt->wanted = t[i].type; /* convert's (vectors and norms: F32) */
        }
        r->n_tensors++;
        r->n_quantized += rt->quantized;
        r->n_fallback += rt->wanted != rt->type;
        r->n_elements += rt->n_elements;
        r->bytes_in += rt->n_elements * el_type_get(rt->src_type)->type_size;
        uint64_t rb;
        el_type_row_bytes(rt->type, (uint64_t)rt->ne[0], &rb);
        rt->bytes = rb * (uint64_t)rt->ne[1];
        r->bytes_out += rt->bytes;
    }
    return EL_OK;
}

static void hf_row(void *ud, uint64_t i, const float *x, int64_t cols, float *scratch, uint8_t *out, double *sse, double *max_abs)
{
    const hf_pass *h = ud;
    el_quantize_row_best(h->r->tensors[i].type, x, out, cols, h->imw[i], scratch);
    el_quant_row_error(x, scratch, cols, sse, max_abs);
}

static void hf_done(void *ud, uint64_t i, double sse, double max_abs)
{
    hf_pass *h = ud;
    el_qtensor_report *rt = &h->r->tensors[i];
    rt->rmse = rt->n_elements ? sqrt(sse / (double)rt->n_elements) : 0;
    rt->max_abs = max_abs;
    h->r->sse += sse;
    h->r->n_err_elements += rt->n_elements;
}

int el_quantize_hf(const el_quantize_opts *o, const char *model_dir, el_quantize_result *r, el_error *err)
{
    memset(r, 0, sizeof *r);
    overrides ov;
    int rc = overrides_compile(o, &ov, err);
    if (rc)
        return rc;
    hf_pass h = {o, &ov, r, NULL, model_dir};
    const el_convert_hook hook = {&h, o->mix->ftype, hf_plan, hf_row, hf_done};
    el_convert_opts co = {.model_dir = model_dir, .out_path = o->out_path, .outtype = EL_OUTTYPE_AUTO, .threads = o->threads,
                          .progress = o->progress, .hook = &hook};
    el_convert_result cr;
    rc = el_convert(&co, &cr, err);
    free(h.imw);
    overrides_free(&ov);
    if (rc)
        el_quantize_result_free(r);
    return rc;
}

int el_quantize_pure(const el_quantize_pure_opts *p, el_quantize_result *r, el_error *err)
{
    /* the mix whose base is this type: "Q4_0", or "Q4_K_S" for Q4_K */
    char name[16];
    snprintf(name, sizeof name, "%s", el_type_name(p->type));
    const el_qmix *mix = el_qmix_find(name);
    if (!mix) {
        snprintf(name, sizeof name, "%s_S", el_type_name(p->type));
        mix = el_qmix_find(name);
    }
    if (!mix || !el_quant_can_write(p->type))
        return EL_FAIL(err, EL_EUNSUPPORTED, NULL, -1, "cannot quantize to %s", el_type_name(p->type));
    el_quantize_opts o = {.in_path = p->in_path, .out_path = p->out_path, .mix = mix, .pure = true, .output_type = -1,
                          .embd_type = -1, .strict = p->strict, .allow_requantize = true, .threads = p->threads};
    return el_quantize(&o, r, err);
}
