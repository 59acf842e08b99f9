/*
 * formats/synth.c - random-weight Hugging Face checkpoints (see synth.h).
 *
 * Layout of this file:
 *   1. the random numbers: counter-based, so any element can be computed alone
 *   2. the plan: which tensors, which shard
 *   3. filling and writing tensors
 *   4. config, tokenizer files, el_synth()
 */
#include "formats/synth.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/atomic.h"
#include "core/file.h"
#include "core/half.h"
#include "core/json.h"
#include "core/strmap.h"
#include "core/util.h"
#include "formats/arch.h"
#include "formats/hf_config.h"
#include "formats/safetensors.h"
#include "formats/vocab.h"

/* ---- 1. random numbers ---------------------------------------------------------- */

static inline uint64_t splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/*
 * Standard normals for elements 2j and 2j+1 of a stream (Box-Muller in float:
 * 24-bit uniforms are all a float result can use). One hash per pair; the
 * first uniform is in (0, 1], so log() is finite.
 */
static inline void normal_pair(uint64_t stream, uint64_t j, float *a, float *b)
{
    uint64_t h = splitmix64(stream ^ splitmix64(j));
    float u1 = ((float)(h >> 40) + 1.0f) * (1.0f / 16777216.0f);
    float u2 = (float)((h >> 8) & 0xffffff) * (1.0f / 16777216.0f);
    float r = sqrtf(-2.0f * logf(u1));
    float s, c;
    sincosf(6.2831853f * u2, &s, &c);
    *a = r * c;
    *b = r * s;
}

/* ---- 2. the plan ------------------------------------------------------------------- */

typedef struct plan_tensor {
    char name[160];
    int64_t shape[2];
    int n_dims;
    el_init init;
    uint64_t n;       /* elements */
    int shard;
} plan_tensor;

static const char *dtype_torch_name(int dtype)
{
    switch (dtype) {
    case ST_F32: return "float32";
    case ST_F16: return "float16";
    default: return "bfloat16";
    }
}

static int make_plan(const el_arch *a, const hf_config *c, plan_tensor **out, uint64_t *n_out, el_error *err)
{
    uint64_t cap = (uint64_t)a->n_tensors * (uint64_t)(c->n_layers + 1), n = 0;
    plan_tensor *p = calloc((size_t)cap, sizeof *p);
    if (!p)
        return EL_NOMEM(err);
    for (int group = EL_T_PRE; group <= EL_T_POST; group++) {
        int64_t reps = group == EL_T_LAYER ? c->n_layers : 1;
        for (int64_t l = 0; l < reps; l++)
            for (int i = 0; i < a->n_tensors; i++) {
                const el_tensor_tmpl *t = &a->tensors[i];
                if (t->group != group || !el_tensor_present(t, c))
                    continue;
                plan_tensor *pt = &p[n++];
                el_tensor_name(t->hf, (int)l, pt->name, sizeof pt->name);
                pt->n_dims = el_tensor_shape(t, c, pt->shape);
                pt->init = t->init;
                pt->n = (uint64_t)pt->shape[0] * (uint64_t)(pt->n_dims == 2 ? pt->shape[1] : 1);
            }
    }
    *out = p;
    *n_out = n;
    return EL_OK;
}

/* Split tensors into `shards` contiguous groups of about equal bytes. */
static void assign_shards(plan_tensor *p, uint64_t n, int shards, uint32_t esize)
{
    uint64_t total = 0, acc = 0;
    for (uint64_t i = 0; i < n; i++)
        total += p[i].n * esize;
    for (uint64_t i = 0; i < n; i++) {
        int s = total ? (int)((acc * (uint64_t)shards) / total) : 0;
        p[i].shard = s < shards ? s : shards - 1;
        acc += p[i].n * esize;
    }
}

/* ---- 3. filling ---------------------------------------------------------------------- */

#define CHUNK (1u << 20) /* elements per write; even, so normal pairs never straddle chunks */

/* Outlier input channels: the same channels for every matrix with `cols` inputs. */
static void outlier_mask(uint64_t seed, int64_t cols, uint8_t *mask)
{
    memset(mask, 0, (size_t)cols);
    int64_t k = cols / 256 + 1;
    uint64_t s = splitmix64(seed ^ 0x6f75746c696572ull ^ (uint64_t)cols);
    for (int64_t i = 0; i < k; i++)
        mask[splitmix64(s + (uint64_t)i) % (uint64_t)cols] = 1;
}

static void fill(const plan_tensor *t, uint64_t seed, double init_range, const uint8_t *mask, uint64_t first,
                 uint64_t n, float *out)
{
    uint64_t stream = splitmix64(seed ^ el_hash_bytes(t->name, strlen(t->name)));
    int64_t cols = t->n_dims == 2 ? t->shape[1] : 1;
    double scale = 1.0, base = 0.0;
    switch (t->init) {
    case EL_INIT_LINEAR:
    case EL_INIT_EMBED: scale = init_range; break;
    case EL_INIT_NORM: base = 1.0; scale = 0.05; break;
    case EL_INIT_NORM0: scale = 0.05; break;
    case EL_INIT_BIAS: scale = 0.1; break;
    }
    /* Blocks of 4096 elements (even: normal pairs never straddle blocks), the column tracked
       incrementally rather than by a division per element. */
    bool outliers = t->init == EL_INIT_LINEAR && mask;
    int64_t blocks = (int64_t)((n + 4095) / 4096);
#pragma omp parallel for schedule(static)
    for (int64_t blk = 0; blk < blocks; blk++) {
        uint64_t b0 = (uint64_t)blk * 4096, b1 = EL_MIN(b0 + 4096, n);
        uint64_t col = (first + b0) % (uint64_t)cols;
        for (uint64_t k = b0; k < b1; k += 2) {
            float v[2];
            normal_pair(stream, (first + k) / 2, &v[0], &v[1]);
            for (int q = 0; q < 2 && k + (uint64_t)q < b1; q++) {
                float x = (float)base + (float)scale * v[q];
                if (outliers && mask[col])
                    x *= 8.0f;
                out[k + (uint64_t)q] = x;
                if (++col == (uint64_t)cols)
                    col = 0;
            }
        }
    }
}

static void to_dtype(const float *in, uint64_t n, int dtype, uint8_t *out)
{
    if (dtype == ST_F32) {
        memcpy(out, in, (size_t)n * 4);
        return;
    }
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < (int64_t)n; i++)
        el_wr16(out + 2 * i, dtype == ST_F16 ? el_f32_to_f16(in[i]) : el_f32_to_bf16(in[i]));
}

static int write_shard(const char *path, const plan_tensor *p, uint64_t n, int shard, int dtype, uint64_t seed,
                       double init_range, el_progress *prog, el_error *err)
{
    st_writer *w = NULL;
    int rc = st_writer_open(&w, path, err);
    if (rc)
        return rc;
    float *buf = malloc((size_t)CHUNK * sizeof *buf);
    uint8_t *bytes = malloc((size_t)CHUNK * 4);
    uint8_t *mask = NULL;
    int64_t mask_cols = -1;
    uint32_t esize = st_dtype_size(dtype);
    if (!buf || !bytes)
        rc = EL_NOMEM(err);
    if (!rc)
        rc = st_writer_meta(w, "format", "pt", err);
    for (uint64_t i = 0; i < n && !rc; i++)
        if (p[i].shard == shard)
            rc = st_writer_add(w, p[i].name, dtype, (uint32_t)p[i].n_dims, p[i].shape, err);
    if (!rc)
        rc = st_writer_begin_data(w, err);
    for (uint64_t i = 0; i < n && !rc; i++) {
        if (p[i].shard != shard)
            continue;
        const uint8_t *m = NULL;
        if (p[i].init == EL_INIT_LINEAR) {
            int64_t cols = p[i].shape[1];
            if (cols != mask_cols) {
                uint8_t *nm = realloc(mask, (size_t)cols);
                if (!nm) {
                    rc = EL_NOMEM(err);
                    break;
                }
                mask = nm;
                outlier_mask(seed, cols, mask);
                mask_cols = cols;
            }
            m = mask;
        }
        for (uint64_t off = 0; off < p[i].n && !rc; off += CHUNK) {
            uint64_t take = EL_MIN((uint64_t)CHUNK, p[i].n - off);
            fill(&p[i], seed, init_range, m, off, take, buf);
            to_dtype(buf, take, dtype, bytes);
            rc = st_writer_write(w, bytes, take * esize, err);
            el_progress_add(prog, take * esize);
        }
    }
    free(mask);
    free(buf);
    free(bytes);
    if (rc) {
        st_writer_abort(w);
        return rc;
    }
    return st_writer_finish(w, err);
}

/* ---- 4. config, tokenizer, driver ------------------------------------------------------ */

static json_t *tiny_config(void)
{
    return json_pack("{s:[s], s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:f, s:f, s:s, s:b, s:f, s:i, s:i, s:b, s:b, s:s}",
                     "architectures", "LlamaForCausalLM", "model_type", "llama", "hidden_size", 256,
                     "intermediate_size", 768, "num_hidden_layers", 2, "num_attention_heads", 4,
                     "num_key_value_heads", 2, "vocab_size", 512, "max_position_embeddings", 2048,
                     "rms_norm_eps", 1e-5, "rope_theta", 10000.0, "hidden_act", "silu", "tie_word_embeddings", 1,
                     "initializer_range", 0.02, "bos_token_id", 0, "eos_token_id", 0, "attention_bias", 0,
                     "mlp_bias", 0, "torch_dtype", "bfloat16");
}

/* config.json and tokenizer files: floats printed so they read back the same */
#define JSON_FLAGS (JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17))

static const char tiny_chat_template[] =
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + "
    "'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/* Chat templates for a copied tokenizer that comes without tokenizer_config.json, by the family its added
 * tokens name: the families' own template shapes (what distill/chat.c recognises), so `distill gen --chat`
 * works on a synth model as on the real one. */
static const struct {
    const char *marker, *marker2, *tmpl;
} family_chat[] = {
    {"<|im_start|>", "<|im_end|>", tiny_chat_template},
    {"<|start_header_id|>", "<|eot_id|>",
     "{% for message in messages %}{{'<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + "
     "message['content'] + '<|eot_id|>'}}{% endfor %}{% if add_generation_prompt %}"
     "{{'<|start_header_id|>assistant<|end_header_id|>\n\n'}}{% endif %}"},
    {"<start_of_turn>", "<end_of_turn>",
     "{% for message in messages %}{{'<start_of_turn>' + message['role'] + '\n' + message['content'] + "
     "'<end_of_turn>\n'}}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}"},
    {"<|assistant|>", "<|end|>",
     "{% for message in messages %}{{'<|' + message['role'] + '|>\n' + message['content'] + '<|end|>\n'}}"
     "{% endfor %}{% if add_generation_prompt %}{{'<|assistant|>\n'}}{% endif %}"},
};

static bool has_added_token(const json_t *tok, const char *content)
{
    size_t i;
    const json_t *a;
    json_array_foreach(json_object_get(tok, "added_tokens"), i, a)
    {
        const char *c = json_string_value(json_object_get(a, "content"));
        if (c && !strcmp(c, content))
            return true;
    }
    return false;
}

/* The template of the first family both of whose markers are added tokens of tok; NULL when none is. */
static const char *family_chat_template(const json_t *tok)
{
    for (size_t i = 0; i < EL_ARRAY_LEN(family_chat); i++)
        if (has_added_token(tok, family_chat[i].marker) && has_added_token(tok, family_chat[i].marker2))
            return family_chat[i].tmpl;
    return NULL;
}

/* Largest token id + 1 in a tokenizer.json (model vocab, and added tokens when with_added). */
static int tokenizer_vocab_size(const json_t *tok, bool with_added, int64_t *out)
{
    int64_t max = el_tokenizer_json_max_id(tok, with_added);
    const json_t *vocab = json_object_get(json_object_get(tok, "model"), "vocab");
    if (json_is_array(vocab)) /* Unigram: [[piece, score], ...], the ids are the indices */
        max = EL_MAX(max, (int64_t)json_array_size(vocab) - 1);
    *out = max + 1;
    return max >= 0;
}

static const char *const tokenizer_files[] = {
    "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model",
    "added_tokens.json", "vocab.json", "merges.txt", "generation_config.json",
};

/* Copy the tokenizer files found beside `src` (a file or a folder). */
static int copy_tokenizer(const char *src, const char *out_dir, int64_t vocab_size, int *copied, el_error *err)
{
    char *dir;
    if (el_path_is_dir(src)) {
        dir = strdup(src);
    } else {
        if (!el_path_exists(src))
            return EL_FAIL(err, EL_ENOENT, src, -1, "tokenizer file does not exist");
        const char *slash = strrchr(src, '/');
        dir = slash ? strndup(src, (size_t)(slash - src)) : strdup(".");
    }
    if (!dir)
        return EL_NOMEM(err);
    int rc = EL_OK;
    /* A tokenizer.json given under another name is copied as tokenizer.json. */
    const char *given = el_path_is_dir(src) ? NULL : el_basename(src);
    char *tj = given && el_ends_with(given, ".json") ? strdup(src) : el_path_join(dir, "tokenizer.json");
    if (!tj) {
        free(dir);
        return EL_NOMEM(err);
    }
    if (el_path_exists(tj)) {
        json_t *tok = NULL;
        rc = el_json_load(tj, 512u << 20, &tok, err);
        int64_t n = 0;
        if (!rc && !json_is_object(json_object_get(tok, "model")))
            rc = EL_FAIL(err, EL_EJSON, tj, -1, "not a tokenizer.json (no \"model\" object)");
        /* added tokens past vocab_size are left out by convert, as by llama.cpp's converter (Gemma 3 1B) */
        if (!rc && tokenizer_vocab_size(tok, false, &n) && n > vocab_size)
            rc = EL_FAIL(err, EL_ESHAPE, tj, -1,
                         "tokenizer has %lld tokens but the config's vocab_size is %lld (try --set vocab_size=%lld)",
                         (long long)n, (long long)vocab_size, (long long)n);
        char *src_cfg = rc ? NULL : el_path_join(dir, "tokenizer_config.json");
        const char *tmpl = src_cfg && !el_path_exists(src_cfg) ? family_chat_template(tok) : NULL;
        if (!rc && !src_cfg)
            rc = EL_NOMEM(err);
        free(src_cfg);
        if (tmpl) { /* no tokenizer_config.json to copy: one that holds only the family's chat template */
            json_t *tc = json_pack("{s:s}", "chat_template", tmpl);
            char *d = el_path_join(out_dir, "tokenizer_config.json");
            rc = tc && d ? el_json_write_file(d, tc, JSON_FLAGS, err) : EL_NOMEM(err);
            json_decref(tc);
            free(d);
            if (!rc)
                (*copied)++;
        }
        json_decref(tok);
        if (!rc) {
            char *dst = el_path_join(out_dir, "tokenizer.json");
            rc = dst ? el_copy_file(tj, dst, err) : EL_NOMEM(err);
            free(dst);
            (*copied)++;
        }
    }
    for (size_t i = 1; i < EL_ARRAY_LEN(tokenizer_files) && !rc; i++) {
        char *s = el_path_join(dir, tokenizer_files[i]);
        char *d = el_path_join(out_dir, tokenizer_files[i]);
        if (!s || !d)
            rc = EL_NOMEM(err);
        else if (el_path_exists(s)) {
            rc = el_copy_file(s, d, err);
            (*copied)++;
        }
        free(s);
        free(d);
    }
    if (!rc && *copied == 0)
        rc = EL_FAIL(err, EL_EMISSING, src, -1, "no tokenizer.json or tokenizer.model found");
    free(tj);
    free(dir);
    return rc;
}

const char *el_synth_presets(void) { return "tiny"; }

/* Step 1: the config as JSON: the preset's or the file's, with --set's overrides; for the preset
 * without --tokenizer, the generated tokenizer too, whose size becomes vocab_size (it is made with
 * the vocab_size --set gave, if any). On failure the caller frees what *root and *tok hold. */
static int load_config(const el_synth_opts *o, json_t **root, json_t **tok, el_error *err)
{
    *root = *tok = NULL;
    if (o->preset) {
        if (strcmp(o->preset, "tiny") != 0)
            return EL_FAIL(err, EL_EUSAGE, NULL, -1, "unknown preset '%s' (known: %s)", o->preset, el_synth_presets());
        if (!(*root = tiny_config()))
            return EL_NOMEM(err);
    } else if (o->config_path) {
        int rc = el_json_load(o->config_path, 16u << 20, root, err);
        if (rc)
            return rc;
        if (!json_is_object(*root))
            return EL_FAIL(err, EL_EJSON, o->config_path, -1, "not a JSON object");
    } else {
        return EL_FAIL(err, EL_EUSAGE, NULL, -1, "need --config or --preset");
    }
    if (o->overrides && json_object_update(*root, o->overrides) != 0)
        return EL_NOMEM(err);
    if (o->preset && !o->tokenizer_path) {
        json_t *vs = json_object_get(*root, "vocab_size");
        *tok = el_tiny_tokenizer(json_is_integer(vs) ? (int)json_integer_value(vs) : 512);
        if (!*tok)
            return EL_NOMEM(err);
        int64_t tn = 0;
        tokenizer_vocab_size(*tok, true, &tn);
        json_object_set_new(*root, "vocab_size", json_integer(tn));
    }
    return EL_OK;
}

/* The dtype of the weights: --dtype, else the config's torch_dtype (bf16 unless it says float32 or
 * float16); the config is then made to name it. */
static int pick_dtype(const el_synth_opts *o, json_t *root, int *dtype, el_error *err)
{
    *dtype = o->dtype;
    if (*dtype < 0) {
        const char *td = el_json_get_str(root, "torch_dtype");
        *dtype = td && strcmp(td, "float32") == 0 ? ST_F32 : td && strcmp(td, "float16") == 0 ? ST_F16 : ST_BF16;
    }
    if (*dtype != ST_F32 && *dtype != ST_F16 && *dtype != ST_BF16)
        return EL_FAIL(err, EL_EUSAGE, NULL, -1, "synth writes bf16, f16 or f32 only");
    json_object_set_new(root, "torch_dtype", json_string(dtype_torch_name(*dtype)));
    return EL_OK;
}

/* Step 2: the tensors and their shards (no more shards than tensors), counted into r. */
static int plan_weights(const el_arch *arch, const hf_config *cfg, int dtype, int *shards, plan_tensor **plan,
                        uint64_t *n, el_synth_result *r, el_error *err)
{
    int rc = make_plan(arch, cfg, plan, n, err);
    if (rc)
        return rc;
    const uint32_t esize = st_dtype_size(dtype);
    if ((uint64_t)*shards > *n)
        *shards = (int)*n;
    assign_shards(*plan, *n, *shards, esize);
    for (uint64_t i = 0; i < *n; i++) {
        r->n_params += (*plan)[i].n;
        r->bytes += (*plan)[i].n * esize;
    }
    r->n_tensors = *n;
    r->n_shards = *shards;
    return EL_OK;
}

/* Step 3: the tokenizer, before any weights so that a too-small vocab_size is found first: the files
 * beside --tokenizer copied, or the preset's generated tokenizer.json with its tokenizer_config.json
 * and the text it learnt from (sample.txt, a built-in text for `edgelm eval` in the demo). */
static int write_tokenizer(const el_synth_opts *o, json_t *tok, int64_t vocab_size, el_synth_result *r, el_error *err)
{
    if (o->tokenizer_path)
        return copy_tokenizer(o->tokenizer_path, o->out_dir, vocab_size, &r->tokenizer_files, err);
    if (!tok)
        return EL_OK;
    int rc = EL_OK;
    char *p = el_path_join(o->out_dir, "tokenizer.json");
    char *pc = el_path_join(o->out_dir, "tokenizer_config.json");
    json_t *tc = json_pack("{s:b, s:b, s:s, s:s, s:s, s:i, s:s, s:s}", "add_bos_token", 0, "add_eos_token", 0,
                           "bos_token", "<|endoftext|>", "eos_token", "<|endoftext|>", "unk_token", "<|endoftext|>",
                           "model_max_length", 2048, "tokenizer_class", "GPT2Tokenizer", "chat_template",
                           tiny_chat_template);
    if (!p || !pc || !tc)
        rc = EL_NOMEM(err);
    if (!rc)
        rc = el_json_write_file(p, tok, JSON_FLAGS, err);
    if (!rc)
        rc = el_json_write_file(pc, tc, JSON_FLAGS, err);
    char *pt = rc ? NULL : el_path_join(o->out_dir, "sample.txt");
    if (pt)
        rc = el_write_file(pt, el_builtin_text(), strlen(el_builtin_text()), err);
    free(pt);
    r->tokenizer_files = rc ? 0 : 2;
    free(p);
    free(pc);
    json_decref(tc);
    return rc;
}

/* Step 4: the weights, shard by shard: model.safetensors, or model-NNNNN-of-NNNNN.safetensors and
 * their index, after removing the other layout's file an earlier run may have left (it would shadow
 * what is written). */
static int write_weights(const el_synth_opts *o, const plan_tensor *plan, uint64_t n, int shards, int dtype,
                         double init_range, uint64_t bytes, el_error *err)
{
    char *stale = el_path_join(o->out_dir, shards > 1 ? "model.safetensors" : "model.safetensors.index.json");
    if (stale)
        unlink(stale);
    free(stale);
    int rc = EL_OK;
    el_progress_begin(o->progress, "synth", "B", bytes);
    json_t *wmap = shards > 1 ? json_object() : NULL;
    for (int s = 0; s < shards && !rc; s++) {
        char name[64];
        if (shards == 1)
            snprintf(name, sizeof name, "model.safetensors");
        else
            snprintf(name, sizeof name, "model-%05d-of-%05d.safetensors", s + 1, shards);
        char *path = el_path_join(o->out_dir, name);
        if (!path) {
            rc = EL_NOMEM(err);
            break;
        }
        rc = write_shard(path, plan, n, s, dtype, o->seed, init_range, o->progress, err);
        free(path);
        for (uint64_t i = 0; i < n && wmap; i++)
            if (plan[i].shard == s)
                json_object_set_new(wmap, plan[i].name, json_string(name));
    }
    el_progress_end(o->progress);
    if (!rc && wmap) {
        json_t *idx = json_pack("{s:{s:I}, s:O}", "metadata", "total_size", (json_int_t)bytes, "weight_map", wmap);
        char *p = el_path_join(o->out_dir, "model.safetensors.index.json");
        rc = idx && p ? el_json_write_file(p, idx, JSON_FLAGS, err) : EL_NOMEM(err);
        json_decref(idx);
        free(p);
    }
    json_decref(wmap);
    return rc;
}

/*
 * The folder synth writes into: new, empty, or one synth wrote before (it holds SYNTH_MARK). Any other
 * folder with files, a real checkpoint above all, is refused: its model.safetensors and config.json
 * would be replaced by random weights.
 */
#define SYNTH_MARK ".edgelm-synth"
static int check_out_dir(const char *dir, el_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return EL_OK; /* absent (made next), or not a folder, which el_mkdir_p reports */
    char *mark = el_path_join(dir, SYNTH_MARK);
    const bool ours = mark && el_path_exists(mark);
    free(mark);
    const struct dirent *e;
    int rc = EL_OK;
    while (!ours && !rc && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            rc = EL_FAIL(err, EL_EUSAGE, dir, -1,
                         "holds files (e.g. '%.80s') and was not written by synth; choose an empty or new folder", e->d_name);
    closedir(d);
    return rc;
}

static int write_mark(const char *dir, el_error *err)
{
    static const char text[] = "a random-weight checkpoint written by edgelm synth: synth may replace this folder\n";
    char *p = el_path_join(dir, SYNTH_MARK);
    const int rc = p ? el_write_file(p, text, sizeof text - 1, err) : EL_NOMEM(err);
    free(p);
    return rc;
}

int el_synth(const el_synth_opts *o, el_synth_result *r, el_error *err)
{
    memset(r, 0, sizeof *r);
    json_t *root = NULL, *tok = NULL;
    hf_config cfg = {0};
    plan_tensor *plan = NULL;
    uint64_t n = 0;
    int dtype;
    const char *cfg_name = o->config_path ? o->config_path : "preset";
    int rc = load_config(o, &root, &tok, err);
    if (!rc)
        rc = pick_dtype(o, root, &dtype, err);
    if (!rc)
        rc = hf_config_from_json(&cfg, root, cfg_name, err);
    if (rc)
        goto out;
    const el_arch *arch = el_arch_from_hf(cfg.arch);
    if (!arch) {
        rc = EL_FAIL(err, EL_EUNSUPPORTED, cfg_name, -1, "architecture '%s' is not supported (supported: %s)",
                     cfg.arch[0] ? cfg.arch : "(none)", el_arch_supported_list());
        goto out;
    }
    snprintf(r->arch, sizeof r->arch, "%s", cfg.arch);
    r->vocab_size = cfg.vocab_size;
    int shards = o->shards > 0 ? o->shards : 1;
    if (shards > 99999) {
        rc = EL_FAIL(err, EL_EUSAGE, NULL, -1, "too many shards");
        goto out;
    }
    if ((rc = check_out_dir(o->out_dir, err)) || (rc = el_mkdir_p(o->out_dir, err)) || (rc = write_mark(o->out_dir, err)) ||
        (rc = plan_weights(arch, &cfg, dtype, &shards, &plan, &n, r, err)) ||
        (rc = write_tokenizer(o, tok, cfg.vocab_size, r, err)) ||
        (rc = write_weights(o, plan, n, shards, dtype, cfg.init_range, r->bytes, err)))
        goto out;
    char *p = el_path_join(o->out_dir, "config.json");
    rc = p ? el_json_write_file(p, root, JSON_FLAGS, err) : EL_NOMEM(err);
    free(p);
out:
    free(plan);
    hf_config_free(&cfg);
    json_decref(tok);
    json_decref(root);
    return rc;
}
