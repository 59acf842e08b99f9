/*
 * datasets/source.c - plain, .gz and archive-member inputs (see source.h).
 */
#include "datasets/source.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "core/file.h"

/*
 * A growing buffer with the cap checked on every append. With want > 0 it holds at most want bytes:
 * what goes past is dropped and `cut` set, and the readers stop inflating.
 */
typedef struct {
    char *p;
    uint64_t n, cap, max, want;
    bool cut;
} grow;

static int grow_add(grow *g, const void *data, uint64_t n, const char *path, el_error *err)
{
    if (g->want && g->n + n > g->want) {
        n = g->want - g->n;
        g->cut = true;
    }
    if (g->n + n > g->max)
        return EL_FAIL(err, EL_ERANGE, path, -1, "expands to more than %llu bytes (the cap for a dataset)",
                       (unsigned long long)g->max);
    if (g->n + n + 1 > g->cap) {
        uint64_t cap = g->cap ? g->cap : 1 << 16;
        while (cap < g->n + n + 1)
            cap *= 2;
        char *q = realloc(g->p, (size_t)cap);
        if (!q)
            return EL_NOMEM(err);
        g->p = q;
        g->cap = cap;
    }
    memcpy(g->p + g->n, data, (size_t)n);
    g->n += n;
    g->p[g->n] = '\0';
    return EL_OK;
}

/* A gzip file (members concatenated, as gzip itself allows), from its magic bytes. */
static int read_gz(const char *path, int fd, grow *g, el_error *err)
{
    gzFile z = gzdopen(fd, "rb");
    if (!z) {
        close(fd);
        return EL_NOMEM(err);
    }
    char buf[1 << 16];
    int rc = EL_OK, n = 0;
    while (!rc && !g->cut && (n = gzread(z, buf, sizeof buf)) > 0)
        rc = grow_add(g, buf, (uint64_t)n, path, err);
    if (!rc && !g->cut) {
        int zerr;
        const char *msg = gzerror(z, &zerr);
        if (n < 0 || (zerr != Z_OK && zerr != Z_BUF_ERROR))
            rc = EL_FAIL(err, EL_EFORMAT, path, -1, "broken gzip stream: %s", msg);
        else if (!gzeof(z) || zerr == Z_BUF_ERROR) /* zlib's word for a stream cut short */
            rc = EL_FAIL(err, EL_ETRUNC, path, -1, "gzip stream ends early (truncated file?)");
    }
    gzclose(z);
    return rc;
}

/* The member `member` of the archive at path. */
static int read_member(const char *path, const char *member, grow *g, el_error *err)
{
    int fd;
    int rc = el_open_input(path, &fd, NULL, err);
    if (rc)
        return rc;
    struct archive *a = archive_read_new();
    if (!a) {
        close(fd);
        return EL_NOMEM(err);
    }
    archive_read_support_filter_all(a);
    archive_read_support_format_tar(a);
    archive_read_support_format_zip(a);
    if (archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK) {
        rc = EL_FAIL(err, EL_EFORMAT, path, -1, "not a readable .tar, .tar.gz or .zip archive: %s", archive_error_string(a));
        goto out;
    }
    struct archive_entry *e;
    bool found = false;
    int r;
    while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        const char *name = archive_entry_pathname(e);
        if (!name || strcmp(name, member) != 0 || archive_entry_filetype(e) != AE_IFREG)
            continue;
        found = true;
        char buf[1 << 16];
        la_ssize_t n = 0;
        while (!rc && !g->cut && (n = archive_read_data(a, buf, sizeof buf)) > 0)
            rc = grow_add(g, buf, (uint64_t)n, path, err);
        if (!rc && !g->cut && n < 0)
            rc = EL_FAIL(err, EL_EFORMAT, path, -1, "member '%s' is broken: %s", member, archive_error_string(a));
        break;
    }
    if (!rc && !found)
        rc = r == ARCHIVE_EOF ? EL_FAIL(err, EL_EMISSING, path, -1, "no member '%s' in this archive", member)
                              : EL_FAIL(err, EL_EFORMAT, path, -1, "broken archive: %s", archive_error_string(a));
out:
    archive_read_free(a);
    close(fd);
    return rc;
}

int el_ds_spec_file(const char *spec, char **path, const char **member, el_error *err)
{
    *path = NULL;
    if (member)
        *member = NULL;
    if (el_path_exists(spec))
        return (*path = strdup(spec)) ? EL_OK : EL_NOMEM(err);
    for (const char *c = strchr(spec, ':'); c; c = strchr(c + 1, ':')) {
        char *p = strndup(spec, (size_t)(c - spec));
        if (!p)
            return EL_NOMEM(err);
        if (el_path_exists(p) && !el_path_is_dir(p)) {
            *path = p;
            if (member)
                *member = c + 1;
            return EL_OK;
        }
        free(p);
    }
    return EL_FAIL(err, EL_ENOENT, spec, -1, "no such file");
}

/* A plain file's first g->want bytes. */
static int read_plain_prefix(const char *path, int fd, grow *g, el_error *err)
{
    char buf[1 << 16];
    int rc = EL_OK;
    while (!rc && !g->cut) {
        const ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            rc = EL_FAIL(err, EL_EIO, path, -1, "cannot read: %s", strerror(errno));
        if (n <= 0)
            break;
        rc = grow_add(g, buf, (uint64_t)n, path, err);
    }
    close(fd);
    return rc;
}

int el_ds_read(const char *spec, uint64_t max_size, char **out, uint64_t *size, el_error *err)
{
    bool whole;
    return el_ds_read_prefix(spec, max_size, 0, out, size, &whole, err);
}

int el_ds_read_prefix(const char *spec, uint64_t max_size, uint64_t want, char **out, uint64_t *size, bool *whole,
                      el_error *err)
{
    *out = NULL;
    *size = 0;
    *whole = false;
    grow g = {NULL, 0, 0, max_size ? max_size : EL_DS_MAX_SIZE, want, false};
    int rc;
    if (el_path_is_dir(spec))
        return EL_FAIL(err, EL_EFORMAT, spec, -1, "a folder, not a dataset file");
    if (el_path_exists(spec)) {
        int fd;
        unsigned char m[2] = {0, 0};
        rc = el_open_input(spec, &fd, NULL, err);
        if (!rc && pread(fd, m, 2, 0) == 2 && m[0] == 0x1f && m[1] == 0x8b) {
            rc = read_gz(spec, fd, &g, err);
        } else if (!rc && want) {
            rc = read_plain_prefix(spec, fd, &g, err);
        } else if (!rc) {
            close(fd);
            char *data;
            uint64_t n;
            rc = el_read_file(spec, g.max, &data, &n, err);
            if (!rc) {
                *out = data;
                *size = n;
                *whole = true;
                return EL_OK;
            }
        }
    } else {
        char *path;
        const char *member;
        rc = el_ds_spec_file(spec, &path, &member, err);
        if (!rc)
            rc = read_member(path, member, &g, err);
        free(path);
    }
    if (rc) {
        free(g.p);
        return rc;
    }
    if (!g.p && (rc = grow_add(&g, "", 0, spec, err)))
        return rc;
    *out = g.p;
    *size = g.n;
    *whole = !g.cut;
    return EL_OK;
}
