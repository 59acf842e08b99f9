/*
 * core/atomic.h - the atomic writer: every output file of edgelm goes through it.
 *
 * Bytes go to a temporary file in the target's folder (".NAME.edgelm-PID-N.tmp");
 * el_out_commit() flushes, fsyncs, renames it over the target and fsyncs the
 * folder. Writeback of large outputs is started every few MB while writing
 * (sync_file_range), so the final fsync waits for the tail only, not the file. Until then the target path is untouched: a failed run, a crash of the
 * writer's caller (el_out_abort) or SIGINT/SIGTERM/SIGHUP never leaves a partial
 * file where a user or a script expects a complete one.
 *
 * System calls go through an el_sys table so tests can inject short writes,
 * ENOSPC and failing renames (SQLite's aSyscall[] idea).
 *
 * One writer is used by one thread at a time.
 */
#ifndef EL_CORE_ATOMIC_H
#define EL_CORE_ATOMIC_H

#include <stdint.h>
#include <sys/types.h>

#include "core/error.h"

typedef struct el_sys {
    ssize_t (*write)(int fd, const void *buf, size_t n);
    int (*fsync)(int fd);
    int (*rename)(const char *from, const char *to);
    /* start writeback of a range without waiting (may be NULL: skipped) */
    int (*start_writeback)(int fd, uint64_t off, uint64_t len);
} el_sys;

/* The real system calls. */
extern const el_sys el_sys_default;

typedef struct el_out el_out;

/* Create the temporary file for `path`. On failure *out is NULL. */
int el_out_open(el_out **out, const char *path, el_error *err);
/* Same, with a system-call table (tests). `sys` must outlive the writer. */
int el_out_open_sys(el_out **out, const char *path, const el_sys *sys, el_error *err);

/* Append n bytes (buffered). On failure the writer is still valid for el_out_abort(). */
int el_out_write(el_out *o, const void *buf, uint64_t n, el_error *err);
/* Append n zero bytes. */
int el_out_zeros(el_out *o, uint64_t n, el_error *err);
/* Bytes written so far. */
uint64_t el_out_tell(const el_out *o);
/* The final path this writer will produce. */
const char *el_out_path(const el_out *o);

/*
 * Flush, fsync, rename into place, fsync the folder; frees the writer whether
 * it succeeds or not (on failure the temporary file is removed).
 */
int el_out_commit(el_out *o, el_error *err);

/* Drop everything: close and remove the temporary file, free. Accepts NULL. */
void el_out_abort(el_out *o);

/* Write a whole buffer to `path` atomically. */
int el_write_file(const char *path, const void *data, uint64_t size, el_error *err);

/* Copy a file atomically (the source mapped, written through el_out). */
int el_copy_file(const char *src, const char *dst, el_error *err);

/* How many temporary files are registered for signal cleanup (tests). */
int el_out_live_count(void);

#endif
