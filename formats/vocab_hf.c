/*
 * formats/vocab_hf.c - a Hugging Face tokenizer folder -> el_vocab.
 *
 * Layout of this file:
 *   1. helpers (special-looking tokens, merge pairs, byte tokens)
 *   2. byte-level BPE from tokenizer.json ("gpt2")
 *   3. SentencePiece BPE from tokenizer.json with byte_fallback ("llama"),
 *      scores rebuilt from merge ranks
 *   4. overlays: added tokens, special tokens, add_bos/eos, chat template
 *   5. el_vocab_from_hf()
 *
 * The rules follow llama.cpp's converter (convert_hf_to_gguf.py and gguf-py's
 * SpecialVocab) so files agree with its own; where it guesses or needs Python
 * libraries, we read the tokenizer's definition instead (documented at each
 * place).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "core/json.h"
#include "core/strmap.h"
#include "core/util.h"
#include "formats/vocab.h"

/* ---- 1. helpers --------------------------------------------------------------------- */

static bool starts_ends(const char *s, const char *a, const char *b)
{
    size_t n = strlen(s), na = strlen(a), nb = strlen(b);
    return n >= na + nb && memcmp(s, a, na) == 0 && memcmp(s + n - nb, b, nb) == 0;
}

/* llama.cpp's does_token_look_special(). */
static bool looks_special(const char *t)
{
    return strcmp(t, "<pad>") == 0 || strcmp(t, "<mask>") == 0 || strcmp(t, "<2mass>") == 0 ||
           strcmp(t, "[@BOS@]") == 0 || starts_ends(t, "<|", "|>") || starts_ends(t, "<\xef\xbd\x9c", "\xef\xbd\x9c>") ||
           starts_ends(t, "<unused", ">");
}

static bool is_byte_token(const char *t)
{
    return strlen(t) == 6 && t[0] == '<' && t[1] == '0' && t[2] == 'x' && t[5] == '>' &&
           strchr("0123456789ABCDEFabcdef", t[3]) && strchr("0123456789ABCDEFabcdef", t[4]);
}

/* "▁" (U+2581) -> " " for user-defined tokens, as llama.cpp pre-normalises them. */
static char *spaces_for_lower_eighths(el_vocab *v, const char *t)
{
    size_t n = strlen(t);
    char *tmp = malloc(n + 1);
    if (!tmp)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        if (i + 3 <= n && memcmp(t + i, "\xe2\x96\x81", 3) == 0) {
            tmp[o++] = ' ';
            i += 3;
        } else {
            tmp[o++] = t[i++];
        }
    }
    char *r = el_vocab_strdup(v, tmp, o);
    free(tmp);
    return r;
}

/*
 * A merge as "left right". tokenizer.json has two spellings: "a b" strings, and
 * (transformers >= 4.45) [a, b] pairs, whose parts may contain spaces; those are
 * written as U+0120 ("Ġ", i.e. chr(ord(' ') + 256)) exactly as gguf-py does.
 */
static char *merge_text(el_vocab *v, const json_t *m)
{
    if (json_is_string(m))
        return el_vocab_strdup(v, json_string_value(m), json_string_length(m));
    if (!json_is_array(m) || json_array_size(m) != 2 || !json_is_string(json_array_get(m, 0)) ||
        !json_is_string(json_array_get(m, 1)))
        return NULL;
    const char *a = json_string_value(json_array_get(m, 0)), *b = json_string_value(json_array_get(m, 1));
    size_t la = strlen(a), lb = strlen(b);
    char *tmp = malloc(2 * (la + lb) + 2);
    if (!tmp)
        return NULL;
    size_t o = 0;
    for (int part = 0; part < 2; part++) {
        const char *s = part ? b : a;
        if (part)
            tmp[o++] = ' ';
        for (; *s; s++) {
            if (*s == ' ') {
                tmp[o++] = (char)0xc4;
                tmp[o++] = (char)0xa0;
            } else {
                tmp[o++] = *s;
            }
        }
    }
    char *r = el_vocab_strdup(v, tmp, o);
    free(tmp);
    return r;
}

static int load_merges(el_vocab *v, const json_t *merges, const char *path, el_error *err)
{
    if (merges && !json_is_null(merges) && !json_is_array(merges)) /* an object read as "no merges" changed every token */
        return EL_FAIL(err, EL_EJSON, path, -1, "model.merges must be a list");
    size_t n = json_array_size(merges);
    if (n == 0)
        return EL_OK;
    if (n > (1u << 24))
        return EL_FAIL(err, EL_ERANGE, path, -1, "%zu merges is implausibly many", n);
    v->merges = malloc(n * sizeof *v->merges);
    if (!v->merges)
        return EL_NOMEM(err);
    for (size_t i = 0; i < n; i++) {
        v->merges[i] = merge_text(v, json_array_get(merges, i));
        if (!v->merges[i])
            return EL_FAIL(err, EL_EJSON, path, -1, "merge %zu is neither \"a b\" nor [\"a\", \"b\"]", i);
    }
    v->n_merges = (uint32_t)n;
    return EL_OK;
}

int64_t el_tokenizer_json_max_id(const void *tokenizer_json, bool with_added)
{
    const json_t *tok = tokenizer_json;
    int64_t max = -1;
    const char *k;
    json_t *val;
    json_object_foreach(json_object_get(json_object_get(tok, "model"), "vocab"), k, val) {
        if (json_is_integer(val) && json_integer_value(val) > max)
            max = json_integer_value(val);
    }
    size_t i;
    json_t *a;
    if (with_added)
        json_array_foreach(json_object_get(tok, "added_tokens"), i, a) {
            json_t *id = json_object_get(a, "id");
            if (json_is_integer(id) && json_integer_value(id) > max)
                max = json_integer_value(id);
        }
    return max;
}

/* Fill tokens[] from model.vocab; every id in [0, n) gets a text later or a [PADn]. */
static int load_base_vocab(el_vocab *v, const json_t *vocab, const char *path, el_error *err)
{
    if (!json_is_object(vocab))
        return EL_FAIL(err, EL_EJSON, path, -1, "model.vocab is not an object of token -> id");
    const char *k;
    json_t *val;
    json_object_foreach((json_t *)vocab, k, val) {
        if (!json_is_integer(val) || json_integer_value(val) < 0 || json_integer_value(val) >= v->n_tokens)
            return EL_FAIL(err, EL_EJSON, path, -1, "model.vocab id of '%s' is not in [0, %u)", k, v->n_tokens);
        uint32_t id = (uint32_t)json_integer_value(val);
        if (v->tokens[id])
            return EL_FAIL(err, EL_EDUP, path, -1, "model.vocab gives id %u to both '%s' and '%s'", id, v->tokens[id], k);
        /* jansson keys are NUL-terminated: a token with an embedded NUL cannot be represented */
        v->tokens[id] = el_vocab_strdup(v, k, strlen(k));
        if (!v->tokens[id])
            return EL_NOMEM(err);
        v->types[id] = EL_TOK_NORMAL;
    }
    return EL_OK;
}

static int pad_missing(el_vocab *v, float score, el_error *err)
{
    for (uint32_t i = 0; i < v->n_tokens; i++) {
        if (v->tokens[i])
            continue;
        char name[32];
        int len = snprintf(name, sizeof name, "[PAD%u]", i);
        v->tokens[i] = el_vocab_strdup(v, name, (uint64_t)len);
        if (!v->tokens[i])
            return EL_NOMEM(err);
        v->types[i] = EL_TOK_UNUSED;
        if (v->scores)
            v->scores[i] = score;
    }
    return EL_OK;
}

/*
 * The vocabulary's size: config.json's vocab_size when given, else the largest id + 1. As llama.cpp's
 * converter does, added tokens past vocab_size are left out (overlay_added skips them: Gemma 3 1B's
 * vocab_size 262144 leaves out <image_soft_token>, 262144); model.vocab must fit.
 */
static uint32_t vocab_count(const json_t *tok, int64_t vocab_size, const char *path, el_error *err, int *rc)
{
    int64_t max = el_tokenizer_json_max_id(tok, vocab_size <= 0), base = el_tokenizer_json_max_id(tok, false);
    *rc = EL_OK;
    if (max < 0) {
        *rc = EL_FAIL(err, EL_EJSON, path, -1, "tokenizer has no tokens");
        return 0;
    }
    if (vocab_size > 0 && base >= vocab_size) {
        *rc = EL_FAIL(err, EL_ESHAPE, path, -1, "tokenizer has ids up to %lld but config.json's vocab_size is %lld",
                      (long long)base, (long long)vocab_size);
        return 0;
    }
    if (max >= (1 << 24)) {
        *rc = EL_FAIL(err, EL_ERANGE, path, -1, "token id %lld is implausibly large", (long long)max);
        return 0;
    }
    return (uint32_t)(vocab_size > 0 ? vocab_size : max + 1);
}

/* ---- 2. byte-level BPE ---------------------------------------------------------------- */

static bool has_added_content(const json_t *tok, const char *content)
{
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(tok, "added_tokens"), i, a) {
        const char *c = json_string_value(json_object_get(a, "content"));
        if (c && strcmp(c, content) == 0)
            return true;
    }
    return false;
}

/* The normalizers llama.cpp's gpt2 tokenizer can honour (none, or NFC which we apply ourselves). */
static int check_bpe_normalizer(el_vocab *v, const json_t *norm, const char *path, el_error *err)
{
    if (!norm || json_is_null(norm))
        return EL_OK;
    const char *t = json_string_value(json_object_get(norm, "type"));
    if (t && strcmp(t, "NFC") == 0) {
        v->normalizer_nfc = 1;
        return EL_OK;
    }
    return EL_FAIL(err, EL_EUNSUPPORTED, path, -1, "byte-level BPE with a '%s' normalizer is not supported",
                   t ? t : "?");
}

static int bpe_from_json(el_vocab *v, const json_t *tok, int64_t vocab_size, const char *path, el_error *err)
{
    int rc;
    uint32_t n = vocab_count(tok, vocab_size, path, err, &rc);
    if (rc)
        return rc;
    if ((rc = el_vocab_alloc(v, n, false, err)))
        return rc;
    v->type = EL_VOCAB_BPE;
    const json_t *model = json_object_get(tok, "model");
    if ((rc = load_base_vocab(v, json_object_get(model, "vocab"), path, err)))
        return rc;
    if ((rc = check_bpe_normalizer(v, json_object_get(tok, "normalizer"), path, err)))
        return rc;
    if ((rc = el_pretok_classify(json_object_get(tok, "pre_tokenizer"),
                                 has_added_content(tok, "<\xef\xbd\x9c" "begin\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>"),
                                 path, v->pre, sizeof v->pre, err)))
        return rc;
    v->ignore_merges = json_is_true(json_object_get(model, "ignore_merges"));
    return load_merges(v, json_object_get(model, "merges"), path, err);
}

/* ---- 3. SentencePiece BPE from tokenizer.json --------------------------------------------- */

/*
 * tokenizer.json keeps no SentencePiece scores, and llama.cpp's own fallback
 * (LlamaHfVocab) writes -1000 for every token, which makes its merges pick
 * pieces in text order. We rebuild scores from the merge list instead: the
 * piece made by merge r gets score -r, so llama.cpp's highest-score-first
 * merging applies pieces in exactly the rank order tokenizers does (the list
 * was generated from the SentencePiece scores in the first place). Pieces no
 * merge makes (characters, bytes, specials) get -(n_merges + id): they are
 * never the result of a merge, so their score is never consulted.
 */
static int scores_from_merges(el_vocab *v, const json_t *merges, const char *path, el_error *err)
{
    el_strmap ids;
    if (!el_strmap_init(&ids, v->n_tokens))
        return EL_NOMEM(err);
    for (uint32_t i = 0; i < v->n_tokens; i++)
        if (v->tokens[i])
            el_strmap_put(&ids, v->tokens[i], strlen(v->tokens[i]), i, NULL);
    size_t nm = json_array_size(merges);
    for (uint32_t i = 0; i < v->n_tokens; i++)
        v->scores[i] = -(float)((double)nm + i);
    char *buf = NULL;
    size_t cap = 0;
    int rc = EL_OK;
    for (size_t r = 0; r < nm; r++) {
        const json_t *m = json_array_get(merges, r);
        const char *a, *b;
        size_t la, lb;
        if (json_is_string(m)) {
            a = json_string_value(m);
            const char *sp = strchr(a, ' ');
            if (!sp) {
                rc = EL_FAIL(err, EL_EJSON, path, -1, "merge %zu '%s' has no space", r, a);
                break;
            }
            la = (size_t)(sp - a);
            b = sp + 1;
            lb = strlen(b);
        } else if (json_is_array(m) && json_array_size(m) == 2 && json_is_string(json_array_get(m, 0)) &&
                   json_is_string(json_array_get(m, 1))) {
            a = json_string_value(json_array_get(m, 0));
            b = json_string_value(json_array_get(m, 1));
            la = strlen(a);
            lb = strlen(b);
        } else {
            rc = EL_FAIL(err, EL_EJSON, path, -1, "merge %zu is neither \"a b\" nor [\"a\", \"b\"]", r);
            break;
        }
        if (la + lb + 1 > cap) {
            cap = (la + lb + 1) * 2;
            char *nb = realloc(buf, cap);
            if (!nb) {
                rc = EL_NOMEM(err);
                break;
            }
            buf = nb;
        }
        memcpy(buf, a, la);
        memcpy(buf + la, b, lb);
        int64_t id = el_strmap_get(&ids, buf, la + lb);
        if (id >= 0 && v->scores[id] < -(float)r)
            v->scores[id] = -(float)r;
    }
    free(buf);
    el_strmap_free(&ids);
    return rc;
}

static int spm_from_json(el_vocab *v, const json_t *tok, int64_t vocab_size, const char *path, el_error *err)
{
    int rc;
    uint32_t n = vocab_count(tok, vocab_size, path, err, &rc);
    if (rc)
        return rc;
    if ((rc = el_vocab_alloc(v, n, true, err)))
        return rc;
    v->type = EL_VOCAB_SPM;
    snprintf(v->pre, sizeof v->pre, "default");
    const json_t *model = json_object_get(tok, "model");
    if ((rc = load_base_vocab(v, json_object_get(model, "vocab"), path, err)))
        return rc;
    if ((rc = scores_from_merges(v, json_object_get(model, "merges"), path, err)))
        return rc;
    const char *unk = json_string_value(json_object_get(model, "unk_token"));
    for (uint32_t i = 0; i < n; i++) {
        if (!v->tokens[i])
            continue;
        if (is_byte_token(v->tokens[i]))
            v->types[i] = EL_TOK_BYTE;
        else if (unk && strcmp(v->tokens[i], unk) == 0)
            v->types[i] = EL_TOK_UNKNOWN;
    }
    return EL_OK;
}

/* Does the normalizer prepend "▁" (SentencePiece's add_dummy_prefix)? */
static bool normalizer_prepends(const json_t *n)
{
    if (!n || json_is_null(n))
        return false;
    const char *t = json_string_value(json_object_get(n, "type"));
    if (t && strcmp(t, "Prepend") == 0)
        return true;
    if (t && strcmp(t, "Sequence") == 0) {
        size_t i;
        json_t *s;
        json_array_foreach(json_object_get(n, "normalizers"), i, s) {
            if (normalizer_prepends(s))
                return true;
        }
    }
    return false;
}

/* ---- 4. overlays ------------------------------------------------------------------------ */

/* Set token `id` to an added token (SentencePiece vocabularies take llama.cpp's -1000 score). */
static int set_added(el_vocab *v, int64_t id, const char *content, bool special, const char *path, el_error *err)
{
    if (id < 0 || id >= v->n_tokens)
        return EL_FAIL(err, EL_ESHAPE, path, -1, "added token '%s' has id %lld outside the vocabulary of %u", content,
                       (long long)id, v->n_tokens);
    bool control = special || looks_special(content);
    char *t = control ? el_vocab_strdup(v, content, strlen(content)) : spaces_for_lower_eighths(v, content);
    if (!t)
        return EL_NOMEM(err);
    v->tokens[id] = t;
    v->types[id] = control ? EL_TOK_CONTROL : EL_TOK_USER_DEFINED;
    if (v->scores)
        v->scores[id] = -1000.0f;
    return EL_OK;
}

static int overlay_added(el_vocab *v, const json_t *tok, const json_t *tcfg, const char *dir, const char *path,
                         int64_t vocab_size, el_error *err)
{
    int rc = EL_OK;
    /* added_tokens.json (SentencePiece folders): user-defined */
    char *atj = el_path_join(dir, "added_tokens.json");
    if (!atj)
        return EL_NOMEM(err);
    if (el_path_exists(atj)) {
        json_t *at = NULL;
        rc = el_json_load(atj, 64u << 20, &at, err);
        const char *k;
        json_t *val;
        if (!rc)
            json_object_foreach(at, k, val) {
                if (json_is_integer(val) && json_integer_value(val) < v->n_tokens && !rc)
                    rc = set_added(v, json_integer_value(val), k, false, atj, err);
            }
        json_decref(at);
    }
    free(atj);
    if (rc)
        return rc;
    /* tokenizer_config.json added_tokens_decoder */
    const char *k;
    json_t *val;
    json_object_foreach(json_object_get(tcfg, "added_tokens_decoder"), k, val) {
        char *end;
        long long id = strtoll(k, &end, 10);
        const char *content = json_string_value(json_object_get(val, "content"));
        if (*end || !content)
            return EL_FAIL(err, EL_EJSON, path, -1, "added_tokens_decoder entry '%s' is malformed", k);
        if (id >= (long long)v->n_tokens && vocab_size > 0)
            continue; /* past config.json's vocab_size: llama.cpp's converter leaves it out */
        if ((rc = set_added(v, id, content, json_is_true(json_object_get(val, "special")), path, err)))
            return rc;
    }
    /* tokenizer.json added_tokens */
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(tok, "added_tokens"), i, a) {
        json_t *id = json_object_get(a, "id");
        const char *content = json_string_value(json_object_get(a, "content"));
        if (!json_is_integer(id) || !content)
            return EL_FAIL(err, EL_EJSON, path, -1, "added_tokens[%zu] needs an integer id and a content", i);
        if (json_integer_value(id) >= (json_int_t)v->n_tokens && vocab_size > 0)
            continue;
        if ((rc = set_added(v, json_integer_value(id), content, json_is_true(json_object_get(a, "special")), path, err)))
            return rc;
    }
    return EL_OK;
}

/*
 * gguf-py's SpecialVocab: "<role>_token" in tokenizer_config.json (a string or
 * {"content": ...}) resolved through tokenizer.json's added tokens; then
 * config.json's "<role>_token_id" for roles still unset.
 */
static void resolve_specials(el_vocab *v, const json_t *tok, const json_t *tcfg, const hf_config *cfg)
{
    for (int r = 0; r < EL_SPECIAL_COUNT; r++) {
        char key[32];
        snprintf(key, sizeof key, "%s_token", el_special_name(r));
        const json_t *e = json_object_get(tcfg, key);
        const char *content = json_is_string(e) ? json_string_value(e) : json_string_value(json_object_get(e, "content"));
        if (!content)
            continue;
        size_t i;
        json_t *a;
        json_array_foreach(json_object_get(tok, "added_tokens"), i, a) {
            const char *c = json_string_value(json_object_get(a, "content"));
            json_t *id = json_object_get(a, "id");
            if (c && strcmp(c, content) == 0 && json_is_integer(id)) {
                if (json_integer_value(id) >= 0 && json_integer_value(id) < v->n_tokens)
                    v->special[r] = json_integer_value(id);
                break;
            }
        }
    }
    if (cfg && cfg->root)
        for (int r = 0; r < EL_SPECIAL_COUNT; r++) {
            if (v->special[r] >= 0)
                continue;
            char key[32];
            snprintf(key, sizeof key, "%s_token_id", el_special_name(r));
            json_t *id = json_object_get(cfg->root, key);
            if (json_is_integer(id) && json_integer_value(id) >= 0 && json_integer_value(id) < v->n_tokens)
                v->special[r] = json_integer_value(id);
        }
}

/*
 * add_bos / add_eos: tokenizer_config.json when it says; otherwise what the
 * tokenizer.json post-processor does (a TemplateProcessing that starts/ends
 * with a special token adds it; ByteLevel or none adds nothing), which is
 * what Hugging Face does with the text. llama.cpp's converter leaves the keys
 * out in that case (and hard-codes add_bos=false for 49152-token Llama
 * vocabularies); writing the tokenizer's actual behaviour is equivalent for
 * those and right for the rest.
 */
static void resolve_add_flags(el_vocab *v, const json_t *tok, const json_t *tcfg)
{
    json_t *b = json_object_get(tcfg, "add_bos_token"), *e = json_object_get(tcfg, "add_eos_token");
    const json_t *post = json_object_get(tok, "post_processor");
    const char *pt = json_string_value(json_object_get(post, "type"));
    int tb = -1, te = -1;
    if (pt && strcmp(pt, "TemplateProcessing") == 0) {
        const json_t *single = json_object_get(post, "single");
        size_t n = json_array_size(single);
        tb = n > 0 && json_object_get(json_array_get(single, 0), "SpecialToken") != NULL;
        te = n > 1 && json_object_get(json_array_get(single, n - 1), "SpecialToken") != NULL;
    } else if (tok && (!post || json_is_null(post) || (pt && strcmp(pt, "ByteLevel") == 0))) {
        tb = te = 0;
    }
    v->add_bos = json_is_boolean(b) ? json_is_true(b) : tb >= 0 ? tb : (v->type == EL_VOCAB_SPM ? 1 : 0);
    v->add_eos = json_is_boolean(e) ? json_is_true(e) : te >= 0 ? te : 0;
}

static int resolve_chat_template(el_vocab *v, const json_t *tcfg, const char *path, el_error *err)
{
    const json_t *ct = json_object_get(tcfg, "chat_template");
    const char *tmpl = NULL;
    if (json_is_string(ct)) {
        tmpl = json_string_value(ct);
    } else if (json_is_array(ct)) {
        /* [{"name": ..., "template": ...}]: the "default" one is the model's template */
        size_t i;
        json_t *t;
        json_array_foreach(ct, i, t) {
            const char *name = json_string_value(json_object_get(t, "name"));
            if (name && strcmp(name, "default") == 0)
                tmpl = json_string_value(json_object_get(t, "template"));
        }
    } else if (ct && !json_is_null(ct)) {
        return EL_FAIL(err, EL_EJSON, path, -1, "chat_template is neither a string nor a list");
    }
    if (tmpl && !(v->chat_template = strdup(tmpl)))
        return EL_NOMEM(err);
    return EL_OK;
}

/* ---- 5. the folder ------------------------------------------------------------------------- */

int el_vocab_from_hf(el_vocab *v, const char *dir, const hf_config *cfg, el_error *err)
{
    memset(v, 0, sizeof *v);
    char *tj = el_path_join(dir, "tokenizer.json"), *tm = el_path_join(dir, "tokenizer.model"),
         *tc = el_path_join(dir, "tokenizer_config.json");
    json_t *tok = NULL, *tcfg = NULL;
    int rc = EL_OK;
    int64_t vocab_size = cfg ? cfg->vocab_size : 0;
    if (!tj || !tm || !tc) {
        rc = EL_NOMEM(err);
        goto out;
    }
    bool have_json = el_path_exists(tj), have_model = el_path_exists(tm);
    if (!have_json && !have_model) {
        rc = EL_FAIL(err, EL_EMISSING, dir, -1, "no tokenizer.json or tokenizer.model in this folder");
        goto out;
    }
    if (el_path_exists(tc) && (rc = el_json_load(tc, 256u << 20, &tcfg, err)))
        goto out;
    if (tcfg && !json_is_object(tcfg)) {
        rc = EL_FAIL(err, EL_EJSON, tc, -1, "not a JSON object");
        goto out;
    }
    if (have_json) {
        if ((rc = el_json_load(tj, 1024u << 20, &tok, err)))
            goto out;
        const json_t *model = json_object_get(tok, "model");
        const char *mtype = json_string_value(json_object_get(model, "type"));
        if (!json_is_object(model) || !mtype) {
            rc = EL_FAIL(err, EL_EJSON, tj, -1, "no \"model\" with a \"type\"");
            goto out;
        }
        if (strcmp(mtype, "BPE") != 0) {
            rc = EL_FAIL(err, EL_EUNSUPPORTED, tj, -1, "tokenizer model type '%s' is not supported (BPE is)", mtype);
            goto out;
        }
        if (json_is_true(json_object_get(model, "byte_fallback"))) {
            /* SentencePiece converted to tokenizer.json: tokenizer.model has the real scores when present */
            rc = have_model ? el_spm_model_load(v, tm, vocab_size, err) : spm_from_json(v, tok, vocab_size, tj, err);
            if (!rc && !have_model)
                v->add_space_prefix = normalizer_prepends(json_object_get(tok, "normalizer"));
        } else {
            rc = bpe_from_json(v, tok, vocab_size, tj, err);
        }
        if (!rc) {
            char *s = el_json_dumps(json_object_get(tok, "normalizer"), JSON_COMPACT | JSON_ENCODE_ANY);
            char *p = el_json_dumps(json_object_get(tok, "pre_tokenizer"), JSON_COMPACT | JSON_ENCODE_ANY);
            v->hf_normalizer = s;
            v->hf_pre_tokenizer = p;
        }
    } else {
        rc = el_spm_model_load(v, tm, vocab_size, err);
    }
    if (rc)
        goto out;
    if (v->type == EL_VOCAB_SPM || tok)
        if ((rc = overlay_added(v, tok, tcfg, dir, tc, vocab_size, err)))
            goto out;
    if ((rc = pad_missing(v, v->type == EL_VOCAB_SPM ? -10000.0f : 0.0f, err)))
        goto out;
    resolve_specials(v, tok, tcfg, cfg);
    resolve_add_flags(v, tok, tcfg);
    json_t *aps = json_object_get(tcfg, "add_prefix_space");
    if (v->type == EL_VOCAB_SPM && json_is_boolean(aps))
        v->add_space_prefix = json_is_true(aps);
    rc = resolve_chat_template(v, tcfg, tc, err);
out:
    if (rc)
        el_vocab_free(v);
    json_decref(tok);
    json_decref(tcfg);
    free(tj);
    free(tm);
    free(tc);
    return rc;
}
