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
#include "formats/tstream.h"
#include "quant/blocks.h"
#include "quant/gptq.h"
#include "quant/grid.h"
#include "quant/quant.h"
#include "quant/search.h"

void el_quantize_result_free(el_quantize_result *r)
{
    free(r->tensors);
    r->tensors = NULL;
}

/* llama.cpp's LlamaFileType of a mostly-Q8_0 file (general.file_type) */
enum { FT_MOSTLY_Q8_0 = 7 };

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

/* ---- the rows: quant/'s side of the tensor stream (formats/tstream.h) ------------------------------------ */

/* A searching quantizer for one tensor: its type and imatrix weights, and with a hessian its input's
 * second moment (the output error) and GPTQ's factor and weights. */
typedef struct {
    uint32_t type;
    const float *imw;   /* NULL: none */
    const float *h;     /* NULL: no output error figures */
    const el_gptq *g;   /* NULL: no compensation */
    float *gimp;        /* with g: the search's weights per column (malloc'd) */
    el_gptq_quant gq;   /* with g: how its blocks are made */
} qenc;

/* aux[0..2]: the output error of the plain search, of the file's blocks, the output's energy */
static void encode_best(const void *ud, const float *x, int64_t cols, uint8_t *out, float *scratch, el_trow_stats *st)
{
    const qenc *e = ud;
    el_quantize_row_best(e->type, x, out, cols, e->imw, scratch);
    el_quant_row_error(x, scratch, cols, &st->sse, &st->max_abs);
    if (e->h) {
        double f[3];
        for (int64_t j = 0; j < cols; j++)
            scratch[j] = x[j] - scratch[j];
        el_gptq_forms(e->h, cols, scratch, x, NULL, f);
        st->aux[0] = st->aux[1] = f[0];
        st->aux[2] = f[1];
    }
}

static void gptq_block(const void *ud, const float *x, void *y, int bs, const float *w, float *deq)
{
    const qenc *e = ud;
    el_quantize_row_best(e->type, x, y, bs, w, deq);
}

static void encode_gptq(const void *ud, const float *x, int64_t cols, uint8_t *out, float *scratch, el_trow_stats *st)
{
    const qenc *e = ud;
    double f[3];
    /* the plain search first, for the figure GPTQ is measured against */
    el_quantize_row_best(e->type, x, out, cols, e->imw, scratch);
    for (int64_t j = 0; j < cols; j++)
        scratch[j] = x[j] - scratch[j];
    float *plain = malloc((size_t)cols * sizeof *plain); /* without it: two passes over H instead of one */
    if (plain) {
        memcpy(plain, scratch, (size_t)cols * sizeof *plain);
    } else {
        el_gptq_forms(e->h, cols, scratch, x, NULL, f);
        st->aux[0] = f[0];
        st->aux[2] = f[1];
    }
    el_gptq_row(e->g, &e->gq, e->gimp, x, out, scratch, &st->sse, &st->max_abs);
    if (plain) {
        el_gptq_forms(e->h, cols, scratch, plain, x, f);
        st->aux[0] = f[1];
        st->aux[2] = f[2];
        free(plain);
    } else {
        el_gptq_forms(e->h, cols, scratch, NULL, NULL, f);
    }
    st->aux[1] = f[0];
}

/* llama.cpp's converter's Q8_0: the reference quantizer (no search, no statistics). */
static void encode_q8_0_ref(const void *ud, const float *x, int64_t cols, uint8_t *out, float *scratch, el_trow_stats *st)
{
    (void)ud;
    (void)scratch;
    (void)st;
    el_qtraits_get(EL_TYPE_Q8_0)->from_float_ref(x, out, cols);
}

/* A GGUF tensor's rows as floats. */
typedef struct {
    const el_qtraits *traits;
    const uint8_t *data;
    uint64_t row_bytes;
    int64_t cols;
} gguf_rows;

static void gguf_row(const void *ud, int64_t r, float *x, float *scratch)
{
    const gguf_rows *g = ud;
    (void)scratch;
    g->traits->to_float(g->data + (uint64_t)r * g->row_bytes, x, g->cols);
}

/* A tensor's error figures once its rows are written, and the totals. */
static void account(el_quantize_result *r, el_qtensor_report *rt, double sse, double max_abs)
{
    rt->rmse = rt->n_elements ? sqrt(sse / (double)rt->n_elements) : 0;
    rt->max_abs = max_abs;
    r->sse += sse;
    r->n_err_elements += rt->n_elements;
}

/* The counts of a planned tensor (its bytes out from its type). */
static void count(el_quantize_result *r, el_qtensor_report *rt)
{
    uint64_t rb;
    el_type_row_bytes(rt->type, (uint64_t)rt->ne[0], &rb);
    rt->bytes = rb * (rt->ne[0] ? rt->n_elements / (uint64_t)rt->ne[0] : 0);
    r->n_tensors++;
    r->n_quantized += rt->quantized;
    r->n_fallback += rt->wanted != rt->type;
    r->n_elements += rt->n_elements;
    r->bytes_out += rt->bytes;
}

static int threads_of(const el_quantize_opts *o) { return o->threads > 0 ? o->threads : omp_get_max_threads(); }

/* The metadata of the input, with the mix's file type; the tensors with their new types. */
static int write_header(const el_quantize_opts *o, const gguf_file *in, const el_qtensor_report *rep, gguf_writer *w,
                        el_error *err)
{
    int rc = EL_OK;
    for (uint64_t i = 0; i < in->n_kv && !rc; i++) {
        const gguf_kv *kv = &in->kv[i];
        char *key = strndup(kv->key.ptr, (size_t)kv->key.len);
        if (!key)
            return EL_NOMEM(err);
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
    for (uint64_t i = 0; i < in->n_tensors && !rc; i++) {
        const gguf_tensor *t = &in->tensors[i];
        rc = gguf_add_tensor(w, t->name, rep[i].type, t->n_dims, t->ne, err);
    }
    if (!rc)
        rc = gguf_writer_begin_data(w, err);
    return rc;
}

/* The stream's view of an input tensor: copied as it is, or dequantized row by row and requantized. */
static int stream_of(const el_quantize_opts *o, const gguf_file *in, uint64_t i, el_qtensor_report *rt,
                     el_tstream_tensor *s, gguf_rows *g, qenc *e, el_error *err)
{
    const gguf_tensor *t = &in->tensors[i];
    const int64_t cols = t->ne[0];
    *s = (el_tstream_tensor){.type = rt->type, .cols = cols, .rows = cols ? (int64_t)(t->n_elements / (uint64_t)cols) : 0};
    s->src.map = &in->map;
    s->src.in_off = in->data_offset + t->offset;
    s->src.in_len = t->size;
    if (!rt->quantized) {
        s->src.copy = t->data;
        return EL_OK;
    }
    int rc = imatrix_of(o, rt, &e->imw, err);
    if (rc)
        return rc;
    e->type = rt->type;
    *g = (gguf_rows){el_qtraits_get(t->type), t->data, 0, cols};
    el_type_row_bytes(t->type, (uint64_t)cols, &g->row_bytes);
    s->src.row = gguf_row;
    s->src.row_ud = g;
    s->src.in_row_bytes = g->row_bytes;
    s->enc = encode_best;
    s->enc_ud = e;
    return EL_OK;
}

/* GPTQ's factors, one per input of the hessian (computed for the inputs a quantized matrix uses). */
typedef struct {
    el_gptq *f;
    int n;
} gptq_set;

static void gptq_set_free(gptq_set *gs, qenc *encs, uint64_t n)
{
    for (int i = 0; i < gs->n; i++)
        el_gptq_free(&gs->f[i]);
    free(gs->f);
    gs->f = NULL;
    gs->n = 0;
    for (uint64_t i = 0; encs && i < n; i++)
        free(encs[i].gimp);
}

/*
 * With a hessian, the encoders of the quantized matrices it has an input for: output error figures for
 * each, and GPTQ for those quantized into a block type (not token_embd: the model looks its rows up, no
 * product with an input compensates them). A tensor whose encs[i].g is set then takes encode_gptq (encoder_of).
 */
static int gptq_setup(const el_quantize_opts *o, el_qtensor_report *rep, qenc *encs, uint64_t n, gptq_set *gs, el_error *err)
{
    const el_hessian *h = o->hessian;
    if (!h)
        return EL_OK;
    if (!(gs->f = calloc((size_t)(h->n_in ? h->n_in : 1), sizeof *gs->f)))
        return EL_NOMEM(err);
    gs->n = h->n_in;
    const double damp = o->gptq_damp > 0 ? o->gptq_damp : 0.01;
    for (uint64_t i = 0; i < n; i++) {
        el_qtensor_report *rt = &rep[i];
        const int mi = el_hessian_find_matrix(h, rt->name);
        if (!rt->quantized || mi < 0 || h->m[mi].input < 0)
            continue;
        const int k = h->m[mi].input;
        const el_hessian_input *in = &h->in[k];
        if (in->n != rt->ne[0])
            return EL_FAIL(err, EL_ESHAPE, h->source, -1, "input of '%s' has %lld values, the tensor's rows have %lld", rt->name,
                           (long long)in->n, (long long)rt->ne[0]);
        encs[i].h = in->mean;
        if (!el_qgrid_has(rt->type) || strcmp(rt->name, "token_embd.weight") == 0)
            continue;
        if (!gs->f[k].u) {
            el_error e2;
            el_error_clear(&e2);
            const int rc = el_gptq_factor(&gs->f[k], in->mean, in->n, damp, threads_of(o), &e2);
            if (rc == EL_ENOMEM)
                return EL_NOMEM(err);
            if (rc) /* nothing to compensate (an input never seen): quantized as without GPTQ */
                continue;
        }
        const el_type_info *ti = el_type_get(rt->type);
        qenc *e = &encs[i];
        e->g = &gs->f[k];
        e->gq = (el_gptq_quant){gptq_block, e, rt->type, (int)ti->block_size, ti->type_size};
        if (!(e->gimp = malloc((size_t)in->n * sizeof *e->gimp)))
            return EL_NOMEM(err);
        el_gptq_col_importance(e->g, e->gimp);
        rt->gptq = true;
    }
    return EL_OK;
}

/* A quantized tensor's encoder once gptq_setup has run. */
static el_tenc_fn encoder_of(const qenc *e, el_tenc_fn plain) { return e->g ? encode_gptq : plain; }

/* The output error figures of a tensor once written. */
static void account_out(el_qtensor_report *rt, const qenc *e, const double aux[3])
{
    if (!e->h)
        return;
    rt->out_err_plain = aux[0];
    rt->out_err = aux[1];
    rt->out_energy = aux[2];
}

int el_quantize(const el_quantize_opts *o, el_quantize_result *r, el_error *err)
{
    memset(r, 0, sizeof *r);
    gguf_file *in = NULL;
    gguf_writer *w = NULL;
    overrides ov = {0};
    el_tstream_tensor *st = NULL;
    gguf_rows *rows = NULL;
    qenc *encs = NULL;
    gptq_set gs = {0};
    int rc = EL_OK;
    if ((rc = overrides_compile(o, &ov, err)) || (rc = gguf_open(&in, o->in_path, err)))
        goto done;
    const size_t n = (size_t)EL_MAX(in->n_tensors, 1);
    r->tensors = calloc(n, sizeof *r->tensors);
    st = calloc(n, sizeof *st);
    rows = calloc(n, sizeof *rows);
    encs = calloc(n, sizeof *encs);
    if (!r->tensors || !st || !rows || !encs) {
        rc = EL_NOMEM(err);
        goto done;
    }
    if ((rc = plan(o, in, &ov, r->tensors, err)))
        goto done;
    for (uint64_t i = 0; i < in->n_tensors && !rc; i++) {
        rc = stream_of(o, in, i, &r->tensors[i], &st[i], &rows[i], &encs[i], err);
        count(r, &r->tensors[i]);
        r->bytes_in += in->tensors[i].size;
    }
    if (!rc && (rc = gptq_setup(o, r->tensors, encs, in->n_tensors, &gs, err)) == EL_OK)
        for (uint64_t i = 0; i < in->n_tensors; i++)
            st[i].enc = encoder_of(&encs[i], st[i].enc);
    if (rc || (rc = gguf_writer_open(&w, o->out_path, err)) || (rc = write_header(o, in, r->tensors, w, err)))
        goto done;
    const el_tstream_opts so = {.threads = threads_of(o), .dynamic = true, .team_writes = true,
                                .progress = o->progress, .label = "quantize"};
    if ((rc = el_tstream_write(w, st, in->n_tensors, &so, err)))
        goto done;
    for (uint64_t i = 0; i < in->n_tensors; i++)
        if (r->tensors[i].quantized) {
            account(r, &r->tensors[i], st[i].sse, st[i].max_abs);
            account_out(&r->tensors[i], &encs[i], st[i].aux);
        }
    rc = gguf_writer_finish(w, err);
    w = NULL;
done:
    gguf_writer_abort(w);
    gptq_set_free(&gs, encs, in ? in->n_tensors : 0);
    overrides_free(&ov);
    free(st);
    free(rows);
    free(encs);
    gguf_close(in);
    if (rc)
        el_quantize_result_free(r);
    return rc;
}

/* ---- a Hugging Face folder: a plan for formats/convert.c's tensors ---------------------------------------- */

/* Each tensor of the conversion given the type the options choose, and a quantizer when it changes. */
static int plan_hf(const el_quantize_opts *o, const overrides *ov, const char *dir, el_convert_model m, el_convert_tensor *t,
                   uint64_t n, qenc *encs, el_quantize_result *r, el_error *err)
{
    bool has_output = false;
    for (uint64_t i = 0; i < n; i++)
        has_output |= strcmp(t[i].name, "output.weight") == 0;
    const el_recipe rcp = recipe_of(o, has_output, m.n_layer, m.n_head, m.n_head_kv);
    for (uint64_t i = 0; i < n; i++) {
        el_qtensor_report *rt = &r->tensors[i];
        snprintf(rt->name, sizeof rt->name, "%s", t[i].name);
        rt->src_type = t[i].src_type;
        rt->n_dims = t[i].n_dims;
        rt->ne[0] = t[i].ne[0];
        rt->ne[1] = t[i].n_dims > 1 ? t[i].ne[1] : 1;
        rt->ne[2] = rt->ne[3] = 1;
        rt->n_elements = (uint64_t)rt->ne[0] * (uint64_t)rt->ne[1];
        int rc = plan_one(o, &rcp, ov, dir, rt, err);
        if (!rc && rt->quantized)
            rc = imatrix_of(o, rt, &encs[i].imw, err);
        if (rc)
            return rc;
        if (rt->quantized) {
            encs[i].type = t[i].type = rt->type;
            t[i].enc = encode_best;
            t[i].enc_ud = &encs[i];
        } else {
            rt->type = rt->wanted = t[i].type; /* convert's (vectors and norms: F32) */
        }
        count(r, rt);
        r->bytes_in += rt->n_elements * el_type_get(rt->src_type)->type_size;
    }
    return EL_OK;
}

int el_quantize_hf(const el_quantize_opts *o, const char *model_dir, el_quantize_result *r, el_error *err)
{
    memset(r, 0, sizeof *r);
    overrides ov;
    int rc = overrides_compile(o, &ov, err);
    if (rc)
        return rc;
    const el_convert_opts co = {.model_dir = model_dir, .out_path = o->out_path, .outtype = EL_OUTTYPE_AUTO,
                                .threads = o->threads, .progress = o->progress};
    el_conversion *cv = NULL;
    qenc *encs = NULL;
    uint64_t n = 0;
    el_convert_tensor *t = NULL;
    if (!(rc = el_convert_open(&cv, &co, err))) {
        t = el_conversion_tensors(cv, &n);
        r->tensors = calloc((size_t)EL_MAX(n, 1), sizeof *r->tensors);
        encs = calloc((size_t)EL_MAX(n, 1), sizeof *encs);
        rc = !r->tensors || !encs ? EL_NOMEM(err) : plan_hf(o, &ov, model_dir, el_conversion_model(cv), t, n, encs, r, err);
    }
    gptq_set gs = {0};
    if (!rc && (rc = gptq_setup(o, r->tensors, encs, n, &gs, err)) == EL_OK)
        for (uint64_t i = 0; i < n; i++)
            t[i].enc = encoder_of(&encs[i], t[i].enc);
    el_convert_result cr;
    if (!rc)
        rc = el_convert_write(cv, o->mix->ftype, &cr, err);
    for (uint64_t i = 0; i < n && !rc; i++)
        if (r->tensors[i].quantized) {
            account(r, &r->tensors[i], t[i].sse, t[i].max_abs);
            account_out(&r->tensors[i], &encs[i], t[i].aux);
        }
    el_convert_close(cv);
    gptq_set_free(&gs, encs, n);
    free(encs);
    overrides_free(&ov);
    if (rc)
        el_quantize_result_free(r);
    return rc;
}

int el_convert_q8_0(const el_convert_opts *o, el_convert_result *r, el_error *err)
{
    memset(r, 0, sizeof *r);
    el_convert_opts co = *o;
    co.outtype = EL_TYPE_F16; /* convert's matrices as F16: the fallback of rows that are not Q8_0 blocks */
    el_conversion *cv;
    int rc = el_convert_open(&cv, &co, err);
    if (rc)
        return rc;
    uint64_t n;
    el_convert_tensor *t = el_conversion_tensors(cv, &n);
    uint32_t n_fallbacks = 0;
    char fallbacks[sizeof r->fallbacks] = "";
    for (uint64_t i = 0; i < n; i++) {
        if (t[i].type != EL_TYPE_F16)
            continue; /* vectors, norms and biases: F32 */
        if (t[i].ne[0] % QK8_0 == 0) {
            t[i].type = EL_TYPE_Q8_0;
            t[i].enc = encode_q8_0_ref;
            continue;
        }
        n_fallbacks++;
        const size_t len = strlen(fallbacks);
        if (len + strlen(t[i].name) + 3 < sizeof fallbacks)
            snprintf(fallbacks + len, sizeof fallbacks - len, "%s%s", len ? ", " : "", t[i].name);
    }
    rc = el_convert_write(cv, FT_MOSTLY_Q8_0, r, err);
    el_convert_close(cv);
    r->n_fallbacks = n_fallbacks;
    memcpy(r->fallbacks, fallbacks, sizeof fallbacks);
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
