/*
 * engine/tokenizer/tok_normalize.c - Hugging Face tokenizer.json normalizers, applied as
 * the tokenizers library does: NFC/NFD/NFKC/NFKD (utf8proc), Lowercase,
 * Prepend (only to non-empty text), Replace (a literal string or a regex, every
 * occurrence) and Sequence. Regexes follow Oniguruma's Ruby syntax, where '^'
 * and '$' match at line boundaries: PCRE2_MULTILINE.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "engine/tokenizer/tok_internal.h"

enum { NORM_NFC, NORM_NFD, NORM_NFKC, NORM_NFKD, NORM_LOWER, NORM_PREPEND, NORM_REPLACE_STR, NORM_REPLACE_RE };

void el_norm_free(el_norm *n)
{
    for (int i = 0; i < n->n; i++) {
        free(n->ops[i].a);
        free(n->ops[i].b);
        pcre2_code_free(n->ops[i].re);
    }
    free(n->ops);
    n->ops = NULL;
    n->n = 0;
}

bool el_norm_prepends_space(const el_norm *n)
{
    for (int i = 0; i < n->n; i++)
        if (n->ops[i].kind == NORM_PREPEND && strcmp(n->ops[i].a, "\xe2\x96\x81") == 0)
            return true;
    return false;
}

static int add_op(el_norm *n, el_norm_op op)
{
    el_norm_op *o = realloc(n->ops, (size_t)(n->n + 1) * sizeof *o);
    if (!o)
        return -1;
    n->ops = o;
    n->ops[n->n++] = op;
    return 0;
}

static int parse_one(el_norm *n, const json_t *j, const char *path, el_error *err)
{
    const char *type = json_string_value(json_object_get(j, "type"));
    if (!type)
        return EL_FAIL(err, EL_EJSON, path, -1, "normalizer without a type");
    el_norm_op op = {0};
    if (strcmp(type, "Sequence") == 0) {
        size_t i;
        json_t *s;
        json_array_foreach(json_object_get(j, "normalizers"), i, s) {
            int rc = parse_one(n, s, path, err);
            if (rc)
                return rc;
        }
        return EL_OK;
    } else if (strcmp(type, "NFC") == 0) {
        op.kind = NORM_NFC;
    } else if (strcmp(type, "NFD") == 0) {
        op.kind = NORM_NFD;
    } else if (strcmp(type, "NFKC") == 0) {
        op.kind = NORM_NFKC;
    } else if (strcmp(type, "NFKD") == 0) {
        op.kind = NORM_NFKD;
    } else if (strcmp(type, "Lowercase") == 0) {
        op.kind = NORM_LOWER;
    } else if (strcmp(type, "Prepend") == 0) {
        const char *p = json_string_value(json_object_get(j, "prepend"));
        if (!p)
            return EL_FAIL(err, EL_EJSON, path, -1, "Prepend normalizer without \"prepend\"");
        op.kind = NORM_PREPEND;
        op.a = strdup(p);
    } else if (strcmp(type, "Replace") == 0) {
        const json_t *pat = json_object_get(j, "pattern");
        const char *str = json_string_value(json_object_get(pat, "String"));
        const char *re = json_string_value(json_object_get(pat, "Regex"));
        const char *content = json_string_value(json_object_get(j, "content"));
        if ((!str && !re) || !content)
            return EL_FAIL(err, EL_EJSON, path, -1, "Replace normalizer needs a pattern and a content");
        op.b = strdup(content);
        if (str) {
            op.kind = NORM_REPLACE_STR;
            op.a = strdup(str);
        } else {
            int code;
            PCRE2_SIZE off;
            op.kind = NORM_REPLACE_RE;
            op.re = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP | PCRE2_MULTILINE, &code,
                                  &off, NULL);
            if (!op.re) {
                free(op.b);
                return EL_FAIL(err, EL_EUNSUPPORTED, path, -1, "normalizer regex '%s' does not compile", re);
            }
        }
        if ((str && !op.a) || !op.b) {
            free(op.a);
            free(op.b);
            pcre2_code_free(op.re);
            return EL_NOMEM(err);
        }
    } else {
        return EL_FAIL(err, EL_EUNSUPPORTED, path, -1, "normalizer type '%s' is not supported", type);
    }
    if (op.kind == NORM_PREPEND && !op.a)
        return EL_NOMEM(err);
    if (add_op(n, op)) {
        free(op.a);
        free(op.b);
        pcre2_code_free(op.re);
        return EL_NOMEM(err);
    }
    return EL_OK;
}

int el_norm_parse(el_norm *n, const char *json, const char *path, el_error *err)
{
    memset(n, 0, sizeof *n);
    if (!json)
        return EL_OK;
    json_t *j = json_loads(json, JSON_DECODE_ANY, NULL);
    if (!j)
        return EL_FAIL(err, EL_EJSON, path, -1, "normalizer is not valid JSON");
    int rc = json_is_null(j) ? EL_OK : parse_one(n, j, path, err);
    json_decref(j);
    if (rc)
        el_norm_free(n);
    return rc;
}

/* A growable output string. */
typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;

static int sb_put(sbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = (b->n + n + 1) * 2;
        char *np = realloc(b->p, cap);
        if (!np)
            return -1;
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
    return 0;
}

/* utf8proc's normalizations need valid UTF-8: invalid runs are copied through unchanged. */
static int unicode_form(const char *text, size_t len, utf8proc_option_t opt, int lower, sbuf *out)
{
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len) {
            size_t l = el_utf8_len((const unsigned char *)text + j, len - j);
            if (!l || (l == 1 && text[j] == 0))
                break;
            j += l;
        }
        if (j > i) {
            utf8proc_uint8_t *res = NULL;
            if (lower) {
                /* code point by code point, as tokenizers' Lowercase does (no normalization) */
                for (size_t k = i; k < j;) {
                    utf8proc_int32_t cp;
                    utf8proc_ssize_t l = utf8proc_iterate((const utf8proc_uint8_t *)text + k, (utf8proc_ssize_t)(j - k), &cp);
                    utf8proc_uint8_t enc[4];
                    utf8proc_ssize_t el = utf8proc_encode_char(utf8proc_tolower(cp), enc);
                    if (sb_put(out, (const char *)enc, (size_t)el))
                        return -1;
                    k += (size_t)l;
                }
            } else {
                utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)text + i, (utf8proc_ssize_t)(j - i), &res,
                                                  opt | UTF8PROC_STABLE);
                if (n < 0) {
                    if (sb_put(out, text + i, j - i))
                        return -1;
                } else {
                    int rc = sb_put(out, (const char *)res, (size_t)n);
                    free(res);
                    if (rc)
                        return -1;
                }
            }
        }
        if (j < len) { /* one invalid byte */
            if (sb_put(out, text + j, 1))
                return -1;
            j++;
        }
        i = j;
    }
    return 0;
}

int el_nfc(const char *text, size_t len, char **out, size_t *out_len)
{
    sbuf b = {0};
    if (sb_put(&b, "", 0) || unicode_form(text, len, UTF8PROC_COMPOSE, 0, &b)) {
        free(b.p);
        return -1;
    }
    *out = b.p;
    *out_len = b.n;
    return 0;
}

static int replace_str(const char *text, size_t len, const char *pat, const char *with, sbuf *out)
{
    size_t pl = strlen(pat), wl = strlen(with), i = 0;
    if (pl == 0)
        return sb_put(out, text, len);
    while (i < len) {
        const char *hit = memmem(text + i, len - i, pat, pl);
        if (!hit)
            return sb_put(out, text + i, len - i);
        if (sb_put(out, text + i, (size_t)(hit - (text + i))) || sb_put(out, with, wl))
            return -1;
        i = (size_t)(hit - text) + pl;
    }
    return 0;
}

static int replace_re(const char *text, size_t len, pcre2_code *re, const char *with, el_tok_ctx *c, sbuf *out)
{
    size_t wl = strlen(with), pos = 0, prev = 0;
    while (pos <= len) {
        int m = pcre2_match(re, (PCRE2_SPTR)text, len, pos, PCRE2_NO_UTF_CHECK, c->md, c->mctx);
        if (m < 0)
            break;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(c->md);
        if (sb_put(out, text + prev, ov[0] - prev) || sb_put(out, with, wl))
            return -1;
        prev = ov[1];
        if (ov[1] == ov[0]) { /* empty match: copy one character and move on */
            if (ov[0] >= len)
                break;
            size_t l = el_utf8_len((const unsigned char *)text + ov[0], len - ov[0]);
            l = l ? l : 1;
            if (sb_put(out, text + ov[0], l))
                return -1;
            prev = ov[0] + l;
            pos = prev;
        } else {
            pos = ov[1];
        }
    }
    return prev < len ? sb_put(out, text + prev, len - prev) : 0;
}

static bool valid_utf8(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t l = el_utf8_len((const unsigned char *)s + i, n - i);
        if (!l)
            return false;
        i += l;
    }
    return true;
}

int el_norm_apply(const el_norm *n, el_tok_ctx *c, const char *text, size_t len, char **out, size_t *out_len)
{
    sbuf cur = {0};
    if (sb_put(&cur, text, len))
        return -1;
    for (int i = 0; i < n->n; i++) {
        const el_norm_op *op = &n->ops[i];
        sbuf nx = {0};
        int rc = sb_put(&nx, "", 0);
        switch (op->kind) {
        case NORM_NFC: rc = rc ? rc : unicode_form(cur.p, cur.n, UTF8PROC_COMPOSE, 0, &nx); break;
        case NORM_NFD: rc = rc ? rc : unicode_form(cur.p, cur.n, UTF8PROC_DECOMPOSE, 0, &nx); break;
        case NORM_NFKC: rc = rc ? rc : unicode_form(cur.p, cur.n, UTF8PROC_COMPOSE | UTF8PROC_COMPAT, 0, &nx); break;
        case NORM_NFKD: rc = rc ? rc : unicode_form(cur.p, cur.n, UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT, 0, &nx); break;
        case NORM_LOWER: rc = rc ? rc : unicode_form(cur.p, cur.n, 0, 1, &nx); break;
        case NORM_PREPEND:
            if (!rc && cur.n > 0)
                rc = sb_put(&nx, op->a, strlen(op->a));
            if (!rc)
                rc = sb_put(&nx, cur.p, cur.n);
            break;
        case NORM_REPLACE_STR: rc = rc ? rc : replace_str(cur.p, cur.n, op->a, op->b, &nx); break;
        case NORM_REPLACE_RE:
            /* the regex runs in UTF mode: text with invalid UTF-8 is left as it is */
            rc = rc ? rc : valid_utf8(cur.p, cur.n) ? replace_re(cur.p, cur.n, op->re, op->b, c, &nx)
                                                    : sb_put(&nx, cur.p, cur.n);
            break;
        }
        free(cur.p);
        if (rc) {
            free(nx.p);
            return -1;
        }
        cur = nx;
    }
    *out = cur.p;
    *out_len = cur.n;
    return 0;
}
