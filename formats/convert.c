/*
 * formats/convert.c - Hugging Face checkpoint -> GGUF (see convert.h).
 *
 * Layout of this file:
 *   1. the plan: which GGUF tensors, from which source tensors, with what
 *      transform and type; shape and presence checks against the config
 *   2. generated tensors (Llama 3 rope_freqs, Phi-3 long/short rope factors)
 *   3. metadata, per architecture, in llama.cpp's keys
 *   4. one tensor's rows as floats: read, permuted, + 1 (the tensor stream's source)
 *   5. open (config, checkpoint, plan, vocabulary) and write (metadata, then the tensor stream)
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
#include "formats/arch.h"
#include "formats/ggml_type.h"
#include "formats/gguf.h"
#include "formats/hf_config.h"
#include "formats/safetensors.h"
#include "formats/vocab.h"

/* llama.cpp's LlamaFileType values for general.file_type. */
enum { FT_ALL_F32 = 0, FT_MOSTLY_F16 = 1, FT_MOSTLY_BF16 = 32 };

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
static uint32_t out_type(const char *gguf_name, int n_dims, int outtype)
{
    /* vectors, norms and biases stay F32: most of ggml's code expects them so */
    if (n_dims <= 1 || el_ends_with(gguf_name, "_norm.weight") || !el_ends_with(gguf_name, ".weight"))
        return EL_TYPE_F32;
    return (uint32_t)outtype;
}

static int build_plan(const el_arch *a, const hf_config *c, const st_model *m, int outtype, plan *p, el_error *err)
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
                o->type = out_type(o->name, nd, outtype);
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

/* A generated F32 vector of n values in the plan (its values to be filled in); NULL when out of memory. */
static float *plan_add_gen(plan *p, const char *name, int64_t n, el_error *err)
{
    out_tensor *o = plan_add(p, err);
    if (!o)
        return NULL;
    snprintf(o->name, sizeof o->name, "%s", name);
    o->n_dims = 1;
    o->ne[0] = n;
    o->ne[1] = 1;
    o->type = EL_TYPE_F32;
    if (!(o->gen = malloc((size_t)n * sizeof(float))))
        EL_NOMEM(err);
    return o->gen;
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
    float *gen = plan_add_gen(p, "rope_freqs.weight", dim / 2, err);
    if (!gen)
        return EL_ENOMEM;
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
        gen[i] = (float)f;
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
        float *gen = plan_add_gen(p, names[k], rope_dims / 2, err);
        if (!gen)
            return EL_ENOMEM;
        for (int64_t i = 0; i < rope_dims / 2; i++) {
            json_t *x = json_array_get(src[k], (size_t)i);
            if (!json_is_number(x))
                return EL_FAIL(err, EL_EJSON, c->path, -1, "rope_scaling %s[%lld] is not a number", k ? "short_factor" : "long_factor",
                               (long long)i);
            gen[i] = (float)json_number_value(x);
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

/* ---- 4. one tensor's rows ----------------------------------------------------------------- */

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

/* The tensor stream's source function: output row r of an out_tensor. */
static void tensor_row(const void *ud, int64_t r, float *x, float *scratch)
{
    const out_tensor *t = ud;
    const int64_t cols = t->ne[0];
    if (!t->src) {
        memcpy(x, t->gen + r * cols, (size_t)cols * 4);
    } else if (t->permute_heads > 0 && t->n_dims == 1) {
        /* a permuted vector (a Q/K bias) permutes its elements: the row rule on element indices */
        read_row(t, r, scratch);
        out_tensor as_rows = *t;
        as_rows.ne[1] = cols; /* src_row() reads the head size from ne[1] */
        for (int64_t i = 0; i < cols; i++)
            x[i] = scratch[src_row(&as_rows, i)];
    } else {
        read_row(t, src_row(t, r), x);
    }
    if (t->add_one)
        for (int64_t i = 0; i < cols; i++)
            x[i] += 1.0f;
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

/* The stream's view of a planned tensor: where its rows come from, which pages to drop. */
static el_tstream_tensor stream_of(const out_tensor *t, const el_convert_tensor *ct, const st_model *m)
{
    el_tstream_tensor s = {.type = t->type, .cols = t->ne[0], .rows = t->ne[1], .enc = ct->enc, .enc_ud = ct->enc_ud};
    s.src.row = tensor_row;
    s.src.row_ud = t;
    if (!t->src)
        return s;
    const st_tensor *st = t->src;
    s.src.map = &m->shards[st->shard]->map;
    s.src.in_off = st->file_offset;
    s.src.in_len = st->end - st->begin;
    /* rows in file order are dropped a chunk at a time; permuted ones once the tensor is done */
    s.src.in_row_bytes = t->permute_heads > 0 ? 0 : (uint64_t)t->ne[0] * st_dtype_size(st->dtype);
    if (passthrough(t) && !ct->enc)
        s.src.copy = st->data;
    return s;
}

/* ---- 5. open and write --------------------------------------------------------------------- */

struct el_conversion {
    el_convert_opts o;
    hf_config cfg;
    el_vocab vocab;
    st_model *m;
    const el_arch *a;
    plan p;
    int outtype;
    el_convert_tensor *ct;   /* p.n: the plan as callers see and change it */
    el_convert_result r;     /* what open learned (architecture, tokenizer) */
};

static int choose_outtype(int requested, const plan *p)
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
    return EL_TYPE_F16;
}

static uint32_t file_type_of(int outtype)
{
    switch (outtype) {
    case EL_TYPE_F32: return FT_ALL_F32;
    case EL_TYPE_BF16: return FT_MOSTLY_BF16;
    default: return FT_MOSTLY_F16;
    }
}

void el_convert_close(el_conversion *cv)
{
    if (!cv)
        return;
    free(cv->ct);
    plan_free(&cv->p);
    st_model_close(cv->m);
    el_vocab_free(&cv->vocab);
    hf_config_free(&cv->cfg);
    free(cv);
}

el_convert_tensor *el_conversion_tensors(el_conversion *cv, uint64_t *n)
{
    *n = cv->p.n;
    return cv->ct;
}

el_convert_model el_conversion_model(const el_conversion *cv)
{
    return (el_convert_model){(uint32_t)cv->cfg.n_layers, (uint32_t)cv->cfg.n_heads, (uint32_t)cv->cfg.n_kv_heads};
}

/* config.json read, the family known, the keys it needs present and sane. */
static int open_config(el_conversion *cv, el_error *err)
{
    const el_convert_opts *o = &cv->o;
    if (!el_path_is_dir(o->model_dir))
        return EL_FAIL(err, el_path_exists(o->model_dir) ? EL_EFORMAT : EL_ENOENT, o->model_dir, -1,
                       "not a folder (convert reads a Hugging Face model folder)");
    char *cfg_path = el_path_join(o->model_dir, "config.json");
    if (!cfg_path)
        return EL_NOMEM(err);
    int rc;
    if (!el_path_exists(cfg_path)) {
        rc = EL_FAIL(err, EL_EMISSING, o->model_dir, -1, "no config.json in this folder");
        free(cfg_path);
        return rc;
    }
    rc = hf_config_load(&cv->cfg, cfg_path, err);
    free(cfg_path);
    if (rc)
        return rc;
    const hf_config *c = &cv->cfg;
    if (!(cv->a = el_arch_from_hf(c->arch)))
        return EL_FAIL(err, EL_EUNSUPPORTED, c->path, -1, "architecture '%s' is not supported (supported: %s)",
                       c->arch[0] ? c->arch : "(none)", el_arch_supported_list());
    if (cv->a->needs_head_dim && !has_key(c, "head_dim"))
        return EL_FAIL(err, EL_EMISSING, c->path, -1, "%s configs need \"head_dim\"", c->arch);
    if ((rc = check_rope_scaling(cv->a, c, err)) || (rc = check_rope_dims(cv->a, c, err)))
        return rc;
    snprintf(cv->r.arch, sizeof cv->r.arch, "%s", cv->a->gguf_name);
    return EL_OK;
}

/* The checkpoint opened and the plan made: which tensors, from where, of which type. */
static int open_tensors(el_conversion *cv, el_error *err)
{
    const hf_config *c = &cv->cfg;
    const el_arch *a = cv->a;
    int rc;
    if ((rc = st_model_open(&cv->m, cv->o.model_dir, err)))
        return rc;
    /* decide the type first (auto needs the plan's sources), then build the real plan */
    if ((rc = build_plan(a, c, cv->m, EL_TYPE_F32, &cv->p, err)))
        return rc;
    cv->outtype = choose_outtype(cv->o.outtype, &cv->p);
    plan_free(&cv->p);
    const char *rt = rope_scaling(c) && !json_is_null(rope_scaling(c)) ? rope_type(c) : NULL;
    if (rt && strcmp(rt, "llama3") == 0 && (rc = gen_llama3_freqs(c, &cv->p, err)))
        return rc;
    if (a->longrope && rt && (strcmp(rt, "longrope") == 0 || strcmp(rt, "su") == 0) &&
        (rc = gen_phi3_factors(c, rope_dims_of(a, c), &cv->p, err)))
        return rc;
    return build_plan(a, c, cv->m, cv->outtype, &cv->p, err);
}

int el_convert_open(el_conversion **out, const el_convert_opts *o, el_error *err)
{
    *out = NULL;
    if (o->outtype != EL_OUTTYPE_AUTO && o->outtype != EL_TYPE_F32 && o->outtype != EL_TYPE_F16 &&
        o->outtype != EL_TYPE_BF16)
        return EL_FAIL(err, EL_EUSAGE, NULL, -1, "convert writes F32, F16 or BF16 (other types are quant/'s plans)");
    el_conversion *cv = calloc(1, sizeof *cv);
    if (!cv)
        return EL_NOMEM(err);
    cv->o = *o;
    int rc = open_config(cv, err);
    if (!rc && !o->vocab_only)
        rc = open_tensors(cv, err);
    else if (!rc)
        cv->outtype = o->outtype == EL_OUTTYPE_AUTO ? EL_TYPE_F16 : o->outtype;
    /* the vocabulary once the tensors' shapes are known to agree with config.json: a vocab_size of
     * 2^24 is refused by the embedding's shape, not first padded to 16M tokens */
    if (!rc)
        rc = el_vocab_from_hf(&cv->vocab, o->model_dir, &cv->cfg, err);
    if (!rc && !(cv->ct = calloc((size_t)EL_MAX(cv->p.n, 1), sizeof *cv->ct)))
        rc = EL_NOMEM(err);
    if (rc) {
        el_convert_close(cv);
        return rc;
    }
    if (cv->a->no_space_prefix)
        cv->vocab.add_space_prefix = 0; /* llama.cpp's Gemma converters set this */
    snprintf(cv->r.pre, sizeof cv->r.pre, "%s", cv->vocab.pre);
    cv->r.tokenizer = cv->vocab.type == EL_VOCAB_BPE ? "gpt2" : "llama";
    cv->r.n_vocab = cv->vocab.n_tokens;
    for (uint64_t i = 0; i < cv->p.n; i++) {
        const out_tensor *t = &cv->p.t[i];
        uint32_t st = EL_TYPE_F32;
        if (t->src)
            st = t->src->dtype == ST_F16 ? EL_TYPE_F16 : t->src->dtype == ST_BF16 ? EL_TYPE_BF16 : EL_TYPE_F32;
        cv->ct[i] = (el_convert_tensor){.name = t->name, .src_type = st, .n_dims = t->n_dims,
                                        .ne = {t->ne[0], t->ne[1]}, .type = t->type};
    }
    *out = cv;
    return EL_OK;
}

/* Metadata, in the order llama.cpp writes it. */
static int write_meta(el_conversion *cv, gguf_writer *w, el_error *err)
{
    const el_arch *a = cv->a;
    meta mt = {w, a->gguf_name, cv->cfg.path, err, EL_OK};
    char name_buf[256], label[32];
    const char *name = cv->o.name;
    if (!name) {
        /* the folder's own name, trailing slashes ignored */
        char dir[1024];
        snprintf(dir, sizeof dir, "%s", cv->o.model_dir);
        size_t nl = strlen(dir);
        while (nl > 1 && dir[nl - 1] == '/')
            dir[--nl] = '\0';
        snprintf(name_buf, sizeof name_buf, "%s", el_basename(dir));
        name = name_buf[0] && strcmp(name_buf, ".") != 0 ? name_buf : "model";
    }
    if (!mt.rc) mt.rc = gguf_add_str(w, "general.architecture", a->gguf_name, err);
    if (!mt.rc) mt.rc = gguf_add_str(w, "general.type", "model", err);
    if (!mt.rc) mt.rc = gguf_add_str(w, "general.name", name, err);
    if (!mt.rc && cv->r.n_params > 0) {
        size_label(cv->r.n_params, label, sizeof label);
        mt.rc = gguf_add_str(w, "general.size_label", label, err);
    }
    write_hparams(&mt, a, &cv->cfg, cv->r.file_type);
    if (!mt.rc)
        mt.rc = el_vocab_to_gguf(&cv->vocab, w, err);
    if (!mt.rc)
        mt.rc = gguf_add_u32(w, "general.quantization_version", 2, err);
    for (uint64_t i = 0; i < cv->p.n && !mt.rc; i++)
        mt.rc = gguf_add_tensor(w, cv->p.t[i].name, cv->p.t[i].type, cv->p.t[i].n_dims, cv->p.t[i].ne, err);
    return mt.rc;
}

int el_convert_write(el_conversion *cv, uint32_t file_type, el_convert_result *r, el_error *err)
{
    const plan *p = &cv->p;
    cv->r.file_type = file_type == EL_CONVERT_FILE_TYPE ? file_type_of(cv->outtype) : file_type;
    cv->r.n_params = 0;
    for (uint64_t i = 0; i < p->n; i++) {
        p->t[i].type = cv->ct[i].type;
        cv->r.n_params += (uint64_t)p->t[i].ne[0] * (uint64_t)p->t[i].ne[1];
    }
    cv->r.n_tensors = p->n;
    gguf_writer *w = NULL;
    el_tstream_tensor *st = calloc((size_t)EL_MAX(p->n, 1), sizeof *st);
    int rc = st ? gguf_writer_open(&w, cv->o.out_path, err) : EL_NOMEM(err);
    if (!rc && !(rc = write_meta(cv, w, err)))
        rc = gguf_writer_begin_data(w, err);
    if (!rc) {
        cv->r.bytes = gguf_writer_total_size(w);
        for (uint64_t i = 0; i < p->n; i++)
            st[i] = stream_of(&p->t[i], &cv->ct[i], cv->m);
        /* one core is the writer's: with more converting threads than the rest, they and the writer
           compete (measured: 2 threads on 2 cores is slower than 1) */
        const el_tstream_opts so = {.threads = cv->o.threads > 0 ? cv->o.threads : EL_MAX(1, omp_get_num_procs() - 1),
                                    .progress = cv->o.progress, .label = "convert"};
        rc = el_tstream_write(w, st, p->n, &so, err);
    }
    for (uint64_t i = 0; i < p->n && !rc; i++) {
        cv->ct[i].sse = st[i].sse;
        cv->ct[i].max_abs = st[i].max_abs;
        memcpy(cv->ct[i].aux, st[i].aux, sizeof st[i].aux);
    }
    if (!rc) {
        rc = gguf_writer_finish(w, err);
        w = NULL;
    }
    gguf_writer_abort(w);
    free(st);
    *r = cv->r;
    return rc;
}

int el_convert(const el_convert_opts *o, el_convert_result *r, el_error *err)
{
    memset(r, 0, sizeof *r);
    el_conversion *cv;
    int rc = el_convert_open(&cv, o, err);
    if (!rc)
        rc = el_convert_write(cv, EL_CONVERT_FILE_TYPE, r, err);
    el_convert_close(cv);
    return rc;
}
