/*
 * engine/tokenizer/tokenizer.c - loading, special tokens, the encode/decode drivers.
 *
 * Layout of this file:
 *   1. contexts and token lists
 *   2. building a tokenizer from a vocabulary (maps, byte tables, specials)
 *   3. loading from a GGUF or a folder
 *   4. encode: special tokens split out first, then each raw fragment
 *   5. decode
 */
#include "engine/tokenizer/tokenizer.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "core/util.h"
#include "engine/tokenizer/tok_internal.h"
#include "formats/gguf.h"
#include "formats/hf_config.h"

/* ---- 1. contexts -------------------------------------------------------------------------- */

el_tok_ctx *el_tok_ctx_new(void)
{
    el_tok_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->md = pcre2_match_data_create(16, NULL);
    c->mctx = pcre2_match_context_create(NULL);
    c->jit = pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, NULL);
    if (!c->md || !c->mctx || !c->jit) {
        el_tok_ctx_free(c);
        return NULL;
    }
    pcre2_jit_stack_assign(c->mctx, NULL, c->jit);
    return c;
}

void el_tok_ctx_free(el_tok_ctx *c)
{
    if (!c)
        return;
    pcre2_match_data_free(c->md);
    pcre2_match_context_free(c->mctx);
    pcre2_jit_stack_free(c->jit);
    free(c->buf);
    free(c->buf2);
    el_tok_cache_clear(c);
    free(c->cache_ids);
    free(c);
}

int el_tokens_push(el_tokens *t, int32_t id)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        int32_t *ids = realloc(t->ids, cap * sizeof *ids);
        if (!ids)
            return -1;
        t->ids = ids;
        t->cap = cap;
    }
    t->ids[t->n++] = id;
    return 0;
}

void el_tokens_free(el_tokens *t)
{
    if (!t)
        return;
    free(t->ids);
    memset(t, 0, sizeof *t);
}

/* ---- 2. building ---------------------------------------------------------------------------- */

void el_tok_free(el_tokenizer *t)
{
    if (!t)
        return;
    el_strmap_free(&t->text_to_id);
    el_strmap_free(&t->merge_rank);
    free(t->special);
    free(t->special_by_byte);
    for (int i = 0; i < t->n_re; i++)
        pcre2_code_free(t->re[i]);
    el_norm_free(&t->norm);
    free(t->byte_of_token);
    el_vocab_free(&t->v);
    free(t);
}

/* GPT-2's printable spelling of bytes: printable Latin-1 as itself, the rest from U+0100 on. */
static void build_byte_map(el_tokenizer *t)
{
    int next = 256;
    for (int i = 0; i < 512; i++)
        t->cp_to_byte[i] = -1;
    for (int b = 0; b < 256; b++) {
        bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
        int cp = printable ? b : next++;
        if (cp < 0x80) {
            t->byte_char[b][0] = (char)cp;
            t->byte_char_len[b] = 1;
        } else {
            t->byte_char[b][0] = (char)(0xc0 | (cp >> 6));
            t->byte_char[b][1] = (char)(0x80 | (cp & 0x3f));
            t->byte_char_len[b] = 2;
        }
        t->cp_to_byte[cp] = (int16_t)b;
    }
}

static int cmp_len_desc(const void *a, const void *b, void *arg)
{
    const el_tokenizer *t = arg;
    size_t la = strlen(t->v.tokens[*(const int32_t *)a]), lb = strlen(t->v.tokens[*(const int32_t *)b]);
    if (la != lb)
        return la > lb ? -1 : 1;
    return *(const int32_t *)a < *(const int32_t *)b ? -1 : 1;
}

static int build_specials(el_tokenizer *t, el_error *err)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < t->v.n_tokens; i++) {
        int ty = t->v.types[i];
        if ((ty == EL_TOK_CONTROL || ty == EL_TOK_USER_DEFINED || ty == EL_TOK_UNKNOWN) && t->v.tokens[i][0])
            n++;
    }
    t->special = malloc((n ? n : 1) * sizeof *t->special);
    t->special_by_byte = malloc((n ? n : 1) * sizeof *t->special_by_byte);
    if (!t->special || !t->special_by_byte)
        return EL_NOMEM(err);
    n = 0;
    for (uint32_t i = 0; i < t->v.n_tokens; i++) {
        int ty = t->v.types[i];
        if ((ty == EL_TOK_CONTROL || ty == EL_TOK_USER_DEFINED || ty == EL_TOK_UNKNOWN) && t->v.tokens[i][0])
            t->special[n++] = (int32_t)i;
    }
    t->n_special = n;
    qsort_r(t->special, n, sizeof *t->special, cmp_len_desc, t);
    /* bucket by first byte, keeping the longest-first order inside each bucket */
    uint32_t count[256] = {0};
    for (uint32_t i = 0; i < n; i++)
        count[(uint8_t)t->v.tokens[t->special[i]][0]]++;
    t->by_byte[0] = 0;
    for (int b = 0; b < 256; b++)
        t->by_byte[b + 1] = t->by_byte[b] + count[b];
    uint32_t fill[256];
    memcpy(fill, t->by_byte, sizeof fill);
    for (uint32_t i = 0; i < n; i++)
        t->special_by_byte[fill[(uint8_t)t->v.tokens[t->special[i]][0]]++] = t->special[i];
    return EL_OK;
}

/* tokenizer.json Metaspace pre-tokenizer (alone or in a Sequence). */
static void parse_metaspace(el_tokenizer *t)
{
    if (!t->v.hf_pre_tokenizer)
        return;
    json_t *p = json_loads(t->v.hf_pre_tokenizer, JSON_DECODE_ANY, NULL);
    const char *type = json_string_value(json_object_get(p, "type"));
    const json_t *ms = NULL;
    if (type && strcmp(type, "Metaspace") == 0)
        ms = p;
    else if (type && strcmp(type, "Sequence") == 0) {
        size_t i;
        json_t *s;
        json_array_foreach(json_object_get(p, "pretokenizers"), i, s) {
            const char *ty = json_string_value(json_object_get(s, "type"));
            if (ty && strcmp(ty, "Metaspace") == 0)
                ms = s;
        }
    }
    if (ms) {
        json_t *split = json_object_get(ms, "split");
        t->metaspace = json_is_false(split) ? 1 : 2;
        const char *scheme = json_string_value(json_object_get(ms, "prepend_scheme"));
        json_t *aps = json_object_get(ms, "add_prefix_space");
        if (scheme)
            t->metaspace_prepend = strcmp(scheme, "never") == 0 ? 0 : strcmp(scheme, "first") == 0 ? 1 : 2;
        else
            t->metaspace_prepend = json_is_false(aps) ? 0 : 2;
    }
    json_decref(p);
}

int el_tok_from_vocab(el_tokenizer **out, el_vocab *v, el_error *err)
{
    *out = NULL;
    el_tokenizer *t = calloc(1, sizeof *t);
    if (!t) {
        el_vocab_free(v); /* it is ours, also when we fail (make fault: imatrix alloc 34 leaked it) */
        return EL_NOMEM(err);
    }
    t->v = *v;
    memset(v, 0, sizeof *v);
    int rc = EL_OK;
    if (!el_strmap_init(&t->text_to_id, t->v.n_tokens)) {
        rc = EL_NOMEM(err);
        goto fail;
    }
    for (uint32_t i = 0; i < t->v.n_tokens; i++)
        if (!el_strmap_set(&t->text_to_id, t->v.tokens[i], strlen(t->v.tokens[i]), i)) {
            rc = EL_NOMEM(err);
            goto fail;
        }
    build_byte_map(t);
    for (int b = 0; b < 256; b++)
        t->byte_token[b] = -1;
    if (t->v.type == EL_VOCAB_BPE) {
        if (!el_strmap_init(&t->merge_rank, t->v.n_merges)) {
            rc = EL_NOMEM(err);
            goto fail;
        }
        for (uint32_t r = 0; r < t->v.n_merges; r++)
            if (el_strmap_put(&t->merge_rank, t->v.merges[r], strlen(t->v.merges[r]), r, NULL) < 0) {
                rc = EL_NOMEM(err);
                goto fail;
            }
        for (int b = 0; b < 256; b++) {
            int64_t id = el_strmap_get(&t->text_to_id, t->byte_char[b], t->byte_char_len[b]);
            t->byte_token[b] = id >= 0 ? (int32_t)id : -1;
        }
        if ((rc = el_tok_pre_compile(t, t->v.pre[0] ? t->v.pre : "default", err)))
            goto fail;
    } else if (t->v.type == EL_VOCAB_SPM) {
        t->byte_of_token = malloc((t->v.n_tokens ? t->v.n_tokens : 1) * sizeof *t->byte_of_token);
        if (!t->byte_of_token) {
            rc = EL_NOMEM(err);
            goto fail;
        }
        for (uint32_t i = 0; i < t->v.n_tokens; i++)
            t->byte_of_token[i] = -1;
        /* is "X▁" (X not "▁") inside any piece? then merges may cross word starts */
        t->spm_words = true;
        for (uint32_t i = 0; i < t->v.n_tokens && t->spm_words; i++) {
            const char *p = t->v.tokens[i], *q = p;
            while ((q = strstr(q + 1, "\xe2\x96\x81")))
                if (q - p < 3 || memcmp(q - 3, "\xe2\x96\x81", 3) != 0) {
                    t->spm_words = false;
                    break;
                }
        }
        for (int b = 0; b < 256; b++) {
            char name[8];
            snprintf(name, sizeof name, "<0x%02X>", b);
            int64_t id = el_strmap_get(&t->text_to_id, name, 6);
            t->byte_token[b] = id >= 0 ? (int32_t)id : -1;
            if (id >= 0)
                t->byte_of_token[id] = b;
        }
    } else {
        rc = EL_FAIL(err, EL_EUNSUPPORTED, NULL, -1, "vocabulary type not supported");
        goto fail;
    }
    if ((rc = el_norm_parse(&t->norm, t->v.hf_normalizer, "tokenizer.json", err)))
        goto fail;
    parse_metaspace(t);
    /* Qwen's tokenizer.json asks for NFC; a GGUF does not say so, its pre-tokenizer name does */
    if (t->v.type == EL_VOCAB_BPE && t->norm.n == 0 &&
        (t->v.normalizer_nfc || strcmp(t->v.pre, "qwen2") == 0 || strcmp(t->v.pre, "deepseek-r1-qwen") == 0))
        t->nfc = true;
    /* a GGUF has no key for it: llama.cpp derives it from the pre-tokenizer name */
    static const char *const whole_word_first[] = {"llama3", "llama-v3", "llama-bpe", "falcon3", "tekken"};
    for (size_t i = 0; i < EL_ARRAY_LEN(whole_word_first); i++)
        if (strcmp(t->v.pre, whole_word_first[i]) == 0)
            t->v.ignore_merges = true;
    t->spm_escape = t->v.type == EL_VOCAB_SPM && t->norm.n == 0 && t->metaspace == 0;
    if ((rc = build_specials(t, err)))
        goto fail;
    *out = t;
    return EL_OK;
fail:
    el_tok_free(t);
    return rc;
}

/* ---- 3. loading ------------------------------------------------------------------------------- */

int el_tok_load(el_tokenizer **out, const char *path, el_error *err)
{
    *out = NULL;
    el_vocab v = {0};
    int rc;
    if (el_path_is_dir(path) || el_ends_with(path, ".json")) {
        char *dir = el_path_is_dir(path) ? strdup(path) : NULL;
        if (!dir) {
            const char *slash = strrchr(path, '/');
            dir = slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
        }
        if (!dir)
            return EL_NOMEM(err);
        hf_config cfg = {0};
        char *cp = el_path_join(dir, "config.json");
        bool have_cfg = cp && el_path_exists(cp);
        rc = have_cfg ? hf_config_load(&cfg, cp, err) : EL_OK;
        free(cp);
        if (!rc)
            rc = el_vocab_from_hf(&v, dir, have_cfg ? &cfg : NULL, err);
        hf_config_free(&cfg);
        free(dir);
    } else {
        gguf_file *f = NULL;
        rc = gguf_open(&f, path, err);
        if (!rc)
            rc = el_vocab_from_gguf(&v, f, err);
        gguf_close(f);
    }
    if (rc) {
        el_vocab_free(&v); /* what a reader left on its way to the error */
        return rc;
    }
    return el_tok_from_vocab(out, &v, err);
}

const el_vocab *el_tok_vocab(const el_tokenizer *t) { return &t->v; }
int el_tok_bos(const el_tokenizer *t) { return (int)t->v.special[EL_SPECIAL_BOS]; }
int el_tok_added_bos(const el_tokenizer *t) { return t->v.add_bos > 0 ? el_tok_bos(t) : -1; }
int el_tok_eos(const el_tokenizer *t) { return (int)t->v.special[EL_SPECIAL_EOS]; }

const char *el_tok_piece(const el_tokenizer *t, int32_t id)
{
    return id >= 0 && (uint32_t)id < t->v.n_tokens ? t->v.tokens[id] : "";
}

/* ---- 4. encode -------------------------------------------------------------------------------- */

/* The longest special token starting at text (n bytes); -1 when none. */
static int32_t match_special(const el_tokenizer *t, const char *text, size_t n, bool parse_special, size_t *mlen)
{
    uint8_t b = (uint8_t)text[0];
    for (uint32_t k = t->by_byte[b]; k < t->by_byte[b + 1]; k++) {
        int32_t id = t->special_by_byte[k];
        int ty = t->v.types[id];
        /* control and unknown tokens only when asked; user-defined ones always (as tokenizers and llama.cpp) */
        if (!parse_special && ty != EL_TOK_USER_DEFINED)
            continue;
        const char *s = t->v.tokens[id];
        size_t l = strlen(s);
        if (l <= n && memcmp(text, s, l) == 0) {
            *mlen = l;
            return id;
        }
    }
    return -1;
}

/* SentencePiece text preparation without a tokenizer.json normalizer: llama.cpp's escaping. */
static int spm_prepare(const el_tokenizer *t, const char *text, size_t len, bool prefix, char **out, size_t *out_len)
{
    size_t spaces = 0;
    for (size_t i = 0; i < len; i++)
        spaces += text[i] == ' ';
    char *o = malloc(len + 2 * spaces + 4 + 1);
    if (!o)
        return -1;
    size_t n = 0;
    if (prefix) {
        memcpy(o, "\xe2\x96\x81", 3);
        n = 3;
    }
    for (size_t i = 0; i < len; i++) {
        if (text[i] == ' ') {
            memcpy(o + n, "\xe2\x96\x81", 3);
            n += 3;
        } else {
            o[n++] = text[i];
        }
    }
    (void)t;
    *out = o;
    *out_len = n;
    return 0;
}

/* Hugging Face's Metaspace: spaces -> "▁", a leading one by prepend_scheme, optional split before each "▁". */
static int spm_metaspace(const el_tokenizer *t, el_tok_ctx *c, const char *text, size_t len, bool first, el_tokens *out)
{
    char *s;
    size_t n;
    bool pre = t->metaspace_prepend == 2 || (t->metaspace_prepend == 1 && first);
    if (pre && len >= 3 && memcmp(text, "\xe2\x96\x81", 3) == 0)
        pre = false;
    if (spm_prepare(t, text, len, pre, &s, &n))
        return -1;
    int rc = 0;
    if (t->metaspace == 1) {
        rc = el_spm_encode_words(t, c, s, n, out);
    } else {
        size_t start = 0;
        for (size_t i = 3; i + 3 <= n && !rc; i++)
            if (memcmp(s + i, "\xe2\x96\x81", 3) == 0) {
                rc = el_spm_encode(t, s + start, i - start, out);
                start = i;
            }
        if (!rc)
            rc = el_spm_encode(t, s + start, n - start, out);
    }
    free(s);
    return rc;
}

static int encode_raw(const el_tokenizer *t, el_tok_ctx *c, const char *text, size_t len, bool first, bool prev_special,
                      el_tokens *out)
{
    if (len == 0)
        return 0;
    char *norm = NULL;
    size_t nlen = 0;
    int rc = 0;
    if (t->norm.n > 0) {
        if (el_norm_apply(&t->norm, c, text, len, &norm, &nlen))
            return -1;
        text = norm;
        len = nlen;
    } else if (t->nfc) {
        if (el_nfc(text, len, &norm, &nlen))
            return -1;
        text = norm;
        len = nlen;
    }
    if (t->v.type == EL_VOCAB_BPE) {
        rc = el_bpe_encode(t, c, text, len, out);
    } else if (t->metaspace) {
        rc = spm_metaspace(t, c, text, len, first, out);
    } else if (t->spm_escape) {
        char *s;
        size_t n;
        rc = spm_prepare(t, text, len, t->v.add_space_prefix != 0 && prev_special, &s, &n);
        if (!rc) {
            rc = el_spm_encode_words(t, c, s, n, out);
            free(s);
        }
    } else {
        rc = el_spm_encode_words(t, c, text, len, out);
    }
    free(norm);
    return rc;
}

int el_tok_encode(const el_tokenizer *t, el_tok_ctx *ctx, const char *text, size_t len, int flags, el_tokens *out,
                  el_error *err)
{
    el_tok_ctx *c = ctx ? ctx : el_tok_ctx_new();
    if (!c)
        return EL_NOMEM(err);
    int rc = 0;
    bool add = flags & EL_TOK_ADD_SPECIAL, parse = flags & EL_TOK_PARSE_SPECIAL;
    if (add && !(flags & EL_TOK_NO_BOS) && el_tok_added_bos(t) >= 0)
        rc = el_tokens_push(out, (int32_t)el_tok_added_bos(t));
    size_t seg = 0, pos = 0;
    bool prev_special = true, first = true;
    while (!rc && pos < len) {
        size_t ml = 0;
        int32_t id = t->n_special ? match_special(t, text + pos, len - pos, parse, &ml) : -1;
        if (id < 0) {
            pos++;
            continue;
        }
        if (pos > seg) {
            rc = encode_raw(t, c, text + seg, pos - seg, first, prev_special, out);
            first = false;
        }
        if (!rc)
            rc = el_tokens_push(out, id);
        prev_special = true;
        pos += ml;
        seg = pos;
    }
    if (!rc && seg < len)
        rc = encode_raw(t, c, text + seg, len - seg, first, prev_special, out);
    if (!rc && add && t->v.add_eos > 0 && t->v.special[EL_SPECIAL_EOS] >= 0)
        rc = el_tokens_push(out, (int32_t)t->v.special[EL_SPECIAL_EOS]);
    if (!ctx)
        el_tok_ctx_free(c);
    return rc ? EL_NOMEM(err) : EL_OK;
}

/* ---- 5. decode ---------------------------------------------------------------------------------- */

typedef struct outbuf {
    char *p;
    size_t n, cap;
    bool oom;
} outbuf;

static void put(outbuf *o, const char *s, size_t n)
{
    if (o->n + n + 1 > o->cap) {
        size_t cap = (o->n + n + 1) * 2;
        char *np = realloc(o->p, cap);
        if (!np) {
            o->oom = true;
            return;
        }
        o->p = np;
        o->cap = cap;
    }
    memcpy(o->p + o->n, s, n);
    o->n += n;
}

/* Does the encoder put a "▁" before the text (so decoding drops one leading space)? */
static bool adds_prefix(const el_tokenizer *t)
{
    if (t->v.type != EL_VOCAB_SPM)
        return false;
    if (t->spm_escape)
        return t->v.add_space_prefix != 0;
    if (t->metaspace)
        return t->metaspace_prepend != 0;
    return el_norm_prepends_space(&t->norm);
}

static void decode_into(const el_tokenizer *t, const int32_t *ids, size_t n, bool special, outbuf *o)
{
    bool strip = adds_prefix(t), at_start = true;
    for (size_t i = 0; i < n && !o->oom; i++) {
        int32_t id = ids[i];
        if (id < 0 || (uint32_t)id >= t->v.n_tokens)
            continue;
        int ty = t->v.types[id];
        const char *s = t->v.tokens[id];
        size_t start = o->n;
        if (ty == EL_TOK_CONTROL || ty == EL_TOK_UNKNOWN) {
            if (special)
                put(o, s, strlen(s));
            continue; /* a special token does not end the leading-space rule */
        } else if (ty == EL_TOK_USER_DEFINED) {
            put(o, s, strlen(s));
        } else if (t->v.type == EL_VOCAB_BPE) {
            size_t len = strlen(s);
            for (size_t k = 0; k < len;) {
                size_t l = el_utf8_len((const unsigned char *)s + k, len - k);
                l = l ? l : 1;
                int cp = -1;
                const unsigned char *p = (const unsigned char *)s + k;
                if (l == 1)
                    cp = p[0];
                else if (l == 2)
                    cp = ((p[0] & 0x1f) << 6) | (p[1] & 0x3f);
                int b = cp >= 0 && cp < 512 ? t->cp_to_byte[cp] : -1;
                if (b >= 0) {
                    char c = (char)b;
                    put(o, &c, 1);
                } else {
                    put(o, s + k, l);
                }
                k += l;
            }
        } else if (t->byte_of_token && t->byte_of_token[id] >= 0) {
            char c = (char)t->byte_of_token[id];
            put(o, &c, 1);
        } else {
            size_t len = strlen(s);
            for (size_t k = 0; k < len;) {
                if (k + 3 <= len && memcmp(s + k, "\xe2\x96\x81", 3) == 0) {
                    put(o, " ", 1);
                    k += 3;
                } else {
                    put(o, s + k, 1);
                    k++;
                }
            }
        }
        /* the space the encoder prepended: dropped once, from the first text produced */
        if (strip && at_start && o->n > start) {
            at_start = false;
            if (start == 0 && o->p[0] == ' ') {
                memmove(o->p, o->p + 1, o->n - 1);
                o->n--;
            }
        }
    }
}

size_t el_tok_decode(const el_tokenizer *t, const int32_t *ids, size_t n, bool special, char *out, size_t cap)
{
    outbuf o = {0};
    decode_into(t, ids, n, special, &o);
    if (o.oom) {
        free(o.p);
        if (cap > 0)
            out[0] = '\0';
        return EL_TOK_DECODE_NOMEM;
    }
    if (cap > 0) {
        size_t k = EL_MIN(o.n, cap - 1);
        if (k)
            memcpy(out, o.p, k);
        out[k] = '\0';
    }
    free(o.p);
    return o.n;
}
