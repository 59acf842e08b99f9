/*
 * core/error.h - error codes and the error record every library call fills.
 *
 * Library code never prints and never exits. A function that can fail takes an
 * `el_error *` as its last argument, returns an el_code (EL_OK == 0 on success)
 * and, on failure, fills the record with:
 *   - code     what kind of failure (stable numbers below),
 *   - path     the file the problem is in (may be empty),
 *   - offset   the byte offset in that file where it was found (-1: none),
 *   - msg      one line saying what is wrong, in words a user understands,
 *   - where    the source file:line that raised it (for developers; see -v).
 * Only cmd/ turns a record into a message and an exit code.
 *
 * Codes are grouped by tens, like zstd_errors.h. A value, once used, never changes
 * meaning: scripts may compare against them through `--json` output.
 */
#ifndef EL_CORE_ERROR_H
#define EL_CORE_ERROR_H

#include <stdint.h>
#include <stdarg.h>
#include <stddef.h>

typedef enum el_code {
    EL_OK = 0,

    /* 1-9: generic */
    EL_ENOMEM = 1,       /* an allocation failed */
    EL_EINTERNAL = 2,    /* a bug: an invariant did not hold */
    EL_EINTR = 3,        /* interrupted by a signal */

    /* 10-19: operating system and files */
    EL_EIO = 10,         /* read/write/fsync/rename failed */
    EL_ENOENT = 11,      /* file or folder does not exist */
    EL_EACCES = 12,      /* permission denied */
    EL_ENOSPC = 13,      /* no space left on the device */
    EL_EFTYPE = 14,      /* a folder, FIFO, device or socket where a regular file belongs */

    /* 20-29: malformed input */
    EL_EFORMAT = 20,     /* a file is not what it claims to be */
    EL_ETRUNC = 21,      /* a file ends before its header says it should */
    EL_EVERSION = 22,    /* a format version we do not read */
    EL_ERANGE = 23,      /* a count, size or offset is out of range / overflows */
    EL_EJSON = 24,       /* a JSON document is malformed or has the wrong types */

    /* 30-39: model content */
    EL_EUNSUPPORTED = 30,/* well-formed but not something we handle (arch, dtype) */
    EL_ESHAPE = 31,      /* a tensor has the wrong shape */
    EL_EMISSING = 32,    /* a required tensor, key or file is missing */
    EL_EDUP = 33,        /* a duplicate key or tensor */
    EL_ENUMERIC = 34,    /* the model computes NaN or infinite values */

    /* 60-69: the command line */
    EL_EUSAGE = 60,      /* bad flags or arguments */
    EL_ESAMEFILE = 61,   /* an output would replace one of the command's inputs */
} el_code;

typedef struct el_error {
    int code;            /* el_code; EL_OK when nothing failed */
    int64_t offset;      /* byte offset in `path` where the problem is, or -1 */
    const char *where;   /* source "file:line" that raised it (static string) */
    char path[1024];     /* file the problem is in, "" when none */
    char msg[1024];      /* one line, no trailing newline */
} el_error;

/* Reset a record to "no error". Accepts NULL. */
void el_error_clear(el_error *e);

/*
 * Fill `e` (may be NULL: the error is then only returned) and return `code`, so
 * failing paths read `return EL_FAIL(err, EL_ETRUNC, path, off, "...", ...)`.
 * The first error wins: a record that already holds an error is not overwritten,
 * so cleanup code running after a failure cannot hide the original cause.
 */
int el_fail_at(el_error *e, int code, const char *path, int64_t offset,
               const char *where, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

#define EL_STR2(x) #x
#define EL_STR(x) EL_STR2(x)
#define EL_FAIL(e, code, path, offset, ...) \
    el_fail_at((e), (code), (path), (offset), __FILE__ ":" EL_STR(__LINE__), __VA_ARGS__)

/* Out of memory, with the place it happened (SQLite's _BKPT idea). */
#define EL_NOMEM(e) EL_FAIL((e), EL_ENOMEM, NULL, -1, "out of memory")

/* Map an errno value to the closest el_code. */
int el_code_from_errno(int errnum);

/* Short stable name of a code ("EFORMAT"), and a phrase ("malformed file"). */
const char *el_code_name(int code);
const char *el_strerror(int code);

/*
 * Format the record as one line: "PATH: at byte N: MSG" (parts omitted when
 * absent). Writes at most cap bytes including the NUL; returns `buf`.
 */
char *el_error_line(const el_error *e, char *buf, size_t cap);

#endif
