/*
 * core/lines.c - append-only line files, folder locks (see lines.h).
 */
#include "core/lines.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/file.h"

struct el_lines {
    int fd;
    char *path;
    char *buf;
    size_t n, cap;
};

static int io_fail(el_error *err, const char *path, const char *what)
{
    int e = errno;
    return EL_FAIL(err, el_code_from_errno(e), path, -1, "%s: %s", what, strerror(e));
}

/* Open (creating) a regular file for reading and writing: a FIFO or device at the path is refused
 * without blocking on it, and so is one of the process's inputs (appending would change it). */
static int open_rw(const char *path, int *fd, el_error *err)
{
    *fd = -1;
    if (el_is_input(path))
        return EL_FAIL(err, EL_ESAMEFILE, path, -1, "is also one of this command's inputs; write to another file");
    int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0666);
    if (f < 0)
        return io_fail(err, path, "cannot open");
    struct stat st;
    int fl;
    if (fstat(f, &st) != 0 || !S_ISREG(st.st_mode) || (fl = fcntl(f, F_GETFL)) < 0 ||
        fcntl(f, F_SETFL, fl & ~O_NONBLOCK) != 0) {
        close(f);
        return EL_FAIL(err, EL_EFTYPE, path, -1, "is not a regular file");
    }
    *fd = f;
    return EL_OK;
}

int el_lines_open(el_lines **out, const char *path, int64_t *n_lines, el_error *err)
{
    *out = NULL;
    *n_lines = 0;
    el_lines *l = calloc(1, sizeof *l);
    if (!l || !(l->path = strdup(path))) {
        free(l);
        return EL_NOMEM(err);
    }
    int rc0 = open_rw(path, &l->fd, err);
    if (rc0) {
        el_lines_close(l);
        return rc0;
    }
    /* count the lines, remembering where the last complete one ends */
    char buf[1 << 16];
    int64_t off = 0, end = 0, lines = 0;
    for (;;) {
        ssize_t r = pread(l->fd, buf, sizeof buf, (off_t)off);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int rc = io_fail(err, path, "cannot read");
            el_lines_close(l);
            return rc;
        }
        if (r == 0)
            break;
        for (ssize_t i = 0; i < r; i++)
            if (buf[i] == '\n') {
                lines++;
                end = off + i + 1;
            }
        off += r;
    }
    if (end < off && (ftruncate(l->fd, (off_t)end) != 0 || fsync(l->fd) != 0)) {
        int rc = io_fail(err, path, "cannot cut the unfinished last line");
        el_lines_close(l);
        return rc;
    }
    if (lseek(l->fd, (off_t)end, SEEK_SET) < 0) {
        int rc = io_fail(err, path, "cannot seek");
        el_lines_close(l);
        return rc;
    }
    *n_lines = lines;
    *out = l;
    return EL_OK;
}

int el_lines_add(el_lines *l, const char *line, size_t n, el_error *err)
{
    if (memchr(line, '\n', n))
        return EL_FAIL(err, EL_EINTERNAL, l->path, -1, "a line with a newline inside");
    if (l->n + n + 1 > l->cap) {
        size_t c = l->cap ? l->cap : 4096;
        while (c < l->n + n + 1)
            c *= 2;
        char *b = realloc(l->buf, c);
        if (!b)
            return EL_NOMEM(err);
        l->buf = b;
        l->cap = c;
    }
    memcpy(l->buf + l->n, line, n);
    l->buf[l->n + n] = '\n';
    l->n += n + 1;
    return EL_OK;
}

int el_lines_sync(el_lines *l, el_error *err)
{
    size_t done = 0;
    while (done < l->n) {
        ssize_t w = write(l->fd, l->buf + done, l->n - done);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return io_fail(err, l->path, "cannot write");
        }
        done += (size_t)w;
    }
    l->n = 0;
    if (fsync(l->fd) != 0)
        return io_fail(err, l->path, "cannot fsync");
    return EL_OK;
}

void el_lines_close(el_lines *l)
{
    if (!l)
        return;
    if (l->fd >= 0)
        close(l->fd);
    free(l->path);
    free(l->buf);
    free(l);
}

struct el_line_reader {
    FILE *f;
    char *path, *buf;
    size_t cap;
};

int el_line_reader_open(el_line_reader **out, const char *path, el_error *err)
{
    *out = NULL;
    el_line_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->path = strdup(path))) {
        free(r);
        return EL_NOMEM(err);
    }
    int fd, rc = el_open_input(path, &fd, NULL, err);
    if (!rc && !(r->f = fdopen(fd, "rb"))) {
        rc = io_fail(err, path, "cannot open");
        close(fd);
    }
    if (rc) {
        el_line_reader_close(r);
        return rc;
    }
    *out = r;
    return EL_OK;
}

int el_line_reader_next(el_line_reader *r, const char **line, size_t *n, el_error *err)
{
    *line = NULL;
    *n = 0;
    ssize_t got = getline(&r->buf, &r->cap, r->f);
    if (got <= 0 || r->buf[got - 1] != '\n')
        return ferror(r->f) ? io_fail(err, r->path, "cannot read") : EL_OK;
    r->buf[--got] = '\0';
    *line = r->buf;
    *n = (size_t)got;
    return EL_OK;
}

void el_line_reader_close(el_line_reader *r)
{
    if (!r)
        return;
    if (r->f)
        fclose(r->f);
    free(r->path);
    free(r->buf);
    free(r);
}

int el_lines_each(const char *path, int (*fn)(void *ud, char *line, size_t n, int64_t lineno, el_error *err), void *ud,
                  el_error *err)
{
    el_line_reader *r;
    int rc = el_line_reader_open(&r, path, err);
    for (int64_t no = 1; !rc; no++) {
        const char *line;
        size_t n;
        rc = el_line_reader_next(r, &line, &n, err);
        if (rc || !line)
            break;
        rc = fn(ud, r->buf, n, no, err); /* the reader's own buffer: fn may edit it */
    }
    el_line_reader_close(r);
    return rc;
}

int el_dir_lock(const char *dir, int *fd, el_error *err)
{
    *fd = -1;
    char *p = el_path_join(dir, ".lock");
    if (!p)
        return EL_NOMEM(err);
    int f, rc = open_rw(p, &f, err);
    free(p);
    if (rc)
        return rc;
    if (flock(f, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(f);
        if (e == EWOULDBLOCK)
            return EL_FAIL(err, EL_EUSAGE, dir, -1, "another process is writing this folder");
        errno = e;
        return io_fail(err, dir, "cannot lock");
    }
    *fd = f;
    return EL_OK;
}

void el_dir_unlock(int fd)
{
    if (fd >= 0)
        close(fd);
}

int el_remove_stale_tmp(const char *dir, el_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return io_fail(err, dir, "cannot list");
    int rc = EL_OK;
    struct dirent *e;
    while (!rc && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (e->d_name[0] != '.' || n < 4 || strcmp(e->d_name + n - 4, ".tmp") != 0 || !strstr(e->d_name, ".edgelm-"))
            continue;
        char *p = el_path_join(dir, e->d_name);
        if (!p)
            rc = EL_NOMEM(err);
        else if (unlink(p) != 0 && errno != ENOENT)
            rc = io_fail(err, p, "cannot remove a stale temporary file");
        free(p);
    }
    closedir(d);
    return rc;
}
