/*
 * tests/testutil.c - see testutil.h. Not a test file itself (no test_ prefix),
 * linked into the suite through tests/test_*.c including it once.
 */
#include "tests/testutil.h"

#include <archive.h>
#include <archive_entry.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

char *tu_fmt(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    cr_assert(s != NULL);
    return s;
}

char *tu_tmpdir(const char *tag)
{
    const char *base = getenv("TMPDIR");
    char *t = tu_fmt("%s/edgelm-test-%s-XXXXXX", base && *base ? base : "/tmp", tag);
    cr_assert(mkdtemp(t) != NULL, "mkdtemp failed: %s", strerror(errno));
    return t;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

void tu_rmtree(const char *path)
{
    if (path)
        nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *tu_shared(void)
{
    const char *e = getenv("EDGELM_SHARED");
    const char *p = e && *e ? e : "../shared";
    struct stat st;
    if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode))
        return NULL;
    return p;
}

char *tu_shared_path(const char *rel)
{
    const char *s = tu_shared();
    if (!s)
        return NULL;
    char *p = tu_fmt("%s/%s", s, rel);
    if (access(p, R_OK) != 0) {
        free(p);
        return NULL;
    }
    return p;
}

const char *tu_bin(void)
{
    const char *e = getenv("EDGELM_BIN");
    return e && *e ? e : "./edgelm";
}

static void drain(int fd, char **buf, size_t *len, size_t *cap)
{
    if (*len + 65536 + 1 > *cap) {
        *cap = (*len + 65536 + 1) * 2;
        *buf = realloc(*buf, *cap);
        cr_assert(*buf != NULL);
    }
    ssize_t n = read(fd, *buf + *len, *cap - *len - 1);
    if (n > 0)
        *len += (size_t)n;
}

tu_run tu_exec(const char *const *argv, const char *stdin_text, const char *stdout_path)
{
    tu_run r = {0};
    int out[2], err[2], in[2];
    cr_assert(pipe(out) == 0 && pipe(err) == 0 && pipe(in) == 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    if (stdout_path)
        posix_spawn_file_actions_addopen(&fa, 1, stdout_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    else
        posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    posix_spawn_file_actions_addclose(&fa, err[0]);
    posix_spawn_file_actions_addclose(&fa, in[1]);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    cr_assert(rc == 0, "cannot start %s: %s", argv[0], strerror(rc));
    close(out[1]);
    close(err[1]);
    close(in[0]);
    if (stdin_text) {
        size_t n = strlen(stdin_text), off = 0;
        while (off < n) {
            ssize_t w = write(in[1], stdin_text + off, n - off);
            if (w <= 0)
                break;
            off += (size_t)w;
        }
    }
    close(in[1]);
    size_t ocap = 0, ecap = 0;
    struct pollfd pf[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    int open_fds = 2;
    while (open_fds > 0) {
        if (poll(pf, 2, -1) < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 2; i++) {
            if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            size_t before = i == 0 ? r.out_len : r.err_len;
            if (i == 0)
                drain(out[0], &r.out, &r.out_len, &ocap);
            else
                drain(err[0], &r.err, &r.err_len, &ecap);
            if ((i == 0 ? r.out_len : r.err_len) == before) {
                close(pf[i].fd);
                pf[i].fd = -1;
                open_fds--;
            }
        }
    }
    int st = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    wait4(pid, &st, 0, &ru);
    r.max_rss_kb = ru.ru_maxrss;
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    if (!r.out)
        r.out = calloc(1, 1);
    if (!r.err)
        r.err = calloc(1, 1);
    r.out[r.out_len] = '\0';
    r.err[r.err_len] = '\0';
    return r;
}

void tu_run_free(tu_run *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

/* argv for the edgelm binary: its path, then first and the rest of a NULL-terminated list */
static void edgelm_argv(const char **argv, int cap, const char *first, va_list ap)
{
    int n = 0;
    argv[n++] = tu_bin();
    for (const char *a = first; a && n < cap - 1; a = va_arg(ap, const char *))
        argv[n++] = a;
    argv[n] = NULL;
}

/* the binary run with first and the rest of a NULL-terminated list */
static tu_run edgelm_va(const char *first, va_list ap)
{
    const char *argv[64];
    edgelm_argv(argv, 64, first, ap);
    return tu_exec(argv, NULL, NULL);
}

tu_run tu_edgelm(const char *first, ...)
{
    va_list ap;
    va_start(ap, first);
    tu_run r = edgelm_va(first, ap);
    va_end(ap);
    return r;
}

void tu_ok(const char *first, ...)
{
    va_list ap;
    va_start(ap, first);
    tu_run r = edgelm_va(first, ap);
    va_end(ap);
    cr_assert_eq(r.status, 0, "edgelm %s failed: %s", first, r.err);
    tu_run_free(&r);
}

uint8_t *tu_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    if (b) {
        b[n] = 0;
        *len = (size_t)n;
    }
    return b;
}

bool tu_write(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return false;
    bool ok = fwrite(data, 1, len, f) == len;
    return fclose(f) == 0 && ok;
}

bool tu_files_equal(const char *a, const char *b)
{
    size_t la, lb;
    uint8_t *x = tu_read(a, &la), *y = tu_read(b, &lb);
    bool eq = x && y && la == lb && memcmp(x, y, la) == 0;
    free(x);
    free(y);
    return eq;
}

bool tu_node_ready(void)
{
    const char *argv[] = {"sh", "tests/interop/setup.sh", NULL};
    tu_run r = tu_exec(argv, NULL, NULL);
    const int st = r.status;
    if (st != 0 && st != 77) {
        cr_log_error("%s", r.err ? r.err : "");
        tu_run_free(&r);
        cr_assert_fail("installing the npm packages failed (tests/interop/setup.sh exit %d)", st);
    }
    tu_run_free(&r);
    return st == 0;
}

void tu_write_gz(const char *path, const void *data, size_t n)
{
    gzFile z = gzopen(path, "wb");
    cr_assert(z);
    cr_assert_eq(gzwrite(z, data, (unsigned)n), (int)n);
    cr_assert_eq(gzclose(z), Z_OK);
}

/* an archive (zip or tar.gz) holding a folder entry, one decoy file and `member` with data */
void tu_write_archive(const char *path, bool zip, const char *member, const void *data, size_t n)
{
    struct archive *a = archive_write_new();
    cr_assert(a);
    if (zip) {
        cr_assert_eq(archive_write_set_format_zip(a), ARCHIVE_OK);
    } else {
        cr_assert_eq(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
        cr_assert_eq(archive_write_add_filter_gzip(a), ARCHIVE_OK);
    }
    cr_assert_eq(archive_write_open_filename(a, path), ARCHIVE_OK);
    const char *names[] = {"data/", "data/other.txt", member};
    const char *bodies[] = {NULL, "decoy\n", data};
    const size_t sizes[] = {0, 6, n};
    for (int i = 0; i < 3; i++) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, names[i]);
        archive_entry_set_filetype(e, bodies[i] ? AE_IFREG : AE_IFDIR);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, (la_int64_t)sizes[i]);
        cr_assert_eq(archive_write_header(a, e), ARCHIVE_OK);
        if (bodies[i])
            cr_assert_eq(archive_write_data(a, bodies[i], sizes[i]), (la_ssize_t)sizes[i]);
        archive_entry_free(e);
    }
    cr_assert_eq(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
}

static void *kept[128];
static int n_kept;

char *tu_keep(char *p)
{
    cr_assert_lt(n_kept, 128, "tu_keep: too many strings in one test");
    kept[n_kept++] = p;
    return p;
}

void tu_release(void)
{
    while (n_kept)
        free(kept[--n_kept]);
}

json_t *tu_edgelm_json(int status, const char *first, ...)
{
    const char *argv[64];
    int n = 0;
    argv[n++] = tu_bin();
    argv[n++] = "--json";
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && n < 62; a = va_arg(ap, const char *))
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    tu_run r = tu_exec(argv, NULL, NULL);
    cr_assert_eq(r.status, status, "%s %s: exit %d, stderr: %s", argv[2], argv[3], r.status, r.err);
    json_error_t je;
    json_t *j = json_loads(r.out, 0, &je);
    cr_assert(j, "%s: not JSON (%s): %s", argv[2], je.text, r.out);
    tu_run_free(&r);
    return j;
}

double tu_jnum(const json_t *j, const char *k)
{
    const json_t *v = json_object_get(j, k);
    cr_assert(json_is_number(v), "no number '%s'", k);
    return json_number_value(v);
}

void tu_assert_error(int rc, const el_error *e, const char *path, uint64_t size, const char *what)
{
    cr_assert(rc != 0, "%s: failed with code 0", what);
    cr_assert_eq(rc, e->code, "%s: returned %d, the record holds %d", what, rc, e->code);
    cr_assert(strcmp(el_code_name(e->code), "EUNKNOWN") != 0, "%s: code %d is not one of core/error.h's", what,
              e->code);
    cr_assert_str_eq(e->path, path, "%s: err.path '%s' does not name the file (%s): %s", what, e->path, path, e->msg);
    cr_assert(e->where && e->where[0], "%s: no source location", what);
    cr_assert(e->msg[0] != '\0', "%s: empty message", what);
    cr_assert(!strchr(e->msg, '\n') && !strchr(e->msg, '\r'), "%s: message is more than one line: %s", what, e->msg);
    cr_assert(e->offset >= -1 && (e->offset < 0 || (uint64_t)e->offset <= size),
              "%s: offset %lld outside the %llu-byte file: %s", what, (long long)e->offset, (unsigned long long)size,
              e->msg);
}

int tu_parse_copy(tu_parse_fn parse, const uint8_t *data, size_t n, const char *name, char *msg, size_t cap)
{
    uint8_t *copy = malloc(n ? n : 1);
    cr_assert(copy);
    memcpy(copy, data, n);
    el_error e;
    el_error_clear(&e);
    const int rc = parse(copy, n, name, &e);
    if (msg)
        snprintf(msg, cap, "%s", e.msg);
    free(copy);
    return rc;
}

int tu_byte_flips(const uint8_t *b, size_t n, size_t n_off, const uint8_t *vals, size_t n_vals, const char *name,
                  const char *disk_path, tu_parse_fn parse)
{
    int refused = 0, run = 0;
    for (size_t off = 0; off < n_off; off++)
        for (size_t k = 0; k < n_vals; k++) {
            uint8_t *c = malloc(n), *copy = malloc(n);
            cr_assert(c && copy);
            memcpy(c, b, n);
            c[off] = vals[k];
            memcpy(copy, c, n);
            el_error e;
            el_error_clear(&e);
            const int rc = parse(copy, n, name, &e);
            char what[64];
            snprintf(what, sizeof what, "byte %zu = 0x%02x", off, vals[k]);
            if (rc) {
                tu_assert_error(rc, &e, name, n, what);
                refused++;
            } else {
                cr_assert_eq(e.code, EL_OK, "%s: success with an error recorded: %s", what, e.msg);
            }
            free(copy);
            if (k == off % n_vals) {
                cr_assert(tu_write(disk_path, c, n));
                tu_run r = tu_edgelm("inspect", disk_path, NULL);
                if (rc || r.status != 0)
                    tu_assert_cli_error(&r, disk_path, what);
                tu_run_free(&r);
                run++;
            }
            free(c);
        }
    cr_assert_eq(run, (int)n_off);
    return refused;
}

void tu_assert_cli_error(const tu_run *r, const char *path, const char *what)
{
    cr_assert_eq(r->status, 1, "%s: exit %d, stderr: %s", what, r->status, r->err);
    cr_assert(r->err_len > 0 && r->err[r->err_len - 1] == '\n', "%s: stderr does not end a line: '%s'", what, r->err);
    cr_assert(memchr(r->err, '\n', r->err_len) == r->err + r->err_len - 1, "%s: stderr is more than one line: %s", what,
              r->err);
    cr_assert(strstr(r->err, path), "%s: stderr does not name %s: %s", what, path, r->err);
}

bool tu_have_numpy(void)
{
    if (access("/usr/bin/python3", X_OK) != 0)
        return false;
    tu_run np = tu_exec((const char *const[]){"/usr/bin/python3", "-c", "import numpy", NULL}, NULL, NULL);
    const bool ok = np.status == 0;
    tu_run_free(&np);
    return ok;
}
