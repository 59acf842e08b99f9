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

#include <pthread.h>


/* ---- the inputs of this process ------------------------------------------
 *
 * Process-wide by necessity, like core/atomic.c's registry of temporary files:
 * a file is read deep inside a reader (a shard named by an index, the
 * config.json of a folder) and replaced, maybe much later, by a writer that
 * knows nothing of it, and the promise is about the process ("no command
 * replaces its own input"). It holds (device, inode) pairs only, behind a
 * mutex; nothing reads it but el_is_input.
 */

typedef struct { dev_t dev; ino_t ino; } file_id;

static struct {
    pthread_mutex_t lock;
    file_id *ids;   /* n used of cap */
    size_t n, cap;
} inputs = {PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0};

/* Record one input; false on OOM (the caller fails: an unrecorded input could be overwritten). */
static bool remember_input(const struct stat *st)
{
    bool ok = true;
    pthread_mutex_lock(&inputs.lock);
    size_t i = 0;
    while (i < inputs.n && !(inputs.ids[i].dev == st->st_dev && inputs.ids[i].ino == st->st_ino))
        i++;
    if (i == inputs.n) {
        if (inputs.n == inputs.cap) {
            size_t cap = inputs.cap ? inputs.cap * 2 : 16;
            file_id *q = realloc(inputs.ids, cap * sizeof *q);
            if (q) {
                inputs.ids = q;
                inputs.cap = cap;
            }
        }
        if (inputs.n < inputs.cap)
            inputs.ids[inputs.n++] = (file_id){st->st_dev, st->st_ino};
        else
            ok = false;
    }
    pthread_mutex_unlock(&inputs.lock);
    return ok;
}

bool el_is_input(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return false;
    bool hit = false;
    pthread_mutex_lock(&inputs.lock);
    for (size_t i = 0; i < inputs.n && !hit; i++)
        hit = inputs.ids[i].dev == st.st_dev && inputs.ids[i].ino == st.st_ino;
    pthread_mutex_unlock(&inputs.lock);
    return hit;
}

void el_input_forget(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return;
    pthread_mutex_lock(&inputs.lock);
    for (size_t i = 0; i < inputs.n; i++)
        if (inputs.ids[i].dev == st.st_dev && inputs.ids[i].ino == st.st_ino)
            inputs.ids[i] = inputs.ids[--inputs.n];
    pthread_mutex_unlock(&inputs.lock);
}

/* ---- opening an input ---------------------------------------------------- */

/* What a non-regular file is, for messages. */
static const char *kind_of(mode_t m)
{
    if (S_ISDIR(m))
        return "a folder";
    if (S_ISFIFO(m))
        return "a FIFO (named pipe)";
    if (S_ISSOCK(m))
        return "a socket";
    if (S_ISCHR(m))
        return "a character device";
    if (S_ISBLK(m))
        return "a block device";
    return "not a regular file";
}

int el_open_input(const char *path, int *fd, uint64_t *size, el_error *err)
{
    *fd = -1;
    if (size)
        *size = 0;
    struct stat st;
    if (stat(path, &st) != 0) {
        int e = errno;
        return EL_FAIL(err, el_code_from_errno(e), path, -1, "cannot open: %s", strerror(e));
    }
    if (!S_ISREG(st.st_mode))
        return EL_FAIL(err, EL_EFTYPE, path, -1, "is %s, expected a regular file", kind_of(st.st_mode));
    /* O_NONBLOCK: should the path have become a FIFO since the stat, open() still returns */
    int f = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (f < 0) {
        int e = errno;
        return EL_FAIL(err, el_code_from_errno(e), path, -1, "cannot open: %s", strerror(e));
    }
    int fl;
    if (fstat(f, &st) != 0 || !S_ISREG(st.st_mode) || (fl = fcntl(f, F_GETFL)) < 0 ||
        fcntl(f, F_SETFL, fl & ~O_NONBLOCK) != 0) {
        close(f);
        return EL_FAIL(err, EL_EFTYPE, path, -1, "is no longer a regular file");
    }
    if (!remember_input(&st)) {
        close(f);
        return EL_NOMEM(err);
    }
    *fd = f;
    if (size)
        *size = (uint64_t)st.st_size;
    return EL_OK;
}

/* ---- maps and whole files ------------------------------------------------ */

int el_map_open(el_map *m, const char *path, el_error *err)
{
    memset(m, 0, sizeof *m);
    int fd;
    uint64_t size;
    int rc = el_open_input(path, &fd, &size, err);
    if (rc)
        return rc;
    m->path = strdup(path);
    if (!m->path) {
        close(fd);
        return EL_NOMEM(err);
    }
    m->size = size;
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
    int fd;
    uint64_t fsize;
    int rc = el_open_input(path, &fd, &fsize, err);
    if (rc)
        return rc;
    if (fsize > max_size || fsize >= SIZE_MAX) {
        close(fd);
        return EL_FAIL(err, EL_ERANGE, path, -1, "file is %llu bytes, more than the %llu allowed here",
                       (unsigned long long)fsize, (unsigned long long)max_size);
    }
    size_t n = (size_t)fsize;
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
