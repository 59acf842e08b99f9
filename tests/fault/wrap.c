/*
 * tests/fault/wrap.c - fault injection for the `edgelm-fault` build (make fault): SQLite's
 * discipline of failing the Nth call, for every N, and checking what the program does then.
 *
 * The build links edgelm with -Wl,--wrap=SYMBOL for the calls below, so every call that edgelm's
 * own code makes (not the C library's or another library's internal ones) comes here first; jansson
 * is routed here too through json_set_alloc_funcs. The release binary has none of this.
 *
 *   EDGELM_FAULT=alloc:N         the Nth allocation (malloc, calloc, realloc, strdup, strndup,
 *                                posix_memalign, aligned_alloc; jansson's) returns NULL, ENOMEM
 *   EDGELM_FAULT=write:N:ENOSPC  the Nth write/pwrite to a file descriptor >= 3 fails with that
 *                                errno (ENOSPC, EIO, EDQUOT); likewise fsync:N, rename:N, close:N
 *                                (fds >= 3) and mmap:N (always ENOMEM, what mmap gives)
 *   EDGELM_FAULT_COUNTS=FILE     at exit, append "alloc A write W fsync F rename R close C mmap M":
 *                                how many such calls the run made (the range of N to try)
 *
 * One fault per run (the Nth call only), so each run tests one failure point. stdin, stdout and
 * stderr are left alone: a command's diagnostics must get out to be checked.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

enum { K_ALLOC, K_WRITE, K_FSYNC, K_RENAME, K_CLOSE, K_MMAP, K_N };
static const char *const kind_names[K_N] = {"alloc", "write", "fsync", "rename", "close", "mmap"};

static atomic_long counts[K_N];
static int fault_kind = -1;
static long fault_at;
static int fault_errno = ENOSPC;

void *__real_malloc(size_t n);
void *__real_calloc(size_t a, size_t b);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
int __real_posix_memalign(void **p, size_t a, size_t n);
void *__real_aligned_alloc(size_t a, size_t n);
ssize_t __real_write(int fd, const void *b, size_t n);
ssize_t __real_pwrite(int fd, const void *b, size_t n, off_t o);
int __real_fsync(int fd);
int __real_fdatasync(int fd);
int __real_rename(const char *a, const char *b);
int __real_close(int fd);
void *__real_mmap(void *a, size_t n, int prot, int fl, int fd, off_t o);

/* True when this call is the one to fail. */
static int hit(int kind)
{
    long n = atomic_fetch_add(&counts[kind], 1) + 1;
    return kind == fault_kind && n == fault_at;
}

static void report(void)
{
    const char *p = getenv("EDGELM_FAULT_COUNTS");
    if (!p)
        return;
    FILE *f = fopen(p, "a");
    if (!f)
        return;
    for (int k = 0; k < K_N; k++)
        fprintf(f, "%s%s %ld", k ? " " : "", kind_names[k], atomic_load(&counts[k]));
    fputc('\n', f);
    fclose(f);
}

void *__wrap_malloc(size_t n) { return hit(K_ALLOC) ? (errno = ENOMEM, NULL) : __real_malloc(n); }
void *__wrap_calloc(size_t a, size_t b) { return hit(K_ALLOC) ? (errno = ENOMEM, NULL) : __real_calloc(a, b); }
void *__wrap_realloc(void *p, size_t n) { return hit(K_ALLOC) ? (errno = ENOMEM, NULL) : __real_realloc(p, n); }
char *__wrap_strdup(const char *s) { return hit(K_ALLOC) ? (errno = ENOMEM, NULL) : __real_strdup(s); }
char *__wrap_strndup(const char *s, size_t n) { return hit(K_ALLOC) ? (errno = ENOMEM, NULL) : __real_strndup(s, n); }
int __wrap_posix_memalign(void **p, size_t a, size_t n) { return hit(K_ALLOC) ? ENOMEM : __real_posix_memalign(p, a, n); }
void *__wrap_aligned_alloc(size_t a, size_t n) { return hit(K_ALLOC) ? (errno = ENOMEM, NULL) : __real_aligned_alloc(a, n); }

ssize_t __wrap_write(int fd, const void *b, size_t n)
{
    if (fd > 2 && hit(K_WRITE))
        return errno = fault_errno, -1;
    return __real_write(fd, b, n);
}

ssize_t __wrap_pwrite(int fd, const void *b, size_t n, off_t o)
{
    if (fd > 2 && hit(K_WRITE))
        return errno = fault_errno, -1;
    return __real_pwrite(fd, b, n, o);
}

int __wrap_fsync(int fd) { return hit(K_FSYNC) ? (errno = fault_errno, -1) : __real_fsync(fd); }
int __wrap_fdatasync(int fd) { return hit(K_FSYNC) ? (errno = fault_errno, -1) : __real_fdatasync(fd); }
int __wrap_rename(const char *a, const char *b) { return hit(K_RENAME) ? (errno = fault_errno, -1) : __real_rename(a, b); }

int __wrap_close(int fd)
{
    if (fd > 2 && hit(K_CLOSE)) {
        __real_close(fd); /* as Linux does: the descriptor is gone even when close reports an error */
        return errno = fault_errno, -1;
    }
    return __real_close(fd);
}

void *__wrap_mmap(void *a, size_t n, int prot, int fl, int fd, off_t o)
{
    if (hit(K_MMAP))
        return errno = ENOMEM, MAP_FAILED; /* what mmap reports when it cannot map */
    return __real_mmap(a, n, prot, fl, fd, o);
}

__attribute__((constructor)) static void fault_init(void)
{
    atexit(report); /* jansson allocates through core/json.c's json_alloc, whose malloc is wrapped */
    const char *s = getenv("EDGELM_FAULT");
    if (!s || !*s)
        return;
    char kind[16] = "", en[16] = "";
    long n = 0;
    if (sscanf(s, "%15[a-z]:%ld:%15s", kind, &n, en) < 2 || n < 1) {
        fprintf(stderr, "edgelm-fault: bad EDGELM_FAULT '%s'\n", s);
        _exit(99);
    }
    for (int k = 0; k < K_N; k++)
        if (strcmp(kind, kind_names[k]) == 0)
            fault_kind = k;
    if (fault_kind < 0) {
        fprintf(stderr, "edgelm-fault: unknown fault kind '%s'\n", kind);
        _exit(99);
    }
    fault_at = n;
    if (strcmp(en, "EIO") == 0)
        fault_errno = EIO;
    else if (strcmp(en, "EDQUOT") == 0)
        fault_errno = EDQUOT;
}
