/*
 * datasets/records.h - a dataset file as a list of records, each with the line it starts on, so a
 * malformed record is reported as FILE: line N: what is wrong.
 *
 * Formats, by the file's (or archive member's) name, after any .gz:
 *   .jsonl / .ndjson  one JSON object per line (blank lines skipped)
 *   .json             an array of objects (or {"data": [...]}, as some dumps wrap them)
 *   .csv / .tsv       rows of fields (RFC 4180 quoting: "a, ""b""" is one field); each record is a
 *                     JSON array of strings; no header handling (the caller knows its format)
 *   .txt and others   one record per non-empty line, a JSON string
 * Text must be UTF-8 (JSON strings hold nothing else): a csv, tsv or txt file that is not is refused as
 * "line N: not valid UTF-8 (byte 0xNN at column C)", C counted in bytes; jansson refuses such json/jsonl.
 * The bytes come through datasets/source.h: plain, .gz, or ARCHIVE:MEMBER.
 */
#ifndef EL_DATASETS_RECORDS_H
#define EL_DATASETS_RECORDS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef enum el_ds_format { EL_DS_AUTO, EL_DS_JSONL, EL_DS_JSON, EL_DS_CSV, EL_DS_TSV, EL_DS_TXT } el_ds_format;

typedef struct el_ds_records {
    json_t **rec;
    int64_t *line;  /* 1-based line each record starts on (JSON array: the element's line) */
    size_t n;
    char name[512]; /* the spec, for messages */
} el_ds_records;

/* The format a name implies (EL_DS_TXT when nothing else fits). */
el_ds_format el_ds_format_of(const char *spec);

int el_ds_records_load(const char *spec, el_ds_format fmt, el_ds_records *out, el_error *err);
/* The same, reading only as far as the first `limit` records need (0: all; a .json file is read
 * whole): what --limit costs is what it uses. Records past them are not parsed, nor their errors seen. */
int el_ds_records_load_n(const char *spec, el_ds_format fmt, size_t limit, el_ds_records *out, el_error *err);
void el_ds_records_free(el_ds_records *r);

/* Parse already-read bytes (tests, and callers with data in memory). name is for messages. */
int el_ds_records_parse(const char *name, const char *data, size_t len, el_ds_format fmt, el_ds_records *out,
                        el_error *err);

#endif
