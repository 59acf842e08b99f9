/*
 * core/json.c - jansson helpers.
 */
#include "core/json.h"

#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/atomic.h"
#include "core/file.h"
#include "core/utf8.h"

json_t *el_json_str(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        const size_t l = el_utf8_len(u + i, n - i);
        if (l == 0)
            break;
        i += l;
    }
    if (i == n)
        return json_stringn(s, n); /* NUL bytes are valid and kept (\u0000) */
    /* Rebuild with one U+FFFD (3 bytes) per maximal subpart: at most 3 bytes out per byte in. */
    if (n > (SIZE_MAX - 1) / 3)
        return NULL;
    char *buf = malloc(n * 3 + 1);
    if (!buf)
        return NULL;
    memcpy(buf, s, i);
    size_t o = i;
    while (i < n) {
        size_t l = el_utf8_len(u + i, n - i);
        if (l == 0) {
            l = el_utf8_bad_len(u + i, n - i);
            memcpy(buf + o, "\xef\xbf\xbd", 3);
            o += 3;
        } else {
            memcpy(buf + o, s + i, l);
            o += l;
        }
        i += l;
    }
    json_t *j = json_stringn(buf, o);
    free(buf);
    return j;
}

/*
 * jansson reports an allocation that failed while parsing as a syntax error ("invalid token", or
 * no message at all), so a document would be called malformed when memory ran out; and its dump
 * ignores a failure while writing an object key, so json_dumps can return text with a key's
 * closing quote missing. Its allocator, set once by el_json_init, notes a failure in a per-thread
 * flag that el_json_parse and el_json_dumps clear before and read after: the one piece of state
 * here, transient and private to this file.
 */
static _Thread_local bool json_alloc_failed;

/*
 * And jansson 2.14's parser itself does not survive every failed allocation: one in the middle of a
 * string (make fault, distill gen alloc 960) makes it write through the pointer it did not get
 * (SEGV). So a failed allocation while parsing is served from an emergency reserve instead of
 * returning NULL (the parse only: json_dumps's text is released with free() by its callers): the parse goes on to its end, the flag above says it failed, and the caller discards what it
 * made and reports "out of memory". The reserve is a bump arena (never reused: the process is on its
 * way to an error); free() of a pointer inside it does nothing. Only when it is used up does jansson
 * see NULL.
 */
#define RESERVE_BYTES (256u << 10)
static _Alignas(16) unsigned char reserve[RESERVE_BYTES];
static _Atomic size_t reserve_used;

static _Thread_local bool json_parsing; /* the reserve is for the parser only: a dump's text is free()d by its caller */

static void *json_alloc(size_t n)
{
    void *p = malloc(n);
    if (p)
        return p;
    json_alloc_failed = true;
    if (!json_parsing)
        return NULL;
    const size_t need = (n + 15) & ~(size_t)15;
    if (need < n || need > RESERVE_BYTES)
        return NULL;
    const size_t at = atomic_fetch_add(&reserve_used, need);
    return at <= RESERVE_BYTES - need ? reserve + at : NULL;
}

static void json_free(void *p)
{
    if ((unsigned char *)p >= reserve && (unsigned char *)p < reserve + RESERVE_BYTES)
        return;
    free(p);
}

void el_json_init(void) { json_set_alloc_funcs(json_alloc, json_free); }

json_t *el_json_loadb(const char *text, size_t len, size_t flags, json_error_t *je, bool *oom)
{
    json_alloc_failed = false;
    json_parsing = true;
    json_t *j = json_loadb(text, len, flags, je);
    json_parsing = false;
    *oom = json_alloc_failed;
    if (*oom) {
        json_decref(j);
        return NULL;
    }
    return j;
}

char *el_json_dumps(const json_t *j, size_t flags)
{
    json_alloc_failed = false;
    char *s = json_dumps(j, flags);
    if (json_alloc_failed) {
        free(s);
        return NULL;
    }
    return s;
}

int el_json_print(FILE *f, const json_t *j)
{
    return el_json_print_digits(f, j, 9);
}

int el_json_print_digits(FILE *f, const json_t *j, int digits)
{
    char *s = el_json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(digits));
    if (!s)
        return EL_ENOMEM;
    int bad = fputs(s, f) == EOF || fputc('\n', f) == EOF;
    free(s);
    return bad ? EL_EIO : EL_OK;
}

/*
 * jansson refuses integers outside int64 ("too big integer"), and real
 * tokenizer_config.json files have "model_max_length": 1000000000000000019884624838656.
 * Such literals are rewritten as reals (a ".0" suffix) and the text parsed again.
 * Returns a new buffer (caller frees) or NULL on OOM.
 */
static char *widen_big_integers(const char *text, size_t len, size_t *out_len)
{
    char *o = malloc(len * 2 + 1);
    if (!o)
        return NULL;
    size_t n = 0;
    bool in_str = false;
    for (size_t i = 0; i < len;) {
        char c = text[i];
        if (in_str) {
            o[n++] = c;
            if (c == '\\' && i + 1 < len) {
                o[n++] = text[i + 1];
                i += 2;
                continue;
            }
            if (c == '"')
                in_str = false;
            i++;
            continue;
        }
        if (c == '"') {
            in_str = true;
            o[n++] = c;
            i++;
            continue;
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
            size_t j = i + (c == '-');
            while (j < len && text[j] >= '0' && text[j] <= '9')
                j++;
            bool is_int = !(j < len && (text[j] == '.' || text[j] == 'e' || text[j] == 'E'));
            memcpy(o + n, text + i, j - i);
            n += j - i;
            if (is_int && j - i > 18) {
                o[n++] = '.';
                o[n++] = '0';
            }
            i = j;
            continue;
        }
        o[n++] = c;
        i++;
    }
    *out_len = n;
    return o;
}


int el_json_parse(const char *text, size_t len, const char *path, json_t **out, el_error *err)
{
    json_error_t je;
    json_alloc_failed = false;
    json_parsing = true;
    *out = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    json_parsing = false;
    if (!*out && strstr(je.text, "too big integer")) {
        size_t n2;
        char *wide = widen_big_integers(text, len, &n2);
        if (!wide)
            return EL_NOMEM(err);
        json_parsing = true;
        *out = json_loadb(wide, n2, JSON_REJECT_DUPLICATES, &je);
        json_parsing = false;
        free(wide);
    }
    if (json_alloc_failed) {
        json_decref(*out);
        *out = NULL;
        return EL_FAIL(err, EL_ENOMEM, path, -1, "out of memory reading the JSON");
    }
    if (!*out)
        return EL_FAIL(err, EL_EJSON, path, je.position >= 0 ? (int64_t)je.position : -1,
                       "invalid JSON (line %d column %d): %s", je.line, je.column, je.text);
    return EL_OK;
}

int el_json_load(const char *path, uint64_t max_size, json_t **out, el_error *err)
{
    char *text = NULL;
    uint64_t n = 0;
    *out = NULL;
    int rc = el_read_file(path, max_size, &text, &n, err);
    if (rc)
        return rc;
    rc = el_json_parse(text, (size_t)n, path, out, err);
    free(text);
    return rc;
}

int el_json_get_i64(const json_t *obj, const char *key, int64_t *out)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return 0;
    if (json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v);
        return 1;
    }
    /* Some configs write integers as 1.0e5; accept exact integral reals. */
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d >= -9.0e18 && d <= 9.0e18 && d == (double)(int64_t)d) {
            *out = (int64_t)d;
            return 1;
        }
    }
    return -1;
}

int el_json_get_f64(const json_t *obj, const char *key, double *out)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_number(v))
        return -1;
    *out = json_number_value(v);
    return 1;
}

int el_json_get_bool(const json_t *obj, const char *key, int *out)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_boolean(v))
        return -1;
    *out = json_is_true(v);
    return 1;
}

const char *el_json_get_str(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

int el_json_write_file(const char *path, const json_t *j, size_t flags, el_error *err)
{
    char *text = el_json_dumps(j, flags);
    if (!text)
        return EL_NOMEM(err);
    size_t n = strlen(text);
    char *t2 = realloc(text, n + 2);
    if (!t2) {
        free(text);
        return EL_NOMEM(err);
    }
    t2[n] = '\n';
    t2[n + 1] = '\0';
    int rc = el_write_file(path, t2, n + 1, err);
    free(t2);
    return rc;
}
