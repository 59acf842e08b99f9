/*
 * formats/vocab.c - the vocabulary struct: storage, GGUF write and read.
 * (Hugging Face input is formats/vocab_hf.c, tokenizer.model formats/spm_model.c.)
 */
#include "formats/vocab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

static const char *const special_names[EL_SPECIAL_COUNT] = {"bos", "eos", "unk", "sep", "pad", "cls", "mask"};
/* llama.cpp's key names differ from the role names for some roles (and keep a historic misspelling). */
static const char *const special_keys[EL_SPECIAL_COUNT] = {
    "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id",     "tokenizer.ggml.unknown_token_id",
    "tokenizer.ggml.seperator_token_id", "tokenizer.ggml.padding_token_id", "tokenizer.ggml.cls_token_id",
    "tokenizer.ggml.mask_token_id",
};

const char *el_special_name(int role) { return role >= 0 && role < EL_SPECIAL_COUNT ? special_names[role] : "?"; }

int el_vocab_alloc(el_vocab *v, uint32_t n_tokens, bool with_scores, el_error *err)
{
    el_vocab_free(v);
    memset(v, 0, sizeof *v);
    for (int i = 0; i < EL_SPECIAL_COUNT; i++)
        v->special[i] = -1;
    v->add_bos = v->add_eos = v->add_space_prefix = -1;
    v->n_tokens = n_tokens;
    v->tokens = calloc(n_tokens ? n_tokens : 1, sizeof *v->tokens);
    v->types = calloc(n_tokens ? n_tokens : 1, sizeof *v->types);
    v->scores = with_scores ? calloc(n_tokens ? n_tokens : 1, sizeof *v->scores) : NULL;
    if (!v->tokens || !v->types || (with_scores && !v->scores)) {
        el_vocab_free(v);
        return EL_NOMEM(err);
    }
    return EL_OK;
}

/*
 * The arena grows by whole new blocks chained through their first word, so
 * strings already handed out never move.
 */
char *el_vocab_strdup(el_vocab *v, const char *s, uint64_t len)
{
    uint64_t need = len + 1;
    if (!v->arena || v->arena_len + need > v->arena_cap) {
        uint64_t cap = EL_MAX((uint64_t)1 << 20, need + sizeof(char *));
        char *blk = malloc((size_t)cap);
        if (!blk)
            return NULL;
        memcpy(blk, &v->arena, sizeof(char *)); /* link to the previous block */
        v->arena = blk;
        v->arena_len = sizeof(char *);
        v->arena_cap = cap;
    }
    char *d = v->arena + v->arena_len;
    memcpy(d, s, (size_t)len);
    d[len] = '\0';
    v->arena_len += need;
    return d;
}

void el_vocab_free(el_vocab *v)
{
    if (!v)
        return;
    char *blk = v->arena;
    while (blk) {
        char *prev;
        memcpy(&prev, blk, sizeof(char *));
        free(blk);
        blk = prev;
    }
    free(v->tokens);
    free(v->scores);
    free(v->types);
    free(v->merges);
    free(v->chat_template);
    free(v->hf_normalizer);
    free(v->hf_pre_tokenizer);
    memset(v, 0, sizeof *v);
}

/* ---- GGUF ------------------------------------------------------------------------ */

int el_vocab_to_gguf(const el_vocab *v, gguf_writer *w, el_error *err)
{
    int rc = EL_OK;
    if (v->type == EL_VOCAB_NONE)
        return gguf_add_str(w, "tokenizer.ggml.model", "none", err);
    if (!rc) rc = gguf_add_str(w, "tokenizer.ggml.model", v->type == EL_VOCAB_BPE ? "gpt2" : "llama", err);
    if (!rc) rc = gguf_add_str(w, "tokenizer.ggml.pre", v->pre[0] ? v->pre : "default", err);
    if (!rc) rc = gguf_add_str_arr(w, "tokenizer.ggml.tokens", (const char *const *)v->tokens, v->n_tokens, err);
    if (!rc && v->scores) rc = gguf_add_arr(w, "tokenizer.ggml.scores", GGUF_TYPE_FLOAT32, v->scores, v->n_tokens, err);
    if (!rc) rc = gguf_add_arr(w, "tokenizer.ggml.token_type", GGUF_TYPE_INT32, v->types, v->n_tokens, err);
    if (!rc && v->n_merges)
        rc = gguf_add_str_arr(w, "tokenizer.ggml.merges", (const char *const *)v->merges, v->n_merges, err);
    for (int i = 0; i < EL_SPECIAL_COUNT && !rc; i++)
        if (v->special[i] >= 0)
            rc = gguf_add_u32(w, special_keys[i], (uint32_t)v->special[i], err);
    if (!rc && v->add_bos >= 0) rc = gguf_add_bool(w, "tokenizer.ggml.add_bos_token", v->add_bos != 0, err);
    if (!rc && v->add_eos >= 0) rc = gguf_add_bool(w, "tokenizer.ggml.add_eos_token", v->add_eos != 0, err);
    if (!rc && v->type == EL_VOCAB_SPM && v->add_space_prefix >= 0)
        rc = gguf_add_bool(w, "tokenizer.ggml.add_space_prefix", v->add_space_prefix != 0, err);
    if (!rc && v->chat_template) rc = gguf_add_str(w, "tokenizer.chat_template", v->chat_template, err);
    return rc;
}

int el_vocab_from_gguf(el_vocab *v, const gguf_file *f, el_error *err)
{
    memset(v, 0, sizeof *v);
    gguf_str model;
    int r = gguf_get_str(f, "tokenizer.ggml.model", &model);
    if (r != 1)
        return EL_FAIL(err, r == 0 ? EL_EMISSING : EL_EFORMAT, f->path, -1, "tokenizer.ggml.model is %s",
                       r == 0 ? "missing" : "not a string");
    int type;
    if (model.len == 4 && memcmp(model.ptr, "gpt2", 4) == 0)
        type = EL_VOCAB_BPE;
    else if (model.len == 5 && memcmp(model.ptr, "llama", 5) == 0)
        type = EL_VOCAB_SPM;
    else
        return EL_FAIL(err, EL_EUNSUPPORTED, f->path, -1, "tokenizer model '%.*s' is not supported (gpt2 and llama are)",
                       (int)EL_MIN(model.len, 64), model.ptr);
    const gguf_array *toks, *types = NULL, *scores = NULL, *merges = NULL;
    if (gguf_get_arr(f, "tokenizer.ggml.tokens", &toks) != 1 || toks->type != GGUF_TYPE_STRING)
        return EL_FAIL(err, EL_EMISSING, f->path, -1, "tokenizer.ggml.tokens is missing or not a string array");
    if (toks->n == 0 || toks->n > (1u << 24))
        return EL_FAIL(err, EL_ERANGE, f->path, -1, "tokenizer.ggml.tokens has %llu entries", (unsigned long long)toks->n);
    uint32_t n = (uint32_t)toks->n;
    if (gguf_get_arr(f, "tokenizer.ggml.token_type", &types) == 1 &&
        (types->n != n || gguf_vtype_size(types->type) == 0))
        return EL_FAIL(err, EL_EFORMAT, f->path, -1, "tokenizer.ggml.token_type must be %u numbers", n);
    if (gguf_get_arr(f, "tokenizer.ggml.scores", &scores) == 1 &&
        (scores->n != n || (scores->type != GGUF_TYPE_FLOAT32 && scores->type != GGUF_TYPE_FLOAT64)))
        return EL_FAIL(err, EL_EFORMAT, f->path, -1, "tokenizer.ggml.scores must be %u floats", n);
    if (gguf_get_arr(f, "tokenizer.ggml.merges", &merges) == 1 && merges->type != GGUF_TYPE_STRING)
        return EL_FAIL(err, EL_EFORMAT, f->path, -1, "tokenizer.ggml.merges must be strings");
    int rc = el_vocab_alloc(v, n, type == EL_VOCAB_SPM, err);
    if (rc)
        return rc;
    v->type = type;
    for (uint32_t i = 0; i < n; i++) {
        if (memchr(toks->strs[i].ptr, 0, (size_t)toks->strs[i].len)) {
            el_vocab_free(v);
            return EL_FAIL(err, EL_EFORMAT, f->path, -1, "token %u contains a NUL byte", i);
        }
        v->tokens[i] = el_vocab_strdup(v, toks->strs[i].ptr, toks->strs[i].len);
        if (!v->tokens[i]) {
            el_vocab_free(v);
            return EL_NOMEM(err);
        }
        v->types[i] = types ? (int32_t)gguf_arr_i64(types, i) : EL_TOK_NORMAL;
        if (v->scores)
            v->scores[i] = scores ? (float)gguf_arr_f64(scores, i) : 0.0f;
    }
    if (merges && merges->n) {
        if (merges->n > (1u << 24)) {
            el_vocab_free(v);
            return EL_FAIL(err, EL_ERANGE, f->path, -1, "too many merges");
        }
        v->merges = malloc((size_t)merges->n * sizeof *v->merges);
        if (!v->merges) {
            el_vocab_free(v);
            return EL_NOMEM(err);
        }
        for (uint64_t i = 0; i < merges->n; i++) {
            v->merges[i] = el_vocab_strdup(v, merges->strs[i].ptr, merges->strs[i].len);
            if (!v->merges[i]) {
                el_vocab_free(v);
                return EL_NOMEM(err);
            }
        }
        v->n_merges = (uint32_t)merges->n;
    }
    gguf_str pre;
    if (gguf_get_str(f, "tokenizer.ggml.pre", &pre) == 1)
        snprintf(v->pre, sizeof v->pre, "%.*s", (int)EL_MIN(pre.len, sizeof v->pre - 1), pre.ptr);
    else
        snprintf(v->pre, sizeof v->pre, "default");
    for (int i = 0; i < EL_SPECIAL_COUNT; i++) {
        uint32_t id;
        if (gguf_get_u32(f, special_keys[i], &id) == 1 && id < n)
            v->special[i] = id;
    }
    bool b;
    if (gguf_get_bool(f, "tokenizer.ggml.add_bos_token", &b) == 1)
        v->add_bos = b;
    if (gguf_get_bool(f, "tokenizer.ggml.add_eos_token", &b) == 1)
        v->add_eos = b;
    if (gguf_get_bool(f, "tokenizer.ggml.add_space_prefix", &b) == 1)
        v->add_space_prefix = b;
    gguf_str tmpl;
    if (gguf_get_str(f, "tokenizer.chat_template", &tmpl) == 1) {
        v->chat_template = strndup(tmpl.ptr, (size_t)tmpl.len);
        if (!v->chat_template) {
            el_vocab_free(v);
            return EL_NOMEM(err);
        }
    }
    return EL_OK;
}
