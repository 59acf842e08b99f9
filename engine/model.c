/*
 * engine/model.c - GGUF -> el_model (see model.h).
 *
 * Layout: 1. hyperparameters (llama.cpp's keys and defaults per architecture),
 * 2. tensors (names from the architecture table, shapes checked against the
 * hyperparameters, types against what the kernels compute), 3. load/free.
 */
#include "engine/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "engine/kernels/kernels.h"
#include "quant/quant.h"

/* ---- 1. hyperparameters ------------------------------------------------------------------------ */

typedef struct loader {
    el_model *m;
    const char *arch;
    el_error *err;
} loader;

/*
 * An integer hyperparameter `arch.suffix` into *out, in [lo, hi]: a value from the file is never
 * cast to int before it is known to fit (rope.dimension_count 2^31 became negative and passed).
 */
static int key_int(loader *L, const char *suffix, bool required, uint32_t def, int64_t lo, int64_t hi, int *out)
{
    char key[128];
    snprintf(key, sizeof key, "%s.%s", L->arch, suffix);
    uint32_t v = def;
    int r = gguf_get_u32(L->m->f, key, &v);
    if (r < 0)
        return EL_FAIL(L->err, EL_EFORMAT, L->m->path, -1, "%s must be an unsigned integer", key);
    if (r == 0 && required)
        return EL_FAIL(L->err, EL_EMISSING, L->m->path, -1, "missing metadata %s", key);
    if ((int64_t)v < lo || (int64_t)v > hi)
        return EL_FAIL(L->err, EL_ERANGE, L->m->path, -1, "%s is %u, outside %lld..%lld", key, v, (long long)lo,
                       (long long)hi);
    *out = (int)v;
    return EL_OK;
}

/* A float hyperparameter, finite and >= lo (and > lo when `strict`): rope.freq_base 0 made every
 * logit NaN. */
static int key_f32(loader *L, const char *suffix, float def, double lo, bool strict, float *out)
{
    char key[128];
    snprintf(key, sizeof key, "%s.%s", L->arch, suffix);
    double v;
    int r = gguf_get_f64(L->m->f, key, &v);
    if (r < 0)
        return EL_FAIL(L->err, EL_EFORMAT, L->m->path, -1, "%s must be a float", key);
    if (r == 0)
        v = def;
    if (!isfinite(v) || fabs(v) > 3e38 || v < lo || (strict && v == lo))
        return EL_FAIL(L->err, EL_ERANGE, L->m->path, -1, "%s is %g; it must be a finite number %s %g", key, v,
                       strict ? ">" : ">=", lo);
    *out = (float)v;
    return EL_OK;
}

static int load_hparams(loader *L, const el_arch *a)
{
    el_hparams *hp = &L->m->hp;
    int rc = EL_OK;
    if ((rc = key_int(L, "embedding_length", true, 0, 1, 1 << 20, &hp->n_embd)) ||
        (rc = key_int(L, "block_count", true, 0, 1, 4096, &hp->n_layer)) ||
        (rc = key_int(L, "feed_forward_length", true, 0, 1, 1 << 22, &hp->n_ff)) ||
        (rc = key_int(L, "attention.head_count", true, 0, 1, 4096, &hp->n_head)) ||
        (rc = key_int(L, "attention.head_count_kv", false, (uint32_t)hp->n_head, 1, hp->n_head, &hp->n_head_kv)))
        return rc;
    if (hp->n_head % hp->n_head_kv != 0)
        return EL_FAIL(L->err, EL_EFORMAT, L->m->path, -1, "inconsistent hyperparameters (heads %d/%d, layers %d, embd %d)",
                       hp->n_head, hp->n_head_kv, hp->n_layer, hp->n_embd);
    if ((rc = key_int(L, "attention.key_length", false, (uint32_t)(hp->n_embd / hp->n_head), 1, 4096, &hp->head_dim)) ||
        (rc = key_int(L, "attention.value_length", false, (uint32_t)hp->head_dim, 1, 4096, &hp->head_dim_v)))
        return rc;
    if (hp->head_dim_v != hp->head_dim)
        return EL_FAIL(L->err, EL_EUNSUPPORTED, L->m->path, -1, "different key and value head sizes are not supported");
    if ((rc = key_int(L, "rope.dimension_count", false, (uint32_t)hp->head_dim, 0, hp->head_dim, &hp->n_rot)))
        return rc;
    if (hp->n_rot % 2)
        return EL_FAIL(L->err, EL_EFORMAT, L->m->path, -1, "rope.dimension_count %d does not fit head size %d (it must be even)",
                       hp->n_rot, hp->head_dim);
    if ((rc = key_int(L, "context_length", false, 4096, 1, INT32_MAX, &hp->n_ctx_train)) ||
        (rc = key_int(L, "rope.scaling.original_context_length", false, (uint32_t)hp->n_ctx_train, 1, INT32_MAX,
                      &hp->n_ctx_orig)))
        return rc;
    if ((rc = key_f32(L, "rope.freq_base", 10000.0f, 0, true, &hp->rope_base)) ||
        (rc = key_f32(L, "attention.layer_norm_rms_epsilon", 1e-5f, 0, true, &hp->norm_eps)) ||
        (rc = key_f32(L, "rope.scaling.attn_factor", 1.0f, 0, true, &hp->rope_attn_factor)))
        return rc;
    hp->rope_freq_scale = 1.0f;
    char key[128];
    snprintf(key, sizeof key, "%s.rope.scaling.type", L->arch);
    gguf_str st;
    if (gguf_get_str(L->m->f, key, &st) == 1) {
        if (st.len == 6 && memcmp(st.ptr, "linear", 6) == 0) {
            float factor;
            if ((rc = key_f32(L, "rope.scaling.factor", 1.0f, 0, true, &factor)))
                return rc;
            hp->rope_freq_scale = 1.0f / factor;
        } else if (!(st.len == 4 && memcmp(st.ptr, "none", 4) == 0)) {
            return EL_FAIL(L->err, EL_EUNSUPPORTED, L->m->path, -1, "RoPE scaling '%.*s' is not supported yet", (int)st.len,
                           st.ptr);
        }
    }
    hp->rope_neox = a->rope_neox;
    hp->attn_scale = 1.0f / sqrtf((float)hp->head_dim);
    hp->embd_scale = 1.0f;
    if (a->softcaps && ((rc = key_f32(L, "attn_logit_softcapping", 0.0f, 0, false, &hp->attn_softcap)) ||
                        (rc = key_f32(L, "final_logit_softcapping", 0.0f, 0, false, &hp->final_softcap))))
        return rc;
    /* required where llama.cpp requires it (Gemma 3: without it every layer would attend globally) */
    if (a->swa_period && (rc = key_int(L, "attention.sliding_window", a->swa_rope_local, 0, 0, INT32_MAX, &hp->n_swa)))
        return rc;
    hp->rope_base_swa = hp->rope_base;
    hp->rope_freq_scale_swa = hp->rope_freq_scale;
    if (a->swa_rope_local) {
        /* llama.cpp: the windowed layers rotate with their own base (10000 unless the file says) and unscaled */
        if ((rc = key_f32(L, "rope.freq_base_swa", 10000.0f, 0, true, &hp->rope_base_swa)))
            return rc;
        hp->rope_freq_scale_swa = 1.0f;
    }
    if (a->embd_scale)
        hp->embd_scale = sqrtf((float)hp->n_embd);
    hp->geglu = a->gelu;
    /* llama.cpp: the 27B models (Gemma 2: 46 layers, Gemma 3: 62) scale queries by n_embd / n_head instead */
    if (a->big_layers && hp->n_layer == a->big_layers)
        hp->attn_scale = 1.0f / sqrtf((float)(hp->n_embd / hp->n_head));
    return EL_OK;
}

/* ---- 2. tensors --------------------------------------------------------------------------------- */

static float *own(loader *L, size_t n)
{
    el_model *m = L->m;
    if (m->n_owned == m->cap_owned) {
        int cap = m->cap_owned ? m->cap_owned * 2 : 64;
        float **o = realloc(m->owned, (size_t)cap * sizeof *o);
        if (!o)
            return NULL;
        m->owned = o;
        m->cap_owned = cap;
    }
    float *p = malloc(n * sizeof(float));
    if (p)
        m->owned[m->n_owned++] = p;
    return p;
}

/* A vector of n floats (any float type in the file), copied to f32. */
static int get_vec(loader *L, const char *name, int64_t n, bool required, const float **out)
{
    *out = NULL;
    const gguf_tensor *t = gguf_find_tensor(L->m->f, name);
    if (!t) {
        if (required)
            return EL_FAIL(L->err, EL_EMISSING, L->m->path, -1, "tensor '%s' is missing", name);
        return EL_OK;
    }
    if ((int64_t)t->n_elements != n || t->ne[0] != n)
        return EL_FAIL(L->err, EL_ESHAPE, L->m->path, -1, "tensor '%s' has %llu elements, expected %lld", name,
                       (unsigned long long)t->n_elements, (long long)n);
    float *p = own(L, (size_t)n);
    if (!p)
        return EL_NOMEM(L->err);
    if (!el_dequantize_row(t->type, t->data, p, n))
        return EL_FAIL(L->err, EL_EUNSUPPORTED, L->m->path, -1, "tensor '%s' has type %s", name, el_type_name(t->type));
    L->m->n_params += (uint64_t)n;
    *out = p;
    return EL_OK;
}

/* A matrix of `rows` x `cols`; the type must be one the kernels compute with. */
static int get_mat(loader *L, const char *name, int64_t cols, int64_t rows, bool required, el_wmat *out)
{
    memset(out, 0, sizeof *out);
    const gguf_tensor *t = gguf_find_tensor(L->m->f, name);
    if (!t) {
        if (required)
            return EL_FAIL(L->err, EL_EMISSING, L->m->path, -1, "tensor '%s' is missing", name);
        return EL_OK;
    }
    if (t->ne[0] != cols || t->ne[1] != rows || t->ne[2] != 1 || t->ne[3] != 1)
        return EL_FAIL(L->err, EL_ESHAPE, L->m->path, -1, "tensor '%s' is %lld x %lld, expected %lld x %lld", name,
                       (long long)t->ne[0], (long long)t->ne[1], (long long)cols, (long long)rows);
    const el_qtraits *q = el_qtraits_get(t->type);
    if (!q || !el_kernels_ref()->dot[t->type])
        return EL_FAIL(L->err, EL_EUNSUPPORTED, L->m->path, -1, "tensor '%s' has type %s, which edgelm cannot run", name,
                       el_type_name(t->type));
    out->data = t->data;
    out->type = t->type;
    out->name = t->name;
    out->ne0 = cols;
    out->ne1 = rows;
    uint64_t rb = 0;
    el_type_row_bytes(t->type, (uint64_t)cols, &rb);
    out->row_bytes = (size_t)rb;
    L->m->n_params += (uint64_t)(cols * rows);
    L->m->weight_bytes += t->size;
    return EL_OK;
}

/* A dimension of the table (formats/arch.h) for this model. */
static int64_t dim_of(el_dim d, const el_hparams *hp)
{
    const el_dims x = {hp->n_embd, hp->n_ff, hp->n_vocab, hp->n_head, hp->n_head_kv, hp->head_dim};
    return el_dim_of(d, &x);
}

/* The field of layer l a slot names: a matrix or a vector (the other NULL). */
static void slot_of(el_layer *l, el_slot s, el_wmat **mat, const float ***vec)
{
    *mat = NULL;
    *vec = NULL;
    switch (s) {
    case EL_S_ATTN_NORM: *vec = &l->attn_norm; break;
    case EL_S_WQ: *mat = &l->wq; break;
    case EL_S_BQ: *vec = &l->bq; break;
    case EL_S_WK: *mat = &l->wk; break;
    case EL_S_BK: *vec = &l->bk; break;
    case EL_S_WV: *mat = &l->wv; break;
    case EL_S_BV: *vec = &l->bv; break;
    case EL_S_WQKV: *mat = &l->wqkv; break;
    case EL_S_WO: *mat = &l->wo; break;
    case EL_S_BO: *vec = &l->bo; break;
    case EL_S_Q_NORM: *vec = &l->q_norm; break;
    case EL_S_K_NORM: *vec = &l->k_norm; break;
    case EL_S_POST_ATTN_NORM: *vec = &l->post_attn_norm; break;
    case EL_S_FFN_NORM: *vec = &l->ffn_norm; break;
    case EL_S_FFN_GATE: *mat = &l->ffn_gate; break;
    case EL_S_B_GATE: *vec = &l->b_gate; break;
    case EL_S_FFN_UP: *mat = &l->ffn_up; break;
    case EL_S_B_UP: *vec = &l->b_up; break;
    case EL_S_FFN_DOWN: *mat = &l->ffn_down; break;
    case EL_S_B_DOWN: *vec = &l->b_down; break;
    case EL_S_POST_FFW_NORM: *vec = &l->post_ffw_norm; break;
    default: break;
    }
}

/* Layer il's tensors as the family's row of the table lists them: GGUF names, shapes, which are
 * required (cond 0) and which are loaded when present (biases the config turned on). */
static int load_layer(loader *L, const el_arch *a, int il)
{
    const el_hparams *hp = &L->m->hp;
    el_layer *l = &L->m->layers[il];
    char n[96];
    int rc = EL_OK;
    for (int i = 0; i < a->n_tensors && !rc; i++) {
        const el_tensor_tmpl *t = &a->tensors[i];
        if (t->group != EL_T_LAYER)
            continue;
        el_wmat *mat;
        const float **vec;
        slot_of(l, t->slot, &mat, &vec);
        el_tensor_name(t->gguf, il, n, sizeof n);
        const bool req = t->cond == EL_IF_ALWAYS;
        if (mat)
            rc = get_mat(L, n, dim_of(t->cols, hp), dim_of(t->rows, hp), req, mat);
        else if (vec)
            rc = get_vec(L, n, dim_of(t->rows, hp), req, vec);
    }
    l->swa = hp->n_swa > 0 && el_arch_layer_swa(a, il);
    return rc;
}

/* ---- 3. load --------------------------------------------------------------------------------------- */

void el_model_free(el_model *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->n_owned; i++)
        free(m->owned[i]);
    free(m->owned);
    free(m->layers);
    gguf_close(m->f);
    free(m);
}

int el_model_load(el_model **out, const char *path, el_error *err)
{
    *out = NULL;
    el_model *m = calloc(1, sizeof *m);
    if (!m)
        return EL_NOMEM(err);
    snprintf(m->path, sizeof m->path, "%s", path);
    int rc = gguf_open(&m->f, path, err);
    if (rc) {
        el_model_free(m);
        return rc;
    }
    gguf_str archname;
    if (gguf_get_str(m->f, "general.architecture", &archname) != 1) {
        rc = EL_FAIL(err, EL_EMISSING, path, -1, "no general.architecture");
        goto fail;
    }
    const el_arch *a = el_arch_from_gguf(archname.ptr, (size_t)archname.len);
    if (!a) {
        rc = EL_FAIL(err, EL_EUNSUPPORTED, path, -1, "architecture '%.*s' is not supported (%s)",
                     (int)EL_MIN(archname.len, 64), archname.ptr, el_arch_gguf_list());
        goto fail;
    }
    m->arch = a;
    loader L = {m, a->gguf_name, err};
    if ((rc = load_hparams(&L, a)))
        goto fail;
    el_hparams *hp = &m->hp;
    const gguf_tensor *te = gguf_find_tensor(m->f, "token_embd.weight");
    if (!te) {
        rc = EL_FAIL(err, EL_EMISSING, path, -1, "tensor 'token_embd.weight' is missing");
        goto fail;
    }
    if (te->ne[1] < 1 || te->ne[1] > INT32_MAX) {
        rc = EL_FAIL(err, EL_EFORMAT, path, -1, "tensor 'token_embd.weight' holds %lld rows; a vocabulary needs 1 to %d",
                     (long long)te->ne[1], INT32_MAX);
        goto fail;
    }
    hp->n_vocab = (int)te->ne[1];
    if ((rc = get_mat(&L, "token_embd.weight", hp->n_embd, hp->n_vocab, true, &m->tok_embd)))
        goto fail;
    if ((rc = get_vec(&L, "output_norm.weight", hp->n_embd, true, &m->output_norm)))
        goto fail;
    if ((rc = get_mat(&L, "output.weight", hp->n_embd, hp->n_vocab, false, &m->output)))
        goto fail;
    if (!m->output.data)
        m->output = m->tok_embd; /* tied */
    if ((rc = get_vec(&L, "rope_freqs.weight", hp->n_rot / 2, false, &m->rope_freqs)) ||
        (rc = get_vec(&L, "rope_factors_long.weight", hp->n_rot / 2, false, &m->rope_long)) ||
        (rc = get_vec(&L, "rope_factors_short.weight", hp->n_rot / 2, false, &m->rope_short)))
        goto fail;
    m->layers = calloc((size_t)hp->n_layer, sizeof *m->layers);
    if (!m->layers) {
        rc = EL_NOMEM(err);
        goto fail;
    }
    for (int il = 0; il < hp->n_layer && !rc; il++)
        rc = load_layer(&L, a, il);
    if (rc)
        goto fail;
    *out = m;
    return EL_OK;
fail:
    el_model_free(m);
    return rc;
}

uint64_t el_model_bytes_per_token(const el_model *m)
{
    uint64_t b = m->tok_embd.row_bytes; /* one embedding row */
    if (m->output.data != m->tok_embd.data)
        b += m->output.row_bytes * (uint64_t)m->output.ne1;
    else
        b += m->tok_embd.row_bytes * (uint64_t)m->tok_embd.ne1;
    for (int i = 0; i < m->hp.n_layer; i++) {
        const el_layer *l = &m->layers[i];
        const el_wmat *w[] = {&l->wq, &l->wk, &l->wv, &l->wqkv, &l->wo, &l->ffn_gate, &l->ffn_up, &l->ffn_down};
        for (size_t k = 0; k < EL_ARRAY_LEN(w); k++)
            if (w[k]->data)
                b += w[k]->row_bytes * (uint64_t)w[k]->ne1;
    }
    return b;
}
