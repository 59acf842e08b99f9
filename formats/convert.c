/*
 * formats/convert.c - Hugging Face checkpoint -> GGUF (see convert.h).
 *
 * Layout of this file:
 *   1. the plan: which GGUF tensors, from which source tensors, with what
 *      transform and type; shape and presence checks against the config
 *   2. generated tensors (Llama 3 rope_freqs, Phi-3 long/short rope factors)
 *   3. metadata, per architecture, in llama.cpp's keys
 *   4. streaming one tensor: rows -> f32 -> transform -> output type
 *   5. el_convert()
 */
#include "formats/convert.h"

#include <jansson.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "core/fp_rows.h"
#include "core/half.h"
#include "core/json.h"
#include "core/util.h"
#include "core/writeq.h"
#include "formats/arch.h"
#include "formats/ggml_type.h"
#include "formats/gguf.h"
#include "formats/hf_config.h"
#include "formats/safetensors.h"
#include "formats/vocab.h"
#include "quant/quant_ref.h"

/* llama.cpp's LlamaFileType values for general.file_type. */
enum { FT_ALL_F32 = 0, FT_MOSTLY_F16 = 1, FT_MOSTLY_Q8_0 = 7, FT_MOSTLY_BF16 = 32 };

/* ---- 1. the plan ---------------------------------------------------------------------- */

typedef struct out_tensor {
    char name[GGUF_MAX_NAME];
    const st_tensor *src;   /* NULL for generated tensors */
    float *gen;             /* generated values (owned), when src is NULL */
    uint32_t type;          /* output ggml type */
    uint32_t n_dims;
    int64_t ne[2];          /* GGUF order: ne[0] = columns */
    int permute_heads;      /* > 0: llama.cpp's Q/K row permutation over this many heads */
    bool add_one;           /* Gemma norm: stored w, applied as 1 + w */
    bool hooked;            /* rows written by the hook (el_convert_hook) */
} out_tensor;

typedef struct plan {
    out_tensor *t;
    uint64_t n, cap;
} plan;

static void plan_free(plan *p)
{
    for (uint64_t i = 0; i < p->n; i++)
        free(p->t[i].gen);
    free(p->t);
    memset(p, 0, sizeof *p);
}

static out_tensor *plan_add(plan *p, el_error *err)
{
    if (p->n == p->cap) {
        uint64_t cap = p->cap ? p->cap * 2 : 256;
        out_tensor *t = realloc(p->t, (size_t)cap * sizeof *t);
        if (!t) {
            EL_NOMEM(err);
            return NULL;
        }
        p->t = t;
        p->cap = cap;
    }
    out_tensor *t = &p->t[p->n++];
    memset(t, 0, sizeof *t);
    return t;
}

/* Names a checkpoint may carry that no converter writes. */
static bool ignorable(const char *name)
{
    return el_ends_with(name, ".rotary_emb.inv_freq") || el_ends_with(name, ".attention.masked_bias") ||
           el_ends_with(name, ".attention.bias");
}

static int dtype_ok(const st_tensor *t, const char *path, el_error *err)
{
    if (t->dtype == ST_F32 || t->dtype == ST_F16 || t->dtype == ST_BF16 || t->dtype == ST_F64)
        return EL_OK;
    if (t->dtype == ST_F8_E4M3 || t->dtype == ST_F8_E5M2)
        return EL_FAIL(err, EL_EUNSUPPORTED, path, (int64_t)t->file_offset,
                       "tensor '%s' is %s: FP8 checkpoints keep their scales in separate tensors, which llama.cpp "
                       "has no layout for; convert the checkpoint to bf16 first",
                       t->name, st_dtype_name(t->dtype));
    return EL_FAIL(err, EL_EUNSUPPORTED, path, (int64_t)t->file_offset,
                   "tensor '%s' has dtype %s; weights must be F32, F16, BF16 or F64", t->name, st_dtype_name(t->dtype));
}

/* The output type of a tensor, as llama.cpp's converter decides it. */
static uint32_t out_type(const char *gguf_name, int n_dims, int64_t cols, int outtype, uint32_t *fallbacks,
                         char *fb_list, size_t fb_cap)
{
    /* vectors, norms and biases stay F32: most of ggml's code expects them so */
    if (n_dims <= 1 || el_ends_with(gguf_name, "_norm.weight") || !el_ends_with(gguf_name, ".weight"))
        return EL_TYPE_F32;
    if (outtype == EL_TYPE_Q8_0 && cols % QK8_0 != 0) {
        (*fallbacks)++;
        size_t n = strlen(fb_list);
        if (n + strlen(gguf_name) + 3 < fb_cap)
            snprintf(fb_list + n, fb_cap - n, "%s%s", n ? ", " : "", gguf_name);
        return EL_TYPE_F16;
    }
    return (uint32_t)outtype;
}

static int build_plan(const el_arch *a, const hf_config *c, const st_model *m, int outtype, plan *p,
                      el_convert_result *r, el_error *err)
{
    /* every source tensor must be used once, or be a known leftover */
    uint8_t *used = calloc((size_t)(m->n_tensors ? m->n_tensors : 1), 1);
    if (!used)
        return EL_NOMEM(err);
    int rc = EL_OK;
    for (int group = EL_T_PRE; group <= EL_T_POST && !rc; group++) {
        int64_t reps = group == EL_T_LAYER ? c->n_layers : 1;
        for (int64_t l = 0; l < reps && !rc; l++)
            for (int i = 0; i < a->n_tensors && !rc; i++) {
                const el_tensor_tmpl *tt = &a->tensors[i];
                if (tt->group != group)
                    continue;
                char hf[160];
                el_tensor_name(tt->hf, (int)l, hf, sizeof hf);
                const st_tensor *s = st_model_find(m, hf);
                bool present = el_tensor_present(tt, c);
                if (!s) {
                    if (present)
                        rc = EL_FAIL(err, EL_EMISSING, m->index_path ? m->index_path : m->shards[0]->path, -1,
                                     "tensor '%s' is missing (config.json describes a %s with %lld layers)", hf,
                                     c->arch, (long long)c->n_layers);
                    continue;
                }
                /* an untied lm_head present in a tied checkpoint is still the output (llama.cpp keeps it),
                   except in a family whose output is always the embedding (Gemma) */
                if (!present && !(tt->cond == EL_IF_UNTIED && !a->tied_always)) {
                    rc = EL_FAIL(err, EL_ESHAPE, st_model_shard_path(m, s), -1,
                                 "tensor '%s' is present but config.json says it should not be (attention_bias, "
                                 "mlp_bias or tie_word_embeddings disagree with the weights)",
                                 hf);
                    continue;
                }
                int64_t want[2];
                int nd = el_tensor_shape(tt, c, want);
                bool shape_ok = (int)s->n_dims == nd && s->shape[0] == want[0] && (nd == 1 || s->shape[1] == want[1]);
                if (!shape_ok) {
                    char got[96] = "";
                    int k = 0;
                    for (uint32_t d = 0; d < s->n_dims && k < 80; d++)
                        k += snprintf(got + k, sizeof got - (size_t)k, "%s%lld", d ? " x " : "", (long long)s->shape[d]);
                    if (nd == 1)
                        rc = EL_FAIL(err, EL_ESHAPE, st_model_shard_path(m, s), (int64_t)s->file_offset,
                                     "tensor '%s' has shape [%s], config.json implies [%lld]", hf, got, (long long)want[0]);
                    else
                        rc = EL_FAIL(err, EL_ESHAPE, st_model_shard_path(m, s), (int64_t)s->file_offset,
                                     "tensor '%s' has shape [%s], config.json implies [%lld x %lld]", hf, got,
                                     (long long)want[0], (long long)want[1]);
                    continue;
                }
                if ((rc = dtype_ok(s, st_model_shard_path(m, s), err)))
                    continue;
                out_tensor *o = plan_add(p, err);
                if (!o) {
                    rc = EL_ENOMEM;
                    continue;
                }
                el_tensor_name(tt->gguf, (int)l, o->name, sizeof o->name);
                o->src = s;
                o->n_dims = (uint32_t)nd;
                o->ne[0] = nd == 1 ? want[0] : want[1];
                o->ne[1] = nd == 1 ? 1 : want[0];
                if (a->permute_qk) {
                    if (strstr(hf, "self_attn.q_proj."))
                        o->permute_heads = (int)c->n_heads;
                    else if (strstr(hf, "self_attn.k_proj."))
                        o->permute_heads = (int)c->n_kv_heads;
                }
                o->add_one = a->norm_plus_one && el_ends_with(hf, "norm.weight");
                o->type = out_type(o->name, nd, o->ne[0], outtype, &r->n_fallbacks, r->fallbacks, sizeof r->fallbacks);
                int64_t idx = el_strmap_get(&m->by_name, hf, strlen(hf));
                used[idx] = 1;
            }
    }
    for (uint64_t i = 0; i < m->n_tensors && !rc; i++) {
        if (used[i] || ignorable(m->tensors[i]->name))
            continue;
        /* Gemma checkpoints from some tools carry an lm_head llama.cpp drops */
        if (a->tied_always && strcmp(m->tensors[i]->name, "lm_head.weight") == 0)
            continue;
        rc = EL_FAIL(err, EL_ESHAPE, st_model_shard_path(m, m->tensors[i]), -1,
                     "unexpected tensor '%s': not part of a %s with this config.json", m->tensors[i]->name, c->arch);
    }
    free(used);
    return rc;
}

/* ---- 2. generated tensors -------------------------------------------------------------- */

static const json_t *rope_scaling(const hf_config *c) { return json_object_get(c->root, "rope_scaling"); }

static const char *rope_type(const hf_config *c)
{
    const json_t *rs = rope_scaling(c);
    const char *t = json_string_value(json_object_get(rs, "rope_type"));
    return t ? t : json_string_value(json_object_get(rs, "type"));
}

static double rs_num(const hf_config *c, const char *key, double def)
{
    double v;
    return el_json_get_f64(rope_scaling(c), key, &v) == 1 ? v : def;
}

/* Llama 3.1+ frequency scaling, as a per-dimension-pair factor tensor (llama.cpp's rope_freqs). */
static int gen_llama3_freqs(const hf_config *c, plan *p, el_error *err)
{
    int64_t dim = c->head_dim;
    double base = c->rope_theta;
    double factor = rs_num(c, "factor", 8.0), lo = rs_num(c, "low_freq_factor", 1.0), hi = rs_num(c, "high_freq_factor", 4.0);
    double old_ctx;
    if (el_json_get_f64(rope_scaling(c), "original_max_position_embeddings", &old_ctx) != 1 &&
        el_json_get_f64(c->root, "original_max_position_embeddings", &old_ctx) != 1)
        old_ctx = 8192;
    double lo_wl = old_ctx / lo, hi_wl = old_ctx / hi;
    if (lo_wl == hi_wl)
        return EL_FAIL(err, EL_EJSON, c->path, -1, "rope_scaling: low_freq_factor equals high_freq_factor");
    out_tensor *o = plan_add(p, err);
    if (!o)
        return EL_ENOMEM;
    snprintf(o->name, sizeof o->name, "rope_freqs.weight");
    o->n_dims = 1;
    o->ne[0] = dim / 2;
    o->ne[1] = 1;
    o->type = EL_TYPE_F32;
    o->gen = malloc((size_t)(dim / 2) * sizeof(float));
    if (!o->gen)
        return EL_NOMEM(err);
    for (int64_t i = 0; i < dim / 2; i++) {
        /* in float32 like the reference: 1 / base^(2i/dim) */
        float freq = 1.0f / powf((float)base, (float)(2 * i) / (float)dim);
        double wl = 2 * M_PI / freq;
        double f;
        if (wl < hi_wl)
            f = 1;
        else if (wl > lo_wl)
            f = factor;
        else {
            double smooth = (old_ctx / wl - lo) / (hi - lo);
            f = 1 / ((1 - smooth) / factor + smooth);
        }
        o->gen[i] = (float)f;
    }
    return EL_OK;
}

/* Phi-3 long-context RoPE: short and long per-dimension factors. */
static int gen_phi3_factors(const hf_config *c, int64_t rope_dims, plan *p, el_error *err)
{
    const json_t *rs = rope_scaling(c);
    const json_t *lf = json_object_get(rs, "long_factor"), *sf = json_object_get(rs, "short_factor");
    if (!json_is_array(lf) || !json_is_array(sf))
        return EL_FAIL(err, EL_EJSON, c->path, -1, "rope_scaling needs long_factor and short_factor lists");
    if ((int64_t)json_array_size(lf) != rope_dims / 2 || (int64_t)json_array_size(sf) != rope_dims / 2)
        return EL_FAIL(err, EL_ESHAPE, c->path, -1, "rope_scaling factors must have %lld entries (rotary dims / 2)",
                       (long long)(rope_dims / 2));
    const char *names[2] = {"rope_factors_long.weight", "rope_factors_short.weight"};
    const json_t *src[2] = {lf, sf};
    for (int k = 0; k < 2; k++) {
        out_tensor *o = plan_add(p, err);
        if (!o)
            return EL_ENOMEM;
        snprintf(o->name, sizeof o->name, "%s", names[k]);
        o->n_dims = 1;
        o->ne[0] = rope_dims / 2;
        o->ne[1] = 1;
        o->type = EL_TYPE_F32;
        o->gen = malloc((size_t)(rope_dims / 2) * sizeof(float));
        if (!o->gen)
            return EL_NOMEM(err);
        for (int64_t i = 0; i < rope_dims / 2; i++) {
            json_t *x = json_array_get(src[k], (size_t)i);
            if (!json_is_number(x))
                return EL_FAIL(err, EL_EJSON, c->path, -1, "rope_scaling %s[%lld] is not a number", k ? "short_factor" : "long_factor",
                               (long long)i);
            o->gen[i] = (float)json_number_value(x);
        }
    }
    return EL_OK;
}

/* ---- 3. metadata ------------------------------------------------------------------------ */

typedef struct meta {
    gguf_writer *w;
    const char *arch;
    const char *cfg_path; /* config.json, named when a value it gives does not fit */
    el_error *err;
    int rc;
} meta;

/* A u32 hyperparameter; a value that does not fit an int (what readers hold it in) is refused,
 * never truncated: config.json is untrusted, and a negative count arrives here as a huge one. */
static void m_u32(meta *m, const char *suffix, uint64_t v)
{
    char key[128];
    if (m->rc)
        return;
    snprintf(key, sizeof key, "%s.%s", m->arch, suffix);
    if (v > INT32_MAX) {
        m->rc = EL_FAIL(m->err, EL_ERANGE, m->cfg_path, -1, "%s would be %lld, outside 0..%d", key, (long long)v,
                        INT32_MAX);
        return;
    }
    m->rc = gguf_add_u32(m->w, key, (uint32_t)v, m->err);
}

static void m_f32(meta *m, const char *suffix, double v)
{
    char key[128];
    if (m->rc)
        return;
    snprintf(key, sizeof key, "%s.%s", m->arch, suffix);
    if (!isfinite(v) || fabs(v) > 3e38) {
        m->rc = EL_FAIL(m->err, EL_ERANGE, m->cfg_path, -1, "%s would be %g, not a finite float", key, v);
        return;
    }
    m->rc = gguf_add_f32(m->w, key, (float)v, m->err);
}

static void m_str(meta *m, const char *suffix, const char *v)
{
    char key[128];
    if (m->rc)
        return;
    snprintf(key, sizeof key, "%s.%s", m->arch, suffix);
    m->rc = gguf_add_str(m->w, key, v, m->err);
}

/* gguf-py's size_label(): "135M", "1.2B", "8.0B". */
static void size_label(uint64_t n, char *buf, size_t cap)
{
    double v;
    const char *suffix;
    if (n > 1e12) { v = (double)n * 1e-12; suffix = "T"; }
    else if (n > 1e9) { v = (double)n * 1e-9; suffix = "B"; }
    else if (n > 1e6) { v = (double)n * 1e-6; suffix = "M"; }
    else { v = (double)n * 1e-3; suffix = "K"; }
    char digits[32];
    snprintf(digits, sizeof digits, "%.0f", nearbyint(v)); /* Python round(): ties to even */
    const char *d = digits;
    while (*d == '0')
        d++;
    int fix = 2 - (int)strlen(d);
    if (fix < 0)
        fix = 0;
    snprintf(buf, cap, "%.*f%s", fix, v, suffix);
}

static bool has_key(const hf_config *c, const char *k) { return json_object_get(c->root, k) != NULL; }

/* The rotated dimensions of a head (transformers: int(head_dim * partial_rotary_factor)); valid
 * once check_rope_dims has passed. */
static int rope_dims_of(const el_arch *a, const hf_config *c)
{
    double prf = 1.0;
    if (el_json_get_f64(c->root, "partial_rotary_factor", &prf) != 1)
        prf = 1.0;
    if (a->rope_dims_of_hidden)
        return (int)((int64_t)(prf * (double)c->hidden_size) / c->n_heads);
    return (int)((double)c->head_dim * prf);
}

/* partial_rotary_factor in (0, 1], and the rotated dimensions it gives even and at least 2. */
static int check_rope_dims(const el_arch *a, const hf_config *c, el_error *err)
{
    double prf = 1.0;
    int r = el_json_get_f64(c->root, "partial_rotary_factor", &prf);
    if (r < 0)
        return EL_FAIL(err, EL_EJSON, c->path, -1, "\"partial_rotary_factor\" must be a number");
    if (r == 1 && !(prf > 0 && prf <= 1))
        return EL_FAIL(err, EL_ERANGE, c->path, -1, "\"partial_rotary_factor\" is %g; it must be above 0 and at most 1", prf);
    const int d = rope_dims_of(a, c);
    if (d < 2 || d % 2 || d > c->head_dim)
        return EL_FAIL(err, EL_ERANGE, c->path, -1,
                       "\"partial_rotary_factor\" %g gives %d rotated dimensions of a %lld-wide head; they must be even and at least 2",
                       prf, d, (long long)c->head_dim);
    return EL_OK;
}

static void write_hparams(meta *m, const el_arch *a, const hf_config *c, uint32_t file_type)
{
    const char *rt = rope_scaling(c) && !json_is_null(rope_scaling(c)) ? rope_type(c) : NULL;
    switch (a->hp_layout) {
    case EL_HP_PHI3: {
        int64_t orig = c->max_positions;
        int64_t v;
        if (el_json_get_i64(c->root, "original_max_position_embeddings", &v) == 1)
            orig = v;
        m_u32(m, "context_length", (uint64_t)c->max_positions);
        m_u32(m, "rope.scaling.original_context_length", (uint64_t)orig);
        m_u32(m, "embedding_length", (uint64_t)c->hidden_size);
        m_u32(m, "feed_forward_length", (uint64_t)c->intermediate_size);
        m_u32(m, "block_count", (uint64_t)c->n_layers);
        m_u32(m, "attention.head_count", (uint64_t)c->n_heads);
        m_u32(m, "attention.head_count_kv", (uint64_t)c->n_kv_heads);
        m_f32(m, "attention.layer_norm_rms_epsilon", c->norm_eps);
        m_u32(m, "rope.dimension_count", (uint64_t)rope_dims_of(a, c));
        m_f32(m, "rope.freq_base", c->rope_theta);
        if (!m->rc)
            m->rc = gguf_add_u32(m->w, "general.file_type", file_type, m->err);
        int64_t sw = 0;
        if (el_json_get_i64(c->root, "sliding_window", &sw) != 1)
            sw = 0;
        m_u32(m, "attention.sliding_window", (uint64_t)sw);
        if (rt && (strcmp(rt, "longrope") == 0 || strcmp(rt, "su") == 0 || strcmp(rt, "yarn") == 0)) {
            double scale = (double)c->max_positions / (double)orig, af = 1.0;
            if (scale > 1.0)
                af = strcmp(rt, "yarn") == 0 ? 0.1 * log(scale) + 1.0 : sqrt(1 + log(scale) / log((double)orig));
            m_f32(m, "rope.scaling.attn_factor", af);
        }
        return;
    }
    case EL_HP_GEMMA: {
        m_u32(m, "context_length", (uint64_t)c->max_positions);
        m_u32(m, "embedding_length", (uint64_t)c->hidden_size);
        m_u32(m, "block_count", (uint64_t)c->n_layers);
        m_u32(m, "feed_forward_length", (uint64_t)c->intermediate_size);
        m_u32(m, "attention.head_count", (uint64_t)c->n_heads);
        m_u32(m, "attention.head_count_kv", (uint64_t)c->n_kv_heads);
        m_f32(m, "attention.layer_norm_rms_epsilon", c->norm_eps);
        m_u32(m, "attention.key_length", (uint64_t)c->head_dim);
        m_u32(m, "attention.value_length", (uint64_t)c->head_dim);
        if (!m->rc)
            m->rc = gguf_add_u32(m->w, "general.file_type", file_type, m->err);
        double cap;
        if (el_json_get_f64(c->root, "attn_logit_softcapping", &cap) == 1)
            m_f32(m, "attn_logit_softcapping", cap);
        if (el_json_get_f64(c->root, "final_logit_softcapping", &cap) == 1)
            m_f32(m, "final_logit_softcapping", cap);
        int64_t sw;
        if (el_json_get_i64(c->root, "sliding_window", &sw) == 1)
            m_u32(m, "attention.sliding_window", (uint64_t)sw);
        if (a->swa_rope_local) {
            double local;
            if (el_json_get_f64(c->root, "rope_local_base_freq", &local) != 1)
                local = 10000.0;
            m_f32(m, "rope.freq_base", c->rope_theta);
            m_f32(m, "rope.freq_base_swa", local);
        }
        if (rt && strcmp(rt, "linear") == 0) {
            m_str(m, "rope.scaling.type", "linear");
            m_f32(m, "rope.scaling.factor", rs_num(c, "factor", 1.0));
        }
        return;
    }
    case EL_HP_COMMON:
        break;
    }
    /* llama, qwen2, qwen3: the converter's common parameters */
    m_u32(m, "block_count", (uint64_t)c->n_layers);
    if (c->max_positions > 0)
        m_u32(m, "context_length", (uint64_t)c->max_positions);
    m_u32(m, "embedding_length", (uint64_t)c->hidden_size);
    m_u32(m, "feed_forward_length", (uint64_t)c->intermediate_size);
    m_u32(m, "attention.head_count", (uint64_t)c->n_heads);
    m_u32(m, "attention.head_count_kv", (uint64_t)c->n_kv_heads);
    m_f32(m, "rope.freq_base", c->rope_theta);
    m_f32(m, "attention.layer_norm_rms_epsilon", c->norm_eps);
    if (has_key(c, "head_dim")) {
        m_u32(m, "attention.key_length", (uint64_t)c->head_dim);
        m_u32(m, "attention.value_length", (uint64_t)c->head_dim);
    }
    if (!m->rc)
        m->rc = gguf_add_u32(m->w, "general.file_type", file_type, m->err);
    if (a->vocab_size_key) {
        m_u32(m, "vocab_size", (uint64_t)c->vocab_size);
        m_u32(m, "rope.dimension_count", (uint64_t)rope_dims_of(a, c));
    }
    /* check_rope_scaling let through only the types this family's row lists */
    if (rt && strcmp(rt, "linear") == 0) {
        m_str(m, "rope.scaling.type", "linear");
        m_f32(m, "rope.scaling.factor", rs_num(c, "factor", 1.0));
    }
    if (rt && strcmp(rt, "yarn") == 0) {
        m_str(m, "rope.scaling.type", "yarn");
        m_f32(m, "rope.scaling.factor", rs_num(c, "factor", 1.0));
        m_u32(m, "rope.scaling.original_context_length",
              (uint64_t)rs_num(c, "original_max_position_embeddings", (double)c->max_positions));
    }
}

/* Rope scaling kinds we convert; anything else would silently change the model. */
static int check_rope_scaling(const el_arch *a, const hf_config *c, el_error *err)
{
    const json_t *rs = rope_scaling(c);
    if (!rs || json_is_null(rs))
        return EL_OK;
    const char *t = rope_type(c);
    if (!t)
        return EL_FAIL(err, EL_EJSON, c->path, -1, "rope_scaling has no \"type\" or \"rope_type\"");
    bool ok = false;
    for (const char *const *r = a->rope_scalings; r && *r; r++)
        ok = ok || strcmp(*r, t) == 0;
    if (strcmp(t, "default") == 0)
        ok = true;
    if (!ok)
        return EL_FAIL(err, EL_EUNSUPPORTED, c->path, -1, "rope_scaling type '%s' is not supported for %s", t, c->arch);
    static const char *const positive[] = {"factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings",
                                           "attention_factor", "beta_fast", "beta_slow"};
    for (size_t i = 0; i < EL_ARRAY_LEN(positive); i++) {
        double v;
        int r = el_json_get_f64(rs, positive[i], &v);
        if (r < 0 || (r == 1 && !(isfinite(v) && v > 0 && v < 3e38)))
            return EL_FAIL(err, EL_ERANGE, c->path, -1, "rope_scaling \"%s\" must be a finite number above 0", positive[i]);
    }
    return EL_OK;
}

/* ---- 4. one tensor ----------------------------------------------------------------------- */

#define CHUNK_ELEMS (1u << 20) /* elements per write: bounded memory whatever the tensor size */

/* Rows per chunk for rows of `cols` (at least one). */
static int64_t chunk_rows(int64_t cols) { return EL_MAX((int64_t)1, (int64_t)CHUNK_ELEMS / EL_MAX(cols, (int64_t)1)); }

/* Source row of output row `o` under llama.cpp's permute(): per head, rows (i, k) <- (k, i). */
static inline int64_t src_row(const out_tensor *t, int64_t o)
{
    if (t->permute_heads <= 0)
        return o;
    int64_t hd = t->ne[1] / t->permute_heads, half = hd / 2;
    int64_t h = o / hd, j = o % hd, i = j / 2, k = j % 2;
    return h * hd + k * half + i;
}

/* Row `row` of the source as floats. */
static void read_row(const out_tensor *t, int64_t row, float *dst)
{
    const st_tensor *s = t->src;
    int64_t cols = t->ne[0];
    const uint8_t *p = s->data + (uint64_t)row * (uint64_t)cols * st_dtype_size(s->dtype);
    if (((uintptr_t)p & 1) && (s->dtype == ST_F16 || s->dtype == ST_BF16)) {
        /* a hostile file can misalign a 16-bit tensor: read byte-wise rather than through uint16_t */
        for (int64_t i = 0; i < cols; i++)
            dst[i] = s->dtype == ST_F16 ? el_f16_to_f32(el_rd16(p + 2 * i)) : el_bf16_to_f32(el_rd16(p + 2 * i));
        return;
    }
    switch (s->dtype) {
    case ST_F32: memcpy(dst, p, (size_t)cols * 4); break;
    /* safetensors data is only byte-aligned in general: the row helpers take uint16_t pointers */
    case ST_F16: el_row_f16_to_f32((const uint16_t *)(const void *)p, dst, (size_t)cols); break;
    case ST_BF16: el_row_bf16_to_f32((const uint16_t *)(const void *)p, dst, (size_t)cols); break;
    case ST_F64: for (int64_t i = 0; i < cols; i++) dst[i] = (float)el_rdf64(p + 8 * i); break;
    default: memset(dst, 0, (size_t)cols * 4); break; /* refused earlier by dtype_ok */
    }
}

static void write_row(uint32_t type, const float *x, int64_t cols, uint8_t *out)
{
    switch (type) {
    case EL_TYPE_F32: memcpy(out, x, (size_t)cols * 4); break;
    case EL_TYPE_F16: el_row_f32_to_f16(x, (uint16_t *)(void *)out, (size_t)cols); break;
    case EL_TYPE_BF16: el_row_f32_to_bf16(x, (uint16_t *)(void *)out, (size_t)cols); break;
    case EL_TYPE_Q8_0: quantize_row_q8_0_ref(x, (block_q8_0 *)out, cols); break;
    }
}

/* The source bytes can be copied unchanged. */
static bool passthrough(const out_tensor *t)
{
    if (!t->src || t->permute_heads > 0 || t->add_one)
        return false;
    int d = t->src->dtype;
    return (d == ST_F32 && t->type == EL_TYPE_F32) || (d == ST_F16 && t->type == EL_TYPE_F16) ||
           (d == ST_BF16 && t->type == EL_TYPE_BF16);
}

static int gguf_write_cb(void *ctx, const void *data, uint64_t n, el_error *err)
{
    return gguf_writer_write(ctx, data, n, err);
}

/* After a passthrough chunk is written, its input pages are no longer needed. */
static void drop_pages(void *arg, const void *data, uint64_t n)
{
    const el_map *map = arg;
    el_map_advise(map, (uint64_t)((const uint8_t *)data - map->data), n, EL_ADVISE_DONTNEED);
}

/*
 * Stream one tensor into the write queue: rows are converted a chunk at a
 * time into pool buffers (OpenMP over rows) while the queue's thread writes
 * the previous chunk.
 */
static int write_tensor(el_writeq *q, const out_tensor *t, uint64_t ti, const el_convert_hook *hook, const st_model *m,
                        float *rows_f32, double *row_err, int nthreads, el_progress *prog)
{
    int64_t rows = t->ne[1], cols = t->ne[0];
    uint64_t row_bytes;
    el_type_row_bytes(t->type, (uint64_t)cols, &row_bytes);
    const el_map *map = t->src ? &m->shards[t->src->shard]->map : NULL;
    int rc = EL_OK;
    if (passthrough(t)) {
        uint64_t total = t->src->end - t->src->begin, step = (uint64_t)CHUNK_ELEMS * 4;
        for (uint64_t off = 0; off < total && !rc; off += step) {
            uint64_t n = EL_MIN(step, total - off);
            rc = el_writeq_put_external(q, t->src->data + off, n, drop_pages, (void *)map);
            el_progress_add(prog, n);
        }
        return rc;
    }
    int64_t per_chunk = chunk_rows(cols);
    /* a permuted vector (a Q/K bias) permutes its elements: use the row rule on element indices */
    bool permute_elems = t->permute_heads > 0 && t->n_dims == 1;
    double sse = 0, mx = 0;
    for (int64_t r0 = 0; r0 < rows && !rc; r0 += per_chunk) {
        int64_t r1 = EL_MIN(rows, r0 + per_chunk);
        uint8_t *buf = el_writeq_get(q);
        if (!buf)
            return EL_EIO; /* the writer failed; el_writeq_finish has its record */
#pragma omp parallel for num_threads(nthreads) schedule(static) if (nthreads > 1)
        for (int64_t r = r0; r < r1; r++) {
            float *x = rows_f32 + (size_t)omp_get_thread_num() * (size_t)cols * 2;
            if (t->src)
                read_row(t, src_row(t, r), x);
            else
                memcpy(x, t->gen + r * cols, (size_t)cols * 4);
            if (permute_elems) {
                float *y = x + cols;
                out_tensor as_rows = *t;
                as_rows.ne[1] = cols; /* src_row() reads the head size from ne[1] */
                for (int64_t i = 0; i < cols; i++)
                    y[i] = x[src_row(&as_rows, i)];
                x = y;
            }
            if (t->add_one)
                for (int64_t i = 0; i < cols; i++)
                    x[i] += 1.0f;
            uint8_t *out = buf + (uint64_t)(r - r0) * row_bytes;
            if (t->hooked) /* (a hooked tensor is a matrix: x is the first half, the second is free) */
                hook->row(hook->ud, ti, x, cols, x + cols, out, &row_err[2 * (r - r0)], &row_err[2 * (r - r0) + 1]);
            else
                write_row(t->type, x, cols, out);
        }
        if (t->hooked)
            for (int64_t r = r0; r < r1; r++) {
                sse += row_err[2 * (r - r0)];
                mx = row_err[2 * (r - r0) + 1] > mx ? row_err[2 * (r - r0) + 1] : mx;
            }
        uint64_t n = (uint64_t)(r1 - r0) * row_bytes;
        rc = el_writeq_put(q, buf, n);
        if (t->src && t->permute_heads <= 0) {
            uint64_t sz = st_dtype_size(t->src->dtype);
            el_map_advise(map, t->src->file_offset + (uint64_t)r0 * (uint64_t)cols * sz,
                          (uint64_t)(r1 - r0) * (uint64_t)cols * sz, EL_ADVISE_DONTNEED);
        }
        el_progress_add(prog, n);
    }
    if (t->src && t->permute_heads > 0)
        el_map_advise(map, t->src->file_offset, t->src->end - t->src->begin, EL_ADVISE_DONTNEED);
    if (t->hooked && !rc)
        hook->done(hook->ud, ti, sse, mx);
    return rc;
}

/* The hook's say over the plan: each tensor's type, and which ones it writes. */
static int hook_plan(const el_convert_hook *h, const hf_config *c, plan *p, el_error *err)
{
    const el_convert_model model = {(uint32_t)c->n_layers, (uint32_t)c->n_heads, (uint32_t)c->n_kv_heads};
    el_convert_tensor *ct = calloc((size_t)EL_MAX(p->n, 1), sizeof *ct);
    if (!ct)
        return EL_NOMEM(err);
    for (uint64_t i = 0; i < p->n; i++) {
        const out_tensor *t = &p->t[i];
        uint32_t st = EL_TYPE_F32;
        if (t->src)
            st = t->src->dtype == ST_F16 ? EL_TYPE_F16 : t->src->dtype == ST_BF16 ? EL_TYPE_BF16 : EL_TYPE_F32;
        ct[i] = (el_convert_tensor){t->name, st, t->n_dims, {t->ne[0], t->ne[1]}, t->type, false};
    }
    int rc = h->plan(h->ud, &model, ct, p->n, err);
    for (uint64_t i = 0; i < p->n && !rc; i++) {
        p->t[i].type = ct[i].type;
        p->t[i].hooked = ct[i].own;
    }
    free(ct);
    return rc;
}

/* ---- 5. el_convert ------------------------------------------------------------------------ */

static int choose_outtype(int requested, const st_model *m, const plan *p)
{
    if (requested != EL_OUTTYPE_AUTO)
        return requested;
    /* keep the checkpoint's float type, judged by its first matrix */
    for (uint64_t i = 0; i < p->n; i++) {
        if (!p->t[i].src || p->t[i].n_dims < 2)
            continue;
        switch (p->t[i].src->dtype) {
        case ST_F16: return EL_TYPE_F16;
        case ST_BF16: return EL_TYPE_BF16;
        default: return EL_TYPE_F32;
        }
    }
    (void)m;
    return EL_TYPE_F16;
}

static uint32_t file_type_of(int outtype)
{
    switch (outtype) {
    case EL_TYPE_F32: return FT_ALL_F32;
    case EL_TYPE_BF16: return FT_MOSTLY_BF16;
    case EL_TYPE_Q8_0: return FT_MOSTLY_Q8_0;
    default: return FT_MOSTLY_F16;
    }
}

int el_convert(const el_convert_opts *o, el_convert_result *r, el_error *err)
{
    memset(r, 0, sizeof *r);
    hf_config cfg = {0};
    el_vocab vocab = {0};
    st_model *m = NULL;
    plan p = {0};
    gguf_writer *w = NULL;
    float *rows_f32 = NULL;
    double *row_err = NULL;
    int rc;

    if (!el_path_is_dir(o->model_dir))
        return EL_FAIL(err, el_path_exists(o->model_dir) ? EL_EFORMAT : EL_ENOENT, o->model_dir, -1,
                       "not a folder (convert reads a Hugging Face model folder)");
    char *cfg_path = el_path_join(o->model_dir, "config.json");
    if (!cfg_path)
        return EL_NOMEM(err);
    if (!el_path_exists(cfg_path)) {
        rc = EL_FAIL(err, EL_EMISSING, o->model_dir, -1, "no config.json in this folder");
        free(cfg_path);
        return rc;
    }
    rc = hf_config_load(&cfg, cfg_path, err);
    free(cfg_path);
    if (rc)
        return rc;
    const el_arch *a = el_arch_from_hf(cfg.arch);
    if (!a) {
        rc = EL_FAIL(err, EL_EUNSUPPORTED, cfg.path, -1, "architecture '%s' is not supported (supported: %s)",
                     cfg.arch[0] ? cfg.arch : "(none)", el_arch_supported_list());
        goto out;
    }
    if (a->needs_head_dim && !has_key(&cfg, "head_dim")) {
        rc = EL_FAIL(err, EL_EMISSING, cfg.path, -1, "%s configs need \"head_dim\"", cfg.arch);
        goto out;
    }
    if ((rc = check_rope_scaling(a, &cfg, err)) || (rc = check_rope_dims(a, &cfg, err)))
        goto out;
    snprintf(r->arch, sizeof r->arch, "%s", a->gguf_name);

    int outtype = o->outtype;
    if (!o->vocab_only) {
        if ((rc = st_model_open(&m, o->model_dir, err)))
            goto out;
        /* decide the type first (auto needs the plan's sources), then build the real plan */
        if ((rc = build_plan(a, &cfg, m, EL_TYPE_F32, &p, r, err)))
            goto out;
        outtype = choose_outtype(o->outtype, m, &p);
        plan_free(&p);
        r->n_fallbacks = 0;
        r->fallbacks[0] = '\0';
        const char *rt = rope_scaling(&cfg) && !json_is_null(rope_scaling(&cfg)) ? rope_type(&cfg) : NULL;
        if (rt && strcmp(rt, "llama3") == 0 && (rc = gen_llama3_freqs(&cfg, &p, err)))
            goto out;
        if (a->longrope && rt && (strcmp(rt, "longrope") == 0 || strcmp(rt, "su") == 0) &&
            (rc = gen_phi3_factors(&cfg, rope_dims_of(a, &cfg), &p, err)))
            goto out;
        if ((rc = build_plan(a, &cfg, m, outtype, &p, r, err)))
            goto out;
    } else if (outtype == EL_OUTTYPE_AUTO) {
        outtype = EL_TYPE_F16;
    }
    /* the vocabulary once the tensors' shapes are known to agree with config.json: a vocab_size of
     * 2^24 is refused by the embedding's shape, not first padded to 16M tokens */
    if ((rc = el_vocab_from_hf(&vocab, o->model_dir, &cfg, err)))
        goto out;
    if (a->no_space_prefix)
        vocab.add_space_prefix = 0; /* llama.cpp's Gemma converters set this */
    snprintf(r->pre, sizeof r->pre, "%s", vocab.pre);
    r->tokenizer = vocab.type == EL_VOCAB_BPE ? "gpt2" : "llama";
    r->n_vocab = vocab.n_tokens;
    r->file_type = file_type_of(outtype);
    if (o->hook && !o->vocab_only) {
        if ((rc = hook_plan(o->hook, &cfg, &p, err)))
            goto out;
        r->file_type = o->hook->file_type;
    }
    for (uint64_t i = 0; i < p.n; i++)
        r->n_params += (uint64_t)p.t[i].ne[0] * (uint64_t)p.t[i].ne[1];
    r->n_tensors = p.n;

    /* metadata, in the order llama.cpp writes it */
    if ((rc = gguf_writer_open(&w, o->out_path, err)))
        goto out;
    meta mt = {w, a->gguf_name, cfg.path, err, EL_OK};
    char name_buf[256], label[32];
    const char *name = o->name;
    if (!name) {
        /* the folder's own name, trailing slashes ignored */
        char dir[1024];
        snprintf(dir, sizeof dir, "%s", o->model_dir);
        size_t nl = strlen(dir);
        while (nl > 1 && dir[nl - 1] == '/')
            dir[--nl] = '\0';
        snprintf(name_buf, sizeof name_buf, "%s", el_basename(dir));
        name = name_buf[0] && strcmp(name_buf, ".") != 0 ? name_buf : "model";
    }
    if (!mt.rc) mt.rc = gguf_add_str(w, "general.architecture", a->gguf_name, err);
    if (!mt.rc) mt.rc = gguf_add_str(w, "general.type", "model", err);
    if (!mt.rc) mt.rc = gguf_add_str(w, "general.name", name, err);
    if (!mt.rc && r->n_params > 0) {
        size_label(r->n_params, label, sizeof label);
        mt.rc = gguf_add_str(w, "general.size_label", label, err);
    }
    write_hparams(&mt, a, &cfg, r->file_type);
    if (!mt.rc)
        mt.rc = el_vocab_to_gguf(&vocab, w, err);
    if (!mt.rc)
        mt.rc = gguf_add_u32(w, "general.quantization_version", 2, err);
    if ((rc = mt.rc))
        goto out;
    for (uint64_t i = 0; i < p.n && !rc; i++)
        rc = gguf_add_tensor(w, p.t[i].name, p.t[i].type, p.t[i].n_dims, p.t[i].ne, err);
    if (!rc)
        rc = gguf_writer_begin_data(w, err);
    if (rc)
        goto out;
    r->bytes = gguf_writer_total_size(w);

    /* data */
    /* one core is the writer's: with more converting threads than the rest, they and the writer
       compete (measured: 2 threads on 2 cores is slower than 1) */
    int nthreads = o->threads > 0 ? o->threads : EL_MAX(1, omp_get_num_procs() - 1);
    int64_t max_cols = 1;
    for (uint64_t i = 0; i < p.n; i++)
        max_cols = EL_MAX(max_cols, p.t[i].ne[0]);
    /* pool buffers hold a chunk of rows of the widest output type (f32), at least one row */
    size_t buf_size = (size_t)EL_MAX((uint64_t)CHUNK_ELEMS, (uint64_t)max_cols) * 4 + 64;
    rows_f32 = malloc((size_t)nthreads * (size_t)max_cols * 2 * sizeof(float));
    /* per row of a chunk of a hooked tensor: the hook's squared error and largest error */
    uint64_t hook_rows = 1;
    for (uint64_t i = 0; i < p.n; i++)
        if (p.t[i].hooked)
            hook_rows = EL_MAX(hook_rows, (uint64_t)chunk_rows(p.t[i].ne[0]));
    row_err = malloc((size_t)hook_rows * 2 * sizeof(double));
    if (!rows_f32 || !row_err) {
        rc = EL_NOMEM(err);
        goto out;
    }
    uint64_t data_bytes = 0;
    for (uint64_t i = 0; i < p.n; i++) {
        uint64_t rb;
        el_type_row_bytes(p.t[i].type, (uint64_t)p.t[i].ne[0], &rb);
        data_bytes += rb * (uint64_t)p.t[i].ne[1];
    }
    el_writeq *q = NULL;
    if ((rc = el_writeq_start(&q, 4, buf_size, gguf_write_cb, w, err)))
        goto out;
    el_progress_begin(o->progress, "convert", "B", data_bytes);
    for (uint64_t i = 0; i < p.n && !rc; i++)
        rc = write_tensor(q, &p.t[i], i, o->hook, m, rows_f32, row_err, nthreads, o->progress);
    int qrc = el_writeq_finish(q, err); /* the writer's own error, when it had one, is the cause */
    el_progress_end(o->progress);
    if (qrc)
        rc = qrc;
    if (rc)
        goto out;
    rc = gguf_writer_finish(w, err);
    w = NULL;
out:
    gguf_writer_abort(w);
    free(rows_f32);
    free(row_err);
    plan_free(&p);
    st_model_close(m);
    el_vocab_free(&vocab);
    hf_config_free(&cfg);
    return rc;
}
