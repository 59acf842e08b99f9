/*
 * core/atomic.c - temporary file + rename, with cleanup on signals.
 *
 * Layout of this file:
 *   1. the cleanup registry (the one piece of process-wide state in edgelm)
 *   2. the writer: open, buffered write, commit, abort
 *
 * Why a global registry: a signal handler receives no context pointer, so the
 * only way to remove live temporary files on SIGINT/SIGTERM is a process-wide
 * table, the same choice as git's tempfile.c. It holds only paths of files
 * being written, uses async-signal-safe operations only (unlink, raise), and
 * is touched by the writer, nothing else.
 */
#include "core/atomic.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/file.h"
#include "core/util.h"

/* ---- 1. cleanup registry ------------------------------------------------ */

#define EL_MAX_LIVE 64
#define EL_TMP_PATH_MAX 4096

static struct {
    atomic_int used;                /* 1 while path[] names a live temp file */
    char path[EL_TMP_PATH_MAX];
} live[EL_MAX_LIVE];
static atomic_int handlers_installed;

static void remove_live_files(void)
{
    for (int i = 0; i < EL_MAX_LIVE; i++)
        if (atomic_load(&live[i].used))
            unlink(live[i].path);
}

static void on_fatal_signal(int sig)
{
    remove_live_files();
    /* Die of the same signal, so the parent sees the true cause (exit 130 etc.). */
    signal(sig, SIG_DFL);
    raise(sig);
}

static void install_handlers(void)
{
    int expected = 0;
    if (!atomic_compare_exchange_strong(&handlers_installed, &expected, 1))
        return;
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
    for (size_t i = 0; i < EL_ARRAY_LEN(sigs); i++) {
        struct sigaction sa, old;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_fatal_signal;
        sigemptyset(&sa.sa_mask);
        /* Respect a signal the parent asked us to ignore (nohup). */
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
            continue;
        sigaction(sigs[i], &sa, NULL);
    }
    atexit(remove_live_files);
}

static int register_live(const char *path)
{
    install_handlers();
    for (int i = 0; i < EL_MAX_LIVE; i++) {
        int expected = 0;
        /* Claim with 2 ("being filled") so the handler skips a half-written path. */
        if (atomic_compare_exchange_strong(&live[i].used, &expected, 2)) {
            snprintf(live[i].path, sizeof live[i].path, "%s", path);
            atomic_store(&live[i].used, 1);
            return i;
        }
    }
    return -1;
}

static void unregister_live(int slot)
{
    if (slot >= 0)
        atomic_store(&live[slot].used, 0);
}

int el_out_live_count(void)
{
    int n = 0;
    for (int i = 0; i < EL_MAX_LIVE; i++)
        n += atomic_load(&live[i].used) != 0;
    return n;
}

/* ---- 2. the writer ------------------------------------------------------ */

static ssize_t sys_write(int fd, const void *buf, size_t n) { return write(fd, buf, n); }
static int sys_fsync(int fd) { return fsync(fd); }
static int sys_rename(const char *a, const char *b) { return rename(a, b); }
static int sys_writeback(int fd, uint64_t off, uint64_t len)
{
#ifdef __linux__
    return sync_file_range(fd, (off64_t)off, (off64_t)len, SYNC_FILE_RANGE_WRITE);
#else
    (void)fd;
    (void)off;
    (void)len;
    return 0;
#endif
}

const el_sys el_sys_default = {sys_write, sys_fsync, sys_rename, sys_writeback};

#define EL_WRITEBACK_STEP (8u << 20) /* start writeback every 8 MiB */

#define EL_OUT_BUF (1u << 20)

struct el_out {
    int fd;                /* temp file descriptor, -1 once closed */
    int lock_fd;           /* a second descriptor of it holding an flock until renamed or removed, or -1 */
    int slot;              /* registry slot, -1 if none */
    int tmp_exists;        /* the temporary file is on disk and ours to remove */
    const el_sys *sys;     /* system calls (real or injected) */
    char *path;            /* final path as the caller named it (messages) */
    char *real;            /* the file the rename replaces: path with symbolic links resolved */
    char *tmp;             /* temporary path in the same folder as real */
    uint64_t written;      /* bytes accepted so far (buffered included) */
    uint64_t on_disk;      /* bytes handed to write(2) */
    uint64_t wb_done;      /* writeback started up to here */
    size_t nbuf;           /* bytes pending in buf */
    uint8_t *buf;          /* EL_OUT_BUF bytes */
};

int el_out_open(el_out **out, const char *path, el_error *err)
{
    return el_out_open_sys(out, path, &el_sys_default, err);
}

static char *dir_of(const char *path)
{
    const char *s = strrchr(path, '/');
    if (!s)
        return strdup(".");
    if (s == path)
        return strdup("/");
    return strndup(path, (size_t)(s - path));
}

/*
 * What the target may be: missing, or a regular file that is not one of this process's inputs.
 * A FIFO, socket or device is refused (renaming over /dev/full would replace the device node
 * with a file, as root), and so is a folder.
 */
static int check_target(const char *path, const char *real, el_error *err)
{
    struct stat st;
    if (stat(real, &st) != 0)
        return EL_OK;
    if (S_ISDIR(st.st_mode))
        return EL_FAIL(err, EL_EFTYPE, path, -1, "output path is a folder");
    if (!S_ISREG(st.st_mode))
        return EL_FAIL(err, EL_EFTYPE, path, -1,
                       "output path is %s; edgelm writes regular files only (through a temporary file renamed over the target)",
                       S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISSOCK(st.st_mode) ? "a socket"
                       : S_ISCHR(st.st_mode) ? "a character device" : S_ISBLK(st.st_mode) ? "a block device" : "not a regular file");
    if (el_is_input(real))
        return EL_FAIL(err, EL_ESAMEFILE, path, -1, "is one of this command's inputs; write the output to another file");
    return EL_OK;
}

/*
 * The file a write to `path` must replace: `path` itself, or, for a symbolic link, the file it
 * points to (written through, the link kept). A dangling link is refused. Heap string or NULL
 * with err set.
 */
static char *resolve_target(const char *path, el_error *err)
{
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISLNK(st.st_mode)) {
        char *p = strdup(path);
        if (!p)
            EL_NOMEM(err);
        return p;
    }
    char *real = realpath(path, NULL);
    if (!real) {
        int e = errno;
        if (e == ENOMEM)
            EL_NOMEM(err);
        else
            EL_FAIL(err, el_code_from_errno(e), path, -1, "output path is a symbolic link that cannot be followed: %s",
                    strerror(e));
    }
    return real;
}

/*
 * Remove the temporary files of `real` that a killed writer left: ".NAME.edgelm-PID-N.tmp" in
 * its folder that no process holds a lock on (a live writer keeps an flock on its temporary file
 * until it commits or aborts; the lock dies with the process, so this holds across PID
 * namespaces, where a PID says nothing). Best effort: a file we cannot open or lock is left.
 */
static void remove_stale(const char *real)
{
    char *dir = dir_of(real);
    if (!dir)
        return;
    const char *base = el_basename(real);
    size_t nb = strlen(base);
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        const char *n = e->d_name;
        long pid;
        int k, used = 0;
        if (n[0] != '.' || strncmp(n + 1, base, nb) != 0 ||
            sscanf(n + 1 + nb, ".edgelm-%ld-%d.tmp%n", &pid, &k, &used) != 2 || n[1 + nb + used] != '\0')
            continue;
        char *p = el_path_join(dir, n);
        int fd = p ? open(p, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY) : -1;
        struct stat st;
        if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && flock(fd, LOCK_EX | LOCK_NB) == 0)
            unlink(p);
        if (fd >= 0)
            close(fd);
        free(p);
    }
    if (d)
        closedir(d);
    free(dir);
}

int el_out_open_sys(el_out **out, const char *path, const el_sys *sys, el_error *err)
{
    *out = NULL;
    char *real = resolve_target(path, err);
    if (!real)
        return err ? err->code : EL_ENOMEM;
    int rc = check_target(path, real, err);
    char *dir = rc ? NULL : dir_of(real);
    struct stat st;
    if (!rc && !dir)
        rc = EL_NOMEM(err);
    if (!rc && (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)))
        rc = EL_FAIL(err, EL_ENOENT, path, -1, "output folder '%s' does not exist", dir);
    free(dir);
    if (rc) {
        free(real);
        return rc;
    }
    remove_stale(real);

    el_out *o = calloc(1, sizeof *o);
    if (!o) {
        free(real);
        return EL_NOMEM(err);
    }
    o->fd = o->lock_fd = -1;
    o->slot = -1;
    o->sys = sys;
    o->real = real;
    o->path = strdup(path);
    o->buf = malloc(EL_OUT_BUF);
    size_t tmplen = strlen(real) + 64;
    o->tmp = malloc(tmplen);
    if (!o->path || !o->buf || !o->tmp) {
        el_out_abort(o);
        return EL_NOMEM(err);
    }
    /* ".NAME.edgelm-PID-N.tmp" beside the target: same filesystem, so rename is atomic. */
    const char *base = strrchr(real, '/');
    size_t dirlen = base ? (size_t)(base - real + 1) : 0;
    base = base ? base + 1 : real;
    for (int attempt = 0; attempt < 1000; attempt++) {
        snprintf(o->tmp, tmplen, "%.*s.%s.edgelm-%ld-%d.tmp", (int)dirlen, real, base, (long)getpid(), attempt);
        o->fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (o->fd >= 0 || errno != EEXIST)
            break;
    }
    if (o->fd < 0) {
        int e = errno;
        rc = EL_FAIL(err, el_code_from_errno(e), path, -1, "cannot create temporary file: %s", strerror(e));
        el_out_abort(o);
        return rc;
    }
    o->tmp_exists = 1;
    o->slot = register_live(o->tmp);
    /* the mark of a live writer (see remove_stale), kept past the close that comes before the rename;
     * where flock is not supported nothing is marked and no temporary file is ever taken for stale */
    o->lock_fd = open(o->tmp, O_RDONLY | O_CLOEXEC);
    if (o->lock_fd >= 0 && flock(o->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        close(o->lock_fd);
        o->lock_fd = -1;
    }
    *out = o;
    return EL_OK;
}

static int write_all(el_out *o, const uint8_t *p, size_t n, el_error *err)
{
    o->on_disk += n;
    while (n > 0) {
        ssize_t w = o->sys->write(o->fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = w < 0 ? errno : ENOSPC;
            return EL_FAIL(err, el_code_from_errno(e), o->path, -1, "write failed: %s", strerror(e));
        }
        p += w;
        n -= (size_t)w;
    }
    /* a failure to start writeback only costs time at fsync: ignored */
    if (o->sys->start_writeback && o->on_disk - o->wb_done >= EL_WRITEBACK_STEP) {
        o->sys->start_writeback(o->fd, o->wb_done, o->on_disk - o->wb_done);
        o->wb_done = o->on_disk;
    }
    return EL_OK;
}

static int flush_buf(el_out *o, el_error *err)
{
    if (o->nbuf == 0)
        return EL_OK;
    int rc = write_all(o, o->buf, o->nbuf, err);
    o->nbuf = 0;
    return rc;
}

int el_out_write(el_out *o, const void *data, uint64_t n, el_error *err)
{
    const uint8_t *p = data;
    if (o->fd < 0)
        return EL_FAIL(err, EL_EINTERNAL, o->path, -1, "write after close");
    /* Large writes bypass the buffer: tensor data is streamed straight through. */
    if (n >= EL_OUT_BUF) {
        int rc = flush_buf(o, err);
        if (rc)
            return rc;
        while (n > 0) {
            size_t chunk = n > (1u << 30) ? (1u << 30) : (size_t)n;
            rc = write_all(o, p, chunk, err);
            if (rc)
                return rc;
            p += chunk;
            n -= chunk;
            o->written += chunk;
        }
        return EL_OK;
    }
    while (n > 0) {
        size_t room = EL_OUT_BUF - o->nbuf;
        size_t take = n < room ? (size_t)n : room;
        memcpy(o->buf + o->nbuf, p, take);
        o->nbuf += take;
        p += take;
        n -= take;
        o->written += take;
        if (o->nbuf == EL_OUT_BUF) {
            int rc = flush_buf(o, err);
            if (rc)
                return rc;
        }
    }
    return EL_OK;
}

int el_out_zeros(el_out *o, uint64_t n, el_error *err)
{
    static const uint8_t zero[4096];
    while (n > 0) {
        uint64_t take = n < sizeof zero ? n : sizeof zero;
        int rc = el_out_write(o, zero, take, err);
        if (rc)
            return rc;
        n -= take;
    }
    return EL_OK;
}

uint64_t el_out_tell(const el_out *o) { return o->written; }
const char *el_out_path(const el_out *o) { return o->path; }

/*
 * Just before the rename: the target is checked again (an input read after the writer was opened,
 * a FIFO put there meanwhile), and a file being replaced passes its permission bits (and, for
 * root, its owner) to the new one, so a 0444 or 0600 file does not come back 0644.
 */
static int prepare_replace(el_out *o, el_error *err)
{
    int rc = check_target(o->path, o->real, err);
    struct stat st;
    if (rc || stat(o->real, &st) != 0)
        return rc;
    if (fchmod(o->fd, st.st_mode & 07777) != 0) {
        int e = errno;
        return EL_FAIL(err, el_code_from_errno(e), o->path, -1, "cannot set the permissions of the new file: %s",
                       strerror(e));
    }
    if (geteuid() == 0)
        (void)fchown(o->fd, st.st_uid, st.st_gid);
    return EL_OK;
}

int el_out_commit(el_out *o, el_error *err)
{
    int rc = flush_buf(o, err);
    if (!rc)
        rc = prepare_replace(o, err);
    if (!rc && o->sys->fsync(o->fd) != 0) {
        int e = errno;
        rc = EL_FAIL(err, el_code_from_errno(e), o->path, -1, "fsync failed: %s", strerror(e));
    }
    if (!rc) {
        int fd = o->fd;
        o->fd = -1;
        if (close(fd) != 0) {
            int e = errno;
            rc = EL_FAIL(err, el_code_from_errno(e), o->path, -1, "close failed: %s", strerror(e));
        }
    }
    if (!rc && o->sys->rename(o->tmp, o->real) != 0) {
        int e = errno;
        rc = EL_FAIL(err, el_code_from_errno(e), o->path, -1, "cannot rename temporary file into place: %s",
                     strerror(e));
    }
    if (rc) {
        el_out_abort(o);
        return rc;
    }
    o->tmp_exists = 0;
    /* The rename is durable only once the folder is synced. */
    char *dir = dir_of(o->real);
    if (dir) {
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            (void)o->sys->fsync(dfd);
            close(dfd);
        }
        free(dir);
    }
    /* closed and renamed (fd -1, no temporary file): what abort has left to do is release the writer */
    el_out_abort(o);
    return EL_OK;
}

void el_out_abort(el_out *o)
{
    if (!o)
        return;
    if (o->fd >= 0)
        close(o->fd);
    if (o->tmp_exists)
        unlink(o->tmp);
    if (o->lock_fd >= 0)
        close(o->lock_fd);
    unregister_live(o->slot);
    free(o->tmp);
    free(o->path);
    free(o->real);
    free(o->buf);
    free(o);
}

/* ---- whole files ---- */

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
