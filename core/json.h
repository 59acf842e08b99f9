/*
 * core/json.h - helpers around jansson for results printed with --json and for
 * reading JSON documents from files (config.json, safetensors headers).
 */
#ifndef EL_CORE_JSON_H
#define EL_CORE_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/error.h"

/*
 * A JSON string from bytes that may not be valid UTF-8 (generated text, token texts, tensor
 * names from hostile files): each maximal subpart of an invalid sequence becomes one U+FFFD
 * (core/utf8.h: what Python's decode(errors="replace") gives); NUL bytes stay (\u0000).
 * NULL on OOM only.
 */
json_t *el_json_str(const char *s, size_t n);

/* json_loadb, with memory running out told apart from a malformed document: NULL and *oom true
 * when an allocation failed (jansson then reports a syntax error that is not there). */
json_t *el_json_loadb(const char *text, size_t len, size_t flags, json_error_t *je, bool *oom);

/* json_dumps that returns NULL when an allocation failed on the way (jansson's own can return
 * damaged text then). Caller frees. */
char *el_json_dumps(const json_t *j, size_t flags);

/* Print `j` (pretty, keys in insertion order) and a newline; EL_EIO on write error, EL_ENOMEM. */
int el_json_print(FILE *f, const json_t *j);
/* The same with reals to `digits` significant digits (17: every double exactly). */
int el_json_print_digits(FILE *f, const json_t *j, int digits);

/*
 * Write `j` to path atomically (core/atomic.h) as json_dumps(j, flags) and a newline: the files
 * edgelm writes as documents (config.json of synth, a distill manifest).
 */
int el_json_write_file(const char *path, const json_t *j, size_t flags, el_error *err);

/* Route jansson's allocations through edgelm's (once, at start: cmd/main.c), so that memory
 * running out while parsing is reported as such, not as a malformed document. */
void el_json_init(void);

/*
 * Parse a JSON document held in memory. `path` names it in errors, which give
 * the byte offset jansson reports. Duplicate object keys are refused.
 */
int el_json_parse(const char *text, size_t len, const char *path, json_t **out, el_error *err);

/* Read and parse a JSON file of at most max_size bytes. */
int el_json_load(const char *path, uint64_t max_size, json_t **out, el_error *err);

/* Typed members: 1 found, 0 absent or null, -1 present with the wrong type. */
int el_json_get_i64(const json_t *obj, const char *key, int64_t *out); /* 1 found, 0 absent, -1 wrong type */
int el_json_get_f64(const json_t *obj, const char *key, double *out);  /* ints accepted */
int el_json_get_bool(const json_t *obj, const char *key, int *out);
const char *el_json_get_str(const json_t *obj, const char *key);      /* NULL absent/not a string */

#endif
