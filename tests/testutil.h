/*
 * tests/testutil.h - helpers shared by the Criterion suites: temporary folders,
 * the shared reference data, running the edgelm binary and other programs.
 */
#ifndef EL_TESTS_TESTUTIL_H
#define EL_TESTS_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include <stdint.h>

#include "core/error.h"

/* A fresh folder under $TMPDIR (or /tmp), removed by tu_rmtree. Aborts the test on failure. */
char *tu_tmpdir(const char *tag);
void tu_rmtree(const char *path);

/* ../shared (or $EDGELM_SHARED); NULL when absent. Path is static. */
const char *tu_shared(void);
/* tu_shared()/rel as a heap string, or NULL when the shared folder or the file is absent. */
char *tu_shared_path(const char *rel);

/* The binary under test: $EDGELM_BIN or ./edgelm. */
const char *tu_bin(void);

typedef struct tu_run {
    int status;       /* exit code, or 128 + signal */
    char *out;        /* captured stdout (NUL-terminated, heap) */
    size_t out_len;
    char *err;        /* captured stderr */
    size_t err_len;
    long max_rss_kb;  /* the child's peak resident memory (wait4's ru_maxrss) */
} tu_run;

/*
 * Run argv (argv[0] is looked up in PATH unless it has a '/') with optional
 * stdin text; capture everything. `stdout_path` non-NULL redirects stdout to
 * that file instead (e.g. /dev/full).
 */
tu_run tu_exec(const char *const *argv, const char *stdin_text, const char *stdout_path);
void tu_run_free(tu_run *r);

/* Install the interop npm packages (tests/interop/setup.sh; a no-op when present): true when ready,
 * false when node/npm is not on this machine. A failed install fails the test. */
bool tu_node_ready(void);
/* Debian's /usr/bin/python3 with numpy (python3-numpy), which the tests/oracle scripts need */
bool tu_have_numpy(void);

/* Run the edgelm binary with the given arguments (NULL-terminated list). */
tu_run tu_edgelm(const char *first, ...);
/* The same, asserting it exits 0 (the failure message carries edgelm's stderr). */
void tu_ok(const char *first, ...);

/* Whole file into a heap buffer; NULL when unreadable. */
uint8_t *tu_read(const char *path, size_t *len);
bool tu_write(const char *path, const void *data, size_t len);
bool tu_files_equal(const char *a, const char *b);

/* printf into a new heap string. */
char *tu_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A gzip file, and an archive (zip or tar.gz) holding a folder entry "data/", a decoy file
 * "data/other.txt" and `member` with the bytes given (written with zlib and libarchive). */
void tu_write_gz(const char *path, const void *data, size_t n);
void tu_write_archive(const char *path, bool zip, const char *member, const void *data, size_t n);

/* Strings a test allocates (paths, formatted text), kept and freed together by tu_release() when it ends. */
char *tu_keep(char *p);
void tu_release(void);
#define KF(...) tu_keep(tu_fmt(__VA_ARGS__))
#define KS(rel) tu_keep(tu_shared_path(rel))
#define KT(tag) tu_keep(tu_tmpdir(tag))

/* Run edgelm with --json and the arguments (NULL-terminated), assert exit `status`, return stdout as JSON. */
json_t *tu_edgelm_json(int status, const char *first, ...);
/* The number under key k (asserted to be one). */
double tu_jnum(const json_t *j, const char *k);

/*
 * The error contract of core/error.h for a failed library call that returned rc on a file read as
 * `path`: rc is non-zero and is e->code (a code core/error.c names), e->path is `path`, e->where is
 * set, e->msg is one non-empty line, e->offset is -1 or within the file's `size` bytes. `what` names
 * the case in failure messages.
 */
void tu_assert_error(int rc, const el_error *e, const char *path, uint64_t size, const char *what);
/* The same for a run of the binary that failed on `path`: exit 1, stderr one line that names the file. */
void tu_assert_cli_error(const tu_run *r, const char *path, const char *what);

/* A parser under test: parse the n bytes at b (read as `name`), read the last byte of every tensor it
 * accepted, close; the parser's return code. */
typedef int (*tu_parse_fn)(const uint8_t *b, size_t n, const char *name, el_error *e);
/* parse on a malloc'd copy of exactly n bytes of data (a read past the end is ASan's to catch); the
 * error message into msg (when not NULL); the parser's return code */
int tu_parse_copy(tu_parse_fn parse, const uint8_t *data, size_t n, const char *name, char *msg, size_t cap);
/*
 * Every single-byte corruption of b's first n_off bytes by each of vals: the parser either accepts
 * (with no error recorded) or refuses keeping tu_assert_error's contract. One flip per offset (the
 * values in turn) is also written to disk_path for `edgelm inspect`: where the parser refused the
 * bytes the binary exits 1, and any failure of it is tu_assert_cli_error's. Returns the refusals.
 */
int tu_byte_flips(const uint8_t *b, size_t n, size_t n_off, const uint8_t *vals, size_t n_vals, const char *name,
                  const char *disk_path, tu_parse_fn parse);

#endif
