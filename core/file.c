/*
 * core/file.c - memory maps, small whole-file reads and path helpers.
 */
#include "core/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/atomic.h"

int el_map_open(el_map *m, const char *path, el_error *err)
{
    memset(m, 0, sizeof *m);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return EL_FAIL(err, el_code_from_errno(errno), path, -1, "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return EL_FAIL(err, el_code_from_errno(e), path, -1, "cannot stat: %s", strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return EL_FAIL(err, EL_EFORMAT, path, -1, "is a directory, expected a file");
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return EL_FAIL(err, EL_EFORMAT, path, -1, "not a regular file");
    }
    m->path = strdup(path);
    if (!m->path) {
        close(fd);
        return EL_NOMEM(err);
    }
    m->size = (uint64_t)st.st_size;
    if (m->size > 0) {
        if (m->size > (uint64_t)SIZE_MAX) {
            close(fd);
            free(m->path);
            m->path = NULL;
            return EL_FAIL(err, EL_ERANGE, path, -1, "file too large to map");
        }
        void *p = mmap(NULL, (size_t)m->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            int e = errno;
            close(fd);
            free(m->path);
            memset(m, 0, sizeof *m);
            return EL_FAIL(err, el_code_from_errno(e), path, -1, "cannot map: %s", strerror(e));
        }
        m->data = p;
    }
    close(fd); /* the mapping keeps the file open */
    return EL_OK;
}

void el_map_close(el_map *m)
{
    if (!m)
        return;
    if (m->data)
        munmap((void *)m->data, (size_t)m->size);
    free(m->path);
    memset(m, 0, sizeof *m);
}

void el_map_advise(const el_map *m, uint64_t off, uint64_t len, int advice)
{
    if (!m || !m->data || off >= m->size)
        return;
    if (len > m->size - off)
        len = m->size - off;
    /* madvise wants a page-aligned start. */
    long page = sysconf(_SC_PAGESIZE);
    uint64_t start = off & ~((uint64_t)page - 1);
    len += off - start;
    int adv = MADV_NORMAL;
    switch (advice) {
    case EL_ADVISE_SEQUENTIAL: adv = MADV_SEQUENTIAL; break;
    case EL_ADVISE_RANDOM: adv = MADV_RANDOM; break;
    case EL_ADVISE_WILLNEED: adv = MADV_WILLNEED; break;
    case EL_ADVISE_DONTNEED: adv = MADV_DONTNEED; break;
    }
    (void)madvise((void *)(m->data + start), (size_t)len, adv);
}

int el_read_file(const char *path, uint64_t max_size, char **out, uint64_t *size, el_error *err)
{
    *out = NULL;
    if (size)
        *size = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return EL_FAIL(err, el_code_from_errno(errno), path, -1, "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return EL_FAIL(err, EL_EFORMAT, path, -1, "not a regular file");
    }
    if ((uint64_t)st.st_size > max_size) {
        close(fd);
        return EL_FAIL(err, EL_ERANGE, path, -1, "file is %lld bytes, more than the %llu allowed here",
                       (long long)st.st_size, (unsigned long long)max_size);
    }
    size_t n = (size_t)st.st_size;
    char *buf = malloc(n + 1);
    if (!buf) {
        close(fd);
        return EL_NOMEM(err);
    }
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            int e = errno;
            free(buf);
            close(fd);
            if (r == 0)
                return EL_FAIL(err, EL_ETRUNC, path, (int64_t)got, "file shrank while being read");
            return EL_FAIL(err, el_code_from_errno(e), path, (int64_t)got, "read failed: %s", strerror(e));
        }
        got += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    *out = buf;
    if (size)
        *size = n;
    return EL_OK;
}

int el_write_file(const char *path, const void *data, uint64_t size, el_error *err)
{
    el_out *o = NULL;
    int rc = el_out_open(&o, path, err);
    if (rc)
        return rc;
    rc = el_out_write(o, data, size, err);
    if (rc) {
        el_out_abort(o);
        return rc;
    }
    return el_out_commit(o, err);
}

int el_copy_file(const char *src, const char *dst, el_error *err)
{
    el_map m;
    int rc = el_map_open(&m, src, err);
    if (rc)
        return rc;
    rc = el_write_file(dst, m.data, m.size, err);
    el_map_close(&m);
    return rc;
}

bool el_path_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

bool el_path_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int64_t el_file_size(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    return (int64_t)st.st_size;
}

char *el_path_join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    bool slash = a > 0 && dir[a - 1] != '/';
    char *s = malloc(a + b + 2);
    if (!s)
        return NULL;
    memcpy(s, dir, a);
    if (slash)
        s[a++] = '/';
    memcpy(s + a, name, b + 1);
    return s;
}

int el_mkdir_p(const char *path, el_error *err)
{
    char *tmp = strdup(path);
    if (!tmp)
        return EL_NOMEM(err);
    for (char *p = tmp + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(tmp, 0777) != 0 && errno != EEXIST) {
                int e = errno;
                int rc = EL_FAIL(err, el_code_from_errno(e), tmp, -1, "cannot create directory: %s", strerror(e));
                free(tmp);
                return rc;
            }
            *p = c;
            if (c == '\0')
                break;
        }
    }
    free(tmp);
    if (!el_path_is_dir(path))
        return EL_FAIL(err, EL_EFORMAT, path, -1, "exists and is not a directory");
    return EL_OK;
}

const char *el_basename(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}
