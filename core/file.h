/*
 * core/file.h - reading files: read-only memory maps, whole small files, paths.
 *
 * Model files are read through mmap so weights are never copied: a 4 GiB GGUF
 * costs page-cache, not heap. Sizes and offsets are 64-bit throughout.
 */
#ifndef EL_CORE_FILE_H
#define EL_CORE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef struct el_map {
    const uint8_t *data; /* mapped bytes (NULL when size == 0) */
    uint64_t size;       /* file size in bytes */
    char *path;          /* owned copy of the path, for error messages */
} el_map;

/*
 * Map `path` read-only. On failure *m is zeroed and err names the file.
 * A directory or a non-regular file is refused (EL_EFORMAT).
 */
int el_map_open(el_map *m, const char *path, el_error *err);

/* Unmap and free; accepts a zeroed or already-closed map. */
void el_map_close(el_map *m);

/* Access-pattern hints (no effect on correctness). */
enum { EL_ADVISE_SEQUENTIAL, EL_ADVISE_RANDOM, EL_ADVISE_WILLNEED, EL_ADVISE_DONTNEED };
void el_map_advise(const el_map *m, uint64_t off, uint64_t len, int advice);

/*
 * Read a whole file into a NUL-terminated heap buffer (*out, caller frees).
 * Files larger than max_size are refused with EL_ERANGE (config and tokenizer
 * files are small; this bounds memory against a wrong path).
 */
int el_read_file(const char *path, uint64_t max_size, char **out, uint64_t *size, el_error *err);

/* Write a whole buffer to `path` atomically (see core/atomic.h). */
int el_write_file(const char *path, const void *data, uint64_t size, el_error *err);

/* Copy a file atomically. */
int el_copy_file(const char *src, const char *dst, el_error *err);

bool el_path_exists(const char *path);
bool el_path_is_dir(const char *path);
int64_t el_file_size(const char *path); /* -1 when it cannot be stat'ed */

/* Join dir and name into a new heap string ("dir/name"); NULL on OOM. */
char *el_path_join(const char *dir, const char *name);

/* Make a directory (and its parents); ok when it already exists. */
int el_mkdir_p(const char *path, el_error *err);

/* Last path component (pointer into `path`). */
const char *el_basename(const char *path);

#endif
