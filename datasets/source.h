/*
 * datasets/source.h - the bytes of a dataset file, wherever they are: a plain file, a gzip-compressed
 * one (.gz, by its magic bytes, through zlib), or a member of a .tar, .tar.gz or .zip archive named as
 * "ARCHIVE:PATH/IN/ARCHIVE" (through libarchive). The readers of txt, jsonl, json and csv sit on top.
 *
 * Datasets are read whole, or (el_ds_read_prefix) only as far as a command needs: the bytes held
 * are what is read, never more, and a compressed stream is inflated only that far. max_size caps
 * what a file may expand to (a zip bomb is refused at the cap, not swallowed).
 */
#ifndef EL_DATASETS_SOURCE_H
#define EL_DATASETS_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"

#define EL_DS_MAX_SIZE ((uint64_t)4 << 30) /* default cap: 4 GiB */

/*
 * The contents of spec into *out (malloc'd, NUL-terminated; *size excludes the NUL). Errors name the
 * file (and the member): missing, not readable, a broken compressed stream or archive, no such
 * member, larger than max_size (0: EL_DS_MAX_SIZE).
 */
int el_ds_read(const char *spec, uint64_t max_size, char **out, uint64_t *size, el_error *err);

/*
 * At most want bytes of spec (want 0: all, as el_ds_read). *whole says whether that is the whole
 * file; the bytes past want are never held (a .gz or an archive member is inflated only so far).
 */
int el_ds_read_prefix(const char *spec, uint64_t max_size, uint64_t want, char **out, uint64_t *size, bool *whole,
                      el_error *err);

/*
 * The file on disk that spec reads (malloc'd into *path): spec itself, or for ARCHIVE:MEMBER the
 * archive, split at the first ':' whose left side is a file (member names may hold ':'). *member
 * (may be NULL) points into spec after that ':', or is NULL for a plain file. EL_ENOENT when neither.
 */
int el_ds_spec_file(const char *spec, char **path, const char **member, el_error *err);

#endif
