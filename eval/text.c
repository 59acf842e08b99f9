/*
 * eval/text.c - a text's tokens, whole or as a prefix (see text.h).
 */
#include "eval/text.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/source.h"

/* Where to cut a prefix that is not the whole text: after the last newline in its second half, or
 * before its last space there; 0 when neither (the caller reads more). */
static size_t cut_at(const char *p, size_t n)
{
    for (size_t i = n; i > n / 2; i--)
        if (p[i - 1] == '\n')
            return i;
    for (size_t i = n; i > n / 2; i--)
        if (p[i - 1] == ' ')
            return i - 1;
    return 0;
}

/*
 * The tokens of spec's first `want` bytes, cut as above (or all of it: *whole). *cut_ok false when
 * the prefix has no place to cut.
 */
static int prefix_tokens(const el_tokenizer *tok, const char *spec, uint64_t want, el_tokens *out, bool *whole,
                         bool *cut_ok, el_error *err)
{
    char *text = NULL;
    uint64_t len = 0;
    *cut_ok = true;
    int rc = el_ds_read_prefix(spec, 0, want, &text, &len, whole, err);
    if (rc)
        return rc;
    size_t n = (size_t)len;
    if (!*whole && !(n = cut_at(text, n)))
        *cut_ok = false;
    if (*cut_ok)
        rc = el_tok_encode(tok, NULL, text, n, EL_TOK_ADD_SPECIAL, out, err);
    free(text);
    return rc;
}

int el_text_tokens(const el_tokenizer *tok, const char *spec, size_t need, el_tokens *out, el_error *err)
{
    memset(out, 0, sizeof *out);
    if (need == 0 || need > (SIZE_MAX >> 5)) {
        bool whole, ok;
        return prefix_tokens(tok, spec, 0, out, &whole, &ok, err);
    }
    enum { MARGIN = 16 }; /* tokens past the needed ones that a prefix must hold */
    const uint64_t NO_CUT_MAX = 64u << 20; /* a text has a space or a newline before this */
    uint64_t want = (uint64_t)need * 8 < (64u << 10) ? (64u << 10) : (uint64_t)need * 8;
    el_tokens a = {0};
    bool have_a = false;
    int rc = EL_OK;
    for (;;) {
        el_tokens b = {0};
        bool whole = false, cut_ok = true;
        rc = prefix_tokens(tok, spec, want, &b, &whole, &cut_ok, err);
        if (rc) {
            el_tokens_free(&b);
            break;
        }
        if (whole) { /* the whole text: exact by definition */
            el_tokens_free(&a);
            *out = b;
            break;
        }
        if (cut_ok && have_a && a.n >= need + MARGIN && b.n >= need &&
            memcmp(a.ids, b.ids, need * sizeof *a.ids) == 0) {
            el_tokens_free(&b);
            *out = a;
            break;
        }
        if (!cut_ok && want >= NO_CUT_MAX) {
            el_tokens_free(&a);
            rc = EL_FAIL(err, EL_EFORMAT, spec, -1, "no line break or space in its first %llu MiB: not a text",
                         (unsigned long long)(want >> 20));
            break;
        }
        if (cut_ok) {
            el_tokens_free(&a);
            a = b;
            have_a = true;
        }
        if (want > (EL_DS_MAX_SIZE >> 1)) { /* past the cap: read it whole, which refuses it */
            el_tokens_free(&a);
            bool ok;
            rc = prefix_tokens(tok, spec, 0, out, &whole, &ok, err);
            break;
        }
        want *= 2;
    }
    if (!rc && out->n > need)
        out->n = need;
    return rc;
}
