/*
 * core/lines.h - an append-only file of lines that survives kill -9: what a resumable job writes
 * its finished records to.
 *
 * Opening counts the complete lines already there and cuts off a torn last line (bytes after the
 * last newline: a write the previous process did not finish). Appends are buffered until
 * el_lines_sync(), which writes them and waits for the disk, so a caller that syncs before it
 * records progress anywhere else never finds its records missing afterwards. Lines already in
 * the file are never rewritten.
 *
 * el_dir_lock() takes an exclusive lock on a folder (a ".lock" file in it, flock), so two
 * processes never resume the same output at once; the lock dies with the process.
 */
#ifndef EL_CORE_LINES_H
#define EL_CORE_LINES_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef struct el_lines el_lines;

/* Open (creating it when missing) for appending; *n_lines receives the complete lines kept. */
int el_lines_open(el_lines **out, const char *path, int64_t *n_lines, el_error *err);
/* Queue one line (without its newline; it must not contain one). */
int el_lines_add(el_lines *l, const char *line, size_t n, el_error *err);
/* Write what is queued and fsync. */
int el_lines_sync(el_lines *l, el_error *err);
/* Close without writing what is still queued. Accepts NULL. */
void el_lines_close(el_lines *l);

/* Call fn for each complete line of a file, in order (line without its newline, NUL-terminated, and
 * its 1-based number); a non-zero return stops and is returned. */
int el_lines_each(const char *path, int (*fn)(void *ud, char *line, size_t n, int64_t lineno, el_error *err), void *ud,
                  el_error *err);

/* Reading a file line by line (pull style). */
typedef struct el_line_reader el_line_reader;
int el_line_reader_open(el_line_reader **out, const char *path, el_error *err);
/* The next complete line (without its newline; valid until the next call), or *line = NULL at the end. */
int el_line_reader_next(el_line_reader *r, const char **line, size_t *n, el_error *err);
void el_line_reader_close(el_line_reader *r);

/* Lock folder `dir` for this process (fails when another process holds it). *fd: keep until done. */
int el_dir_lock(const char *dir, int *fd, el_error *err);
void el_dir_unlock(int fd);

/* Remove the temporary files a killed writer left in `dir` (core/atomic.h names; call under the lock). */
int el_remove_stale_tmp(const char *dir, el_error *err);

#endif
