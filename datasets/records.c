/*
 * datasets/records.c - jsonl, json, csv/tsv and txt records (see records.h).
 */
#include "datasets/records.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/json.h"
#include "core/utf8.h"
#include "datasets/source.h"

static bool ends_with(const char *s, size_t n, const char *suffix)
{
    const size_t k = strlen(suffix);
    return n >= k && strncasecmp(s + n - k, suffix, k) == 0;
}

el_ds_format el_ds_format_of(const char *spec)
{
    const char *colon = strrchr(spec, ':'); /* ARCHIVE:MEMBER: the member's name decides */
    const char *name = colon && colon[1] ? colon + 1 : spec;
    size_t n = strlen(name);
    if (ends_with(name, n, ".gz"))
        n -= 3;
    if (ends_with(name, n, ".jsonl") || ends_with(name, n, ".ndjson"))
        return EL_DS_JSONL;
    if (ends_with(name, n, ".json"))
        return EL_DS_JSON;
    if (ends_with(name, n, ".csv"))
        return EL_DS_CSV;
    if (ends_with(name, n, ".tsv"))
        return EL_DS_TSV;
    return EL_DS_TXT;
}

void el_ds_records_free(el_ds_records *r)
{
    for (size_t i = 0; i < r->n; i++)
        json_decref(r->rec[i]);
    free(r->rec);
    free(r->line);
    memset(r, 0, sizeof *r);
}

static int push(el_ds_records *r, size_t *cap, json_t *j, int64_t line, el_error *err)
{
    if (!j)
        return EL_NOMEM(err);
    if (r->n == *cap) {
        const size_t c = *cap ? *cap * 2 : 64;
        json_t **a = realloc(r->rec, c * sizeof *a);
        if (a)
            r->rec = a;
        int64_t *l = realloc(r->line, c * sizeof *l);
        if (l)
            r->line = l;
        if (!a || !l) {
            json_decref(j);
            return EL_NOMEM(err);
        }
        *cap = c;
    }
    r->rec[r->n] = j;
    r->line[r->n++] = line;
    return 0;
}

static int parse_jsonl(el_ds_records *r, const char *d, size_t len, el_error *err)
{
    size_t cap = 0;
    int64_t line = 0;
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(d + i, '\n', len - i);
        const size_t e = nl ? (size_t)(nl - d) : len;
        line++;
        size_t a = i;
        while (a < e && (d[a] == ' ' || d[a] == '\t' || d[a] == '\r'))
            a++;
        if (a < e) {
            json_error_t je;
            bool oom;
            json_t *j = el_json_loadb(d + a, e - a, JSON_REJECT_DUPLICATES, &je, &oom);
            if (oom)
                return EL_NOMEM(err);
            if (!j)
                return EL_FAIL(err, EL_EJSON, r->name, -1, "line %lld: invalid JSON (column %d): %s", (long long)line,
                               je.column, je.text);
            if (!json_is_object(j)) {
                json_decref(j);
                return EL_FAIL(err, EL_EJSON, r->name, -1, "line %lld: a record must be a JSON object", (long long)line);
            }
            int rc = push(r, &cap, j, line, err);
            if (rc)
                return rc;
        }
        i = e + 1;
    }
    return 0;
}

static int parse_json(el_ds_records *r, const char *d, size_t len, el_error *err)
{
    json_error_t je;
    bool oom;
    json_t *root = el_json_loadb(d, len, JSON_REJECT_DUPLICATES, &je, &oom);
    if (oom)
        return EL_NOMEM(err);
    if (!root)
        return EL_FAIL(err, EL_EJSON, r->name, -1, "line %d: invalid JSON (column %d): %s", je.line, je.column, je.text);
    json_t *arr = json_is_object(root) ? json_object_get(root, "data") : root;
    if (!json_is_array(arr)) {
        json_decref(root);
        return EL_FAIL(err, EL_EJSON, r->name, -1, "expected an array of records (or {\"data\": [...]})");
    }
    size_t cap = 0;
    int rc = 0;
    for (size_t i = 0; i < json_array_size(arr) && !rc; i++) {
        json_t *j = json_array_get(arr, i);
        if (!json_is_object(j)) {
            rc = EL_FAIL(err, EL_EJSON, r->name, -1, "record %zu: a record must be a JSON object", i + 1);
            break;
        }
        rc = push(r, &cap, json_incref(j), 0, err);
    }
    json_decref(root);
    return rc;
}

/* RFC 4180: fields separated by sep, rows by \n or \r\n; a quoted field may hold sep, newlines and
 * doubled quotes. */
static int parse_csv(el_ds_records *r, const char *d, size_t len, char sep, el_error *err)
{
    size_t cap = 0, i = 0;
    int64_t line = 1;
    char *field = NULL;
    size_t flen = 0, fcap = 0;
    int rc = 0;
    while (i < len && !rc) {
        const int64_t row_line = line;
        json_t *row = json_array();
        if (!row)
            return EL_NOMEM(err);
        for (;;) { /* one field */
            flen = 0;
            bool quoted = false;
            if (i < len && d[i] == '"') {
                quoted = true;
                i++;
            }
            for (;;) {
                if (i >= len) {
                    if (quoted) {
                        rc = EL_FAIL(err, EL_EFORMAT, r->name, -1, "line %lld: a quoted field is not closed",
                                     (long long)row_line);
                    }
                    break;
                }
                char c = d[i];
                if (quoted) {
                    if (c == '"') {
                        if (i + 1 < len && d[i + 1] == '"') {
                            i += 2;
                        } else {
                            quoted = false;
                            i++;
                            if (i < len && d[i] != sep && d[i] != '\n' && d[i] != '\r') {
                                rc = EL_FAIL(err, EL_EFORMAT, r->name, -1,
                                             "line %lld: text after a closing quote (a stray '\"'?)", (long long)line);
                                break;
                            }
                            continue;
                        }
                        c = '"';
                    } else {
                        if (c == '\n')
                            line++;
                        i++;
                    }
                } else {
                    if (c == sep || c == '\n' || c == '\r')
                        break;
                    i++;
                }
                if (flen + 1 >= fcap) {
                    const size_t nc = fcap ? fcap * 2 : 256;
                    char *f = realloc(field, nc);
                    if (!f) {
                        rc = EL_NOMEM(err);
                        break;
                    }
                    field = f;
                    fcap = nc;
                }
                field[flen++] = c;
            }
            if (rc)
                break;
            if (json_array_append_new(row, json_stringn(field ? field : "", flen))) {
                rc = EL_NOMEM(err);
                break;
            }
            if (i < len && d[i] == sep) {
                i++;
                continue;
            }
            break;
        }
        if (i < len && d[i] == '\r')
            i++;
        if (i < len && d[i] == '\n') {
            i++;
            line++;
        }
        const bool blank = json_array_size(row) == 1 && json_string_length(json_array_get(row, 0)) == 0;
        if (rc || blank)
            json_decref(row);
        else
            rc = push(r, &cap, row, row_line, err);
    }
    free(field);
    return rc;
}

static int parse_txt(el_ds_records *r, const char *d, size_t len, el_error *err)
{
    size_t cap = 0;
    int64_t line = 0;
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(d + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - d) : len;
        line++;
        const size_t next = e + 1;
        if (e > i && d[e - 1] == '\r')
            e--;
        if (e > i) {
            int rc = push(r, &cap, json_stringn(d + i, e - i), line, err);
            if (rc)
                return rc;
        }
        i = next;
    }
    return 0;
}

/*
 * Records become JSON strings, which hold UTF-8 only: text that is not valid UTF-8, or holds a NUL
 * byte, is refused at its first bad byte, by line and column (jsonl and json are checked by
 * jansson's parser, which refuses \u0000 too).
 */
static int check_utf8(const el_ds_records *r, const char *d, size_t len, el_error *err)
{
    const unsigned char *u = (const unsigned char *)d;
    int64_t line = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < len;) {
        if (u[i] < 0x80) {
            if (u[i] == 0) /* a JSON string may hold it as \u0000, but nothing edgelm writes reads it back */
                return EL_FAIL(err, EL_EFORMAT, r->name, -1, "line %lld: holds a NUL byte (column %zu)", (long long)line,
                               i - line_start + 1);
            if (u[i] == '\n') {
                line++;
                line_start = i + 1;
            }
            i++;
            continue;
        }
        const size_t l = el_utf8_len(u + i, len - i);
        if (l == 0)
            return EL_FAIL(err, EL_EFORMAT, r->name, -1, "line %lld: not valid UTF-8 (byte 0x%02x at column %zu)",
                           (long long)line, u[i], i - line_start + 1);
        i += l;
    }
    return EL_OK;
}

int el_ds_records_parse(const char *name, const char *data, size_t len, el_ds_format fmt, el_ds_records *out,
                        el_error *err)
{
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", name);
    if (fmt == EL_DS_AUTO)
        fmt = el_ds_format_of(name);
    int rc = fmt == EL_DS_JSONL || fmt == EL_DS_JSON ? EL_OK : check_utf8(out, data, len, err);
    if (rc)
        return rc;
    switch (fmt) {
    case EL_DS_JSONL: rc = parse_jsonl(out, data, len, err); break;
    case EL_DS_JSON: rc = parse_json(out, data, len, err); break;
    case EL_DS_CSV: rc = parse_csv(out, data, len, ',', err); break;
    case EL_DS_TSV: rc = parse_csv(out, data, len, '\t', err); break;
    default: rc = parse_txt(out, data, len, err); break;
    }
    if (rc)
        el_ds_records_free(out);
    return rc;
}

int el_ds_records_load(const char *spec, el_ds_format fmt, el_ds_records *out, el_error *err)
{
    return el_ds_records_load_n(spec, fmt, 0, out, err);
}

/*
 * With a limit, prefixes of 64 KiB, 128 KiB, ... cut after their last newline are parsed until one
 * holds more than `limit` records (the last may be cut short; the ones before it are whole) or the
 * prefix is the whole file. A prefix that does not parse (a quoted csv field cut in two) is read
 * further; the whole file's error is the one reported.
 */
int el_ds_records_load_n(const char *spec, el_ds_format fmt, size_t limit, el_ds_records *out, el_error *err)
{
    memset(out, 0, sizeof *out);
    if (fmt == EL_DS_AUTO)
        fmt = el_ds_format_of(spec);
    uint64_t want = limit && fmt != EL_DS_JSON ? (64u << 10) : 0;
    for (;;) {
        char *data;
        uint64_t len;
        bool whole;
        int rc = el_ds_read_prefix(spec, 0, want, &data, &len, &whole, err);
        if (rc)
            return rc;
        size_t n = (size_t)len;
        while (!whole && n > 0 && data[n - 1] != '\n')
            n--;
        if (whole || n > 0) {
            el_error e;
            el_error_clear(&e);
            rc = el_ds_records_parse(spec, data, n, fmt, out, whole ? err : &e);
            if (rc && !whole && e.code == EL_ENOMEM) {
                *err = e;
            } else if (!rc && !whole && out->n <= limit) {
                el_ds_records_free(out);
                rc = -1;
            } else if (rc && !whole) {
                rc = -1;
            }
        } else {
            rc = -1;
        }
        free(data);
        if (rc != -1)
            return rc;
        memset(out, 0, sizeof *out);
        want = want > (EL_DS_MAX_SIZE >> 1) ? 0 : want * 2; /* past the cap: whole, which refuses it */
    }
}
