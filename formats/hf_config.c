/*
 * formats/hf_config.c - config.json -> hf_config.
 */
#include "formats/hf_config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/json.h"

void hf_config_free(hf_config *c)
{
    if (!c)
        return;
    json_decref(c->root);
    c->root = NULL;
}

/* A required positive integer. */
static int req_pos(const hf_config *c, const char *key, int64_t *out, el_error *err)
{
    int r = el_json_get_i64(c->root, key, out);
    if (r == 0)
        return EL_FAIL(err, EL_EMISSING, c->path, -1, "missing \"%s\"", key);
    if (r < 0 || *out <= 0)
        return EL_FAIL(err, EL_EJSON, c->path, -1, "\"%s\" must be a positive integer", key);
    return EL_OK;
}

static int opt_i64(const hf_config *c, const char *key, int64_t *out, int64_t def, el_error *err)
{
    int r = el_json_get_i64(c->root, key, out);
    if (r == 0)
        *out = def;
    else if (r < 0 || *out < 0)
        return EL_FAIL(err, EL_EJSON, c->path, -1, "\"%s\" must be a non-negative integer", key);
    return EL_OK;
}

static int opt_f64(const hf_config *c, const char *key, double *out, double def, el_error *err)
{
    int r = el_json_get_f64(c->root, key, out);
    if (r == 0)
        *out = def;
    else if (r < 0)
        return EL_FAIL(err, EL_EJSON, c->path, -1, "\"%s\" must be a number", key);
    return EL_OK;
}

/* An optional number that must be finite and above zero (a norm epsilon, a RoPE base): a wrong
 * value is refused, never replaced by the default. */
static int opt_pos_f64(const hf_config *c, const char *key, double *out, double def, el_error *err)
{
    int rc = opt_f64(c, key, out, def, err);
    if (!rc && !(isfinite(*out) && *out > 0 && *out < 3e38))
        rc = EL_FAIL(err, EL_ERANGE, c->path, -1, "\"%s\" is %g; it must be a finite number above 0", key, *out);
    return rc;
}

/* An optional integer in 0..INT32_MAX (what GGUF's u32 fields and the engine's int hold). */
static int opt_i32(const hf_config *c, const char *key, int64_t *out, int64_t def, el_error *err)
{
    int rc = opt_i64(c, key, out, def, err);
    if (!rc && *out > INT32_MAX)
        rc = EL_FAIL(err, EL_ERANGE, c->path, -1, "\"%s\" is %lld, more than %d", key, (long long)*out, INT32_MAX);
    return rc;
}

static int opt_bool(const hf_config *c, const char *key, bool *out, bool def, el_error *err)
{
    int v;
    int r = el_json_get_bool(c->root, key, &v);
    if (r == 0)
        *out = def;
    else if (r < 0)
        return EL_FAIL(err, EL_EJSON, c->path, -1, "\"%s\" must be true or false", key);
    else
        *out = v != 0;
    return EL_OK;
}

/* bos/eos may be an integer or a list of integers (Llama 3.1 lists several eos ids). */
static int64_t token_id(const json_t *root, const char *key)
{
    json_t *v = json_object_get(root, key);
    if (json_is_integer(v))
        return (int64_t)json_integer_value(v);
    if (json_is_array(v) && json_is_integer(json_array_get(v, 0)))
        return (int64_t)json_integer_value(json_array_get(v, 0));
    return -1;
}

int hf_config_from_json(hf_config *c, json_t *root, const char *path, el_error *err)
{
    memset(c, 0, sizeof *c);
    snprintf(c->path, sizeof c->path, "%s", path ? path : "config.json");
    if (!json_is_object(root))
        return EL_FAIL(err, EL_EJSON, c->path, -1, "not a JSON object");
    c->root = json_incref(root);
    json_t *archs = json_object_get(root, "architectures");
    if (json_is_array(archs) && json_is_string(json_array_get(archs, 0)))
        snprintf(c->arch, sizeof c->arch, "%s", json_string_value(json_array_get(archs, 0)));
    const char *s = el_json_get_str(root, "model_type");
    snprintf(c->model_type, sizeof c->model_type, "%s", s ? s : "");
    s = el_json_get_str(root, "torch_dtype");
    snprintf(c->torch_dtype, sizeof c->torch_dtype, "%s", s ? s : "");

    int rc = EL_OK;
    if (!rc) rc = req_pos(c, "hidden_size", &c->hidden_size, err);
    if (!rc) rc = req_pos(c, "intermediate_size", &c->intermediate_size, err);
    if (!rc) rc = req_pos(c, "num_hidden_layers", &c->n_layers, err);
    if (!rc) rc = req_pos(c, "num_attention_heads", &c->n_heads, err);
    if (!rc) rc = req_pos(c, "vocab_size", &c->vocab_size, err);
    if (!rc) rc = opt_i64(c, "num_key_value_heads", &c->n_kv_heads, c->n_heads, err);
    if (!rc && c->n_kv_heads == 0)
        c->n_kv_heads = c->n_heads;
    if (!rc) rc = opt_i64(c, "head_dim", &c->head_dim, 0, err);
    if (!rc && c->head_dim == 0) {
        if (c->hidden_size % c->n_heads != 0)
            rc = EL_FAIL(err, EL_ESHAPE, c->path, -1, "hidden_size %lld is not divisible by num_attention_heads %lld",
                         (long long)c->hidden_size, (long long)c->n_heads);
        c->head_dim = c->hidden_size / c->n_heads;
    }
    if (!rc && c->n_heads % c->n_kv_heads != 0)
        rc = EL_FAIL(err, EL_ESHAPE, c->path, -1, "num_attention_heads %lld is not a multiple of num_key_value_heads %lld",
                     (long long)c->n_heads, (long long)c->n_kv_heads);
    if (!rc) rc = opt_i32(c, "max_position_embeddings", &c->max_positions, 0, err);
    /* Older configs spell the norm epsilon differently. */
    if (!rc) {
        const char *k = json_object_get(root, "rms_norm_eps") || !json_object_get(root, "layer_norm_eps")
                            ? "rms_norm_eps" : "layer_norm_eps";
        rc = opt_pos_f64(c, k, &c->norm_eps, 1e-6, err);
    }
    if (!rc) rc = opt_pos_f64(c, "rope_theta", &c->rope_theta, 10000.0, err);
    if (!rc) rc = opt_f64(c, "initializer_range", &c->init_range, 0.02, err);
    /* transformers' default differs per class: Gemma ties, Llama/Qwen2/Phi3 do not. */
    if (!rc) rc = opt_bool(c, "tie_word_embeddings", &c->tie_embeddings, strncmp(c->arch, "Gemma", 5) == 0, err);
    if (!rc) rc = opt_bool(c, "attention_bias", &c->attention_bias, false, err);
    if (!rc) rc = opt_bool(c, "mlp_bias", &c->mlp_bias, false, err);
    /* Limits that keep later size arithmetic far from overflow. */
    if (!rc && (c->hidden_size > (1 << 20) || c->intermediate_size > (1 << 22) || c->n_layers > 4096 ||
                c->n_heads > 4096 || c->head_dim > 4096 || c->vocab_size > (1 << 24)))
        rc = EL_FAIL(err, EL_ERANGE, c->path, -1, "hyperparameters are implausibly large");
    c->bos_id = token_id(root, "bos_token_id");
    c->eos_id = token_id(root, "eos_token_id");
    if (rc) {
        hf_config_free(c);
        return rc;
    }
    return EL_OK;
}

int hf_config_load(hf_config *c, const char *path, el_error *err)
{
    json_t *root = NULL;
    memset(c, 0, sizeof *c);
    int rc = el_json_load(path, 16u << 20, &root, err);
    if (rc)
        return rc;
    rc = hf_config_from_json(c, root, path, err);
    json_decref(root);
    return rc;
}
