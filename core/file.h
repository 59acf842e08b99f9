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
 * Open `path` for reading. Anything but a regular file is refused (EL_EFTYPE:
 * a folder, FIFO, socket or device; a FIFO's open() would wait for a writer
 * forever, a tape device rewinds on open), checked with stat before the open
 * and again on the descriptor. *fd is blocking and close-on-exec; *size (may
 * be NULL) gets the file's size. The file is recorded as one of this process's
 * inputs (below).
 */
int el_open_input(const char *path, int *fd, uint64_t *size, el_error *err);

/*
 * The inputs of this process: every file read through el_open_input (and so
 * el_map_open, el_read_file, el_sha256_file, the line reader, datasets) is
 * recorded by (device, inode), and the atomic writer refuses to replace one
 * (EL_ESAMEFILE): `quantize m.gguf m.gguf`, a hard link, or `convert DIR -o
 * DIR/config.json` would otherwise destroy the input. el_is_input() says
 * whether the file at `path` (symbolic links followed) is one;
 * el_input_forget() drops a file a command reads and then replaces as its own
 * state (a resumed run's manifest).
 */
bool el_is_input(const char *path);
void el_input_forget(const char *path);

/*
 * Map `path` read-only. On failure *m is zeroed and err names the file.
 * A directory or a non-regular file is refused (EL_EFTYPE).
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
