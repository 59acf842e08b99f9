/*
 * tests/fuzz/fuzz_util.h - what the libFuzzer targets share: a private scratch folder, files
 * written from the input, inputs made of several files, and the rule that a failure says why.
 *
 * Most readers take a path, not a buffer, so a target writes its input to a file in its own
 * folder (FZ_TMP or TMPDIR, else /dev/shm, else /tmp: "edgelm-fuzz-NAME-PID", removed at exit)
 * and calls the real reader on it (fz_input). A library call takes fz_err() for its error record
 * and is wrapped in fz_rc(), which checks that a failure says why: `if (fz_rc(f(..., fz_err())))`.
 * An input that stands for several files is cut at each FZ_SEP line ("\n--8<--\n"): part 0 is the
 * first file, part 1 the second, and so on; the seeds in tests/fuzz/corpus/ are written that way.
 *
 * Header-only (static functions): each target is one .c file plus the library.
 */
#ifndef EL_TESTS_FUZZ_UTIL_H
#define EL_TESTS_FUZZ_UTIL_H

#include <fcntl.h>
#include <stdbool.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"

#define FZ_SEP "\n--8<--\n"
#define FZ_MAX_PARTS 16

/* Print "prefix" + the message on stderr, then abort (libFuzzer keeps the input that did it). */
#define FZ_STOP(prefix, ...)                                                                        \
    do {                                                                                            \
        fprintf(stderr, prefix __VA_ARGS__);                                                        \
        fprintf(stderr, "\n");                                                                      \
        abort();                                                                                    \
    } while (0)

/* A harness bug, not a finding: stop loudly. */
#define FZ_DIE(...) FZ_STOP("fuzz harness: ", __VA_ARGS__)

/* A promise of the library broken (a finding): say which, then abort so libFuzzer keeps the input. */
#define FZ_BUG(...) FZ_STOP("fuzz: broken promise: ", __VA_ARGS__)

/* Every failure must say why: a failing call that left the error record empty aborts.
 * With FZ_VERBOSE=1 in the environment each failure's message is printed (to see what a seed does). */
static inline void fz_said_why(int rc, const el_error *e)
{
    static int verbose = -1;
    if (verbose < 0)
        verbose = getenv("FZ_VERBOSE") && *getenv("FZ_VERBOSE") == '1';
    if (rc != 0 && verbose)
        fprintf(stderr, "fuzz: refused (%d): %s\n", rc, e->msg);
    if (rc != 0 && e->msg[0] == '\0') {
        fprintf(stderr, "fuzz: a call failed with code %d and no message (raised at %s)\n", rc,
                e->where ? e->where : "?");
        abort();
    }
}

/* The error record fz_err hands to a library call and fz_rc checks after it: one for the process,
 * as a target runs one input at a time, so that a call and its check take one line. */
static el_error fz_e;

/* fz_e, cleared, for the next call. */
static inline el_error *fz_err(void)
{
    el_error_clear(&fz_e);
    return &fz_e;
}

/* rc of a call given fz_err(), after fz_said_why: a failure must say why. */
static inline int fz_rc(int rc)
{
    fz_said_why(rc, &fz_e);
    return rc;
}

/* n bytes of p in a malloc'd block of exactly that size (1 when empty), so that ASan sees a read
 * past the input; for readers that take a buffer they may keep or that the caller owns. */
static inline uint8_t *fz_dup(const uint8_t *p, size_t n)
{
    uint8_t *d = malloc(n ? n : 1);
    if (!d)
        FZ_DIE("out of memory");
    memcpy(d, p, n);
    return d;
}

static char fz_root[512];

static int fz_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

/* Remove path and everything under it (no error when absent). */
static inline void fz_rmtree(const char *path)
{
    nftw(path, fz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void fz_cleanup(void)
{
    if (fz_root[0])
        fz_rmtree(fz_root);
}

/* This process's scratch folder (created on first use, removed at exit). */
static inline const char *fz_tmpdir(const char *name)
{
    if (fz_root[0])
        return fz_root;
    const char *base = getenv("FZ_TMP");
    if (!base || !*base)
        base = getenv("TMPDIR");
    struct stat st;
    if (!base || !*base)
        base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(fz_root, sizeof fz_root, "%s/edgelm-fuzz-%s-%ld", base, name, (long)getpid());
    fz_rmtree(fz_root);
    if (mkdir(fz_root, 0700) != 0)
        FZ_DIE("cannot create %s", fz_root);
    atexit(fz_cleanup);
    return fz_root;
}

/* root/name into buf (aborts when it does not fit). */
static inline const char *fz_path(char *buf, size_t cap, const char *root, const char *name)
{
    if ((size_t)snprintf(buf, cap, "%s/%s", root, name) >= cap)
        FZ_DIE("path too long: %s/%s", root, name);
    return buf;
}

static inline void fz_mkdir(const char *path)
{
    if (mkdir(path, 0700) != 0)
        FZ_DIE("cannot create %s", path);
}

/* Write n bytes to path (replacing it). */
static inline void fz_write(const char *path, const void *data, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        FZ_DIE("cannot write %s", path);
    const uint8_t *p = data;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            FZ_DIE("cannot write %s", path);
        p += w;
        n -= (size_t)w;
    }
    close(fd);
}

/* The input written to file name in target's scratch folder; returns its path (one buffer, rewritten by
 * the next call). Most readers take a path, so this is a target's first line. */
static inline const char *fz_input(const char *target, const char *name, const uint8_t *data, size_t size)
{
    static char path[1024];
    fz_write(fz_path(path, sizeof path, fz_tmpdir(target), name), data, size);
    return path;
}

/* A path under the shared reference data: $EDGELM_SHARED or ../shared, as the Criterion suite finds
 * it. When it is absent the target says so and exits 0 (CI without ../shared skips, as the suite does). */
static inline const char *fz_shared(const char *target, const char *rel)
{
    static char buf[4096];
    const char *root = getenv("EDGELM_SHARED");
    snprintf(buf, sizeof buf, "%s/%s", root && *root ? root : "../shared", rel);
    if (access(buf, R_OK) != 0) {
        fprintf(stderr, "fuzz_%s: skipped, %s is absent (../shared or $EDGELM_SHARED)\n", target, buf);
        exit(0);
    }
    return buf;
}

/* The bytes of a file the harness needs (a fixed model, a tokenizer), malloc'd; aborts when absent. */
static inline uint8_t *fz_slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        FZ_DIE("cannot read %s (run from the top folder, with ../shared present)", path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *d = malloc(len > 0 ? (size_t)len : 1);
    if (!d || len < 0 || fread(d, 1, (size_t)len, f) != (size_t)len)
        FZ_DIE("cannot read %s", path);
    fclose(f);
    *n = (size_t)len;
    return d;
}

/* Copy the file src to dst (a fixed model or tokenizer into the scratch folder). */
static inline void fz_copy_file(const char *src, const char *dst)
{
    size_t n;
    uint8_t *d = fz_slurp(src, &n);
    fz_write(dst, d, n);
    free(d);
}

/* One file of a multi-file input. */
typedef struct fz_part {
    const uint8_t *p;
    size_t n;
} fz_part;

/* Cut data at each FZ_SEP; returns the number of parts (at least 1, at most max: the last keeps the rest). */
static inline int fz_split(const uint8_t *data, size_t size, fz_part *parts, int max)
{
    const size_t sl = sizeof FZ_SEP - 1;
    int n = 0;
    while (n < max - 1) {
        const uint8_t *s = size >= sl ? memmem(data, size, FZ_SEP, sl) : NULL;
        if (!s)
            break;
        parts[n].p = data;
        parts[n].n = (size_t)(s - data);
        n++;
        size -= (size_t)(s - data) + sl;
        data = s + sl;
    }
    parts[n].p = data;
    parts[n].n = size;
    return n + 1;
}

/* A part as a NUL-terminated string (malloc'd; stops at an embedded NUL, as a C caller would). */
static inline char *fz_str(fz_part p)
{
    char *s = malloc(p.n + 1);
    if (!s)
        FZ_DIE("out of memory");
    memcpy(s, p.p, p.n);
    s[p.n] = '\0';
    return s;
}

#endif
