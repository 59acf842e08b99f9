/*
 * tests/test_paths.c - what edgelm does with the paths it is given (issue 16, items 6-10):
 * inputs that are FIFOs, devices or folders are refused without blocking; an output that is a
 * FIFO, socket or device is refused and left as it was; an output that is one of the command's
 * inputs (same path, a hard link, a file inside the input folder) is refused and the input kept;
 * a replaced file keeps its permission bits; a symbolic link is written through; temporary files
 * of a killed writer are removed by the next writer of the same target, a live writer's are not.
 *
 * The oracle is the file system itself: stat(2) before and after, and the input's bytes.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include "tests/testutil.h"

/* A tiny model folder (synth) and its GGUF in a fresh folder; paths kept for the test. */
static const char *model(const char **dir)
{
    const char *d = KT("paths");
    tu_ok("synth", "--preset", "tiny", "-o", KF("%s/hf", d), NULL);
    tu_ok("convert", KF("%s/hf", d), "-o", KF("%s/m.gguf", d), NULL);
    *dir = d;
    return KF("%s/m.gguf", d);
}

/* edgelm with arguments under `timeout`: a run blocked on a FIFO is killed (exit 137) instead of
 * hanging the suite. */
static tu_run bounded(const char *first, ...)
{
    const char *argv[24] = {"timeout", "-s", "KILL", "20", tu_bin(), first};
    int n = 6;
    va_list ap;
    va_start(ap, first);
    for (const char *a; n < 23 && (a = va_arg(ap, const char *));)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    return tu_exec(argv, NULL, NULL);
}

static void refused(tu_run r, int status, const char *path, const char *phrase)
{
    cr_assert_eq(r.status, status, "exit %d, expected %d: %s", r.status, status, r.err);
    cr_assert(strstr(r.err, path) && strstr(r.err, phrase), "error names neither '%s' nor '%s': %s", path, phrase, r.err);
    cr_assert(strchr(r.err, '\n') == r.err + r.err_len - 1, "not one line: %s", r.err);
}

Test(paths, fifo_inputs_are_refused_without_blocking, .timeout = 60)
{
    const char *d;
    const char *m = model(&d);
    const char *f = KF("%s/fifo", d);
    cr_assert_eq(mkfifo(f, 0600), 0);
    /* before the fix each of these waited in open() for a writer that never comes */
    tu_run r = bounded("inspect", f, NULL);
    refused(r, 1, f, "FIFO");
    tu_run_free(&r);
    r = bounded("eval", "ppl", m, "-f", f, NULL);
    refused(r, 1, f, "FIFO");
    tu_run_free(&r);
    r = bounded("tokenize", m, "-f", f, NULL);
    refused(r, 1, f, "FIFO");
    tu_run_free(&r);
    /* a model folder whose config.json is a FIFO */
    const char *hf = KF("%s/hf", d), *cfg = KF("%s/hf/config.json", d);
    cr_assert_eq(unlink(cfg), 0);
    cr_assert_eq(mkfifo(cfg, 0600), 0);
    r = bounded("convert", hf, "-o", KF("%s/x.gguf", d), NULL);
    refused(r, 1, cfg, "FIFO");
    cr_assert(access(KF("%s/x.gguf", d), F_OK) != 0);
    tu_run_free(&r);
    /* a folder where a file belongs */
    r = bounded("eval", "ppl", m, "-f", d, NULL);
    cr_assert_eq(r.status, 1, "%s", r.err);
    tu_run_free(&r);
    tu_rmtree(d);
    tu_release();
}

Test(paths, special_output_targets_are_refused_and_kept, .timeout = 60)
{
    const char *d;
    const char *m = model(&d);
    /* a FIFO: rename(2) would have replaced it with a regular file */
    const char *f = KF("%s/out.fifo", d);
    cr_assert_eq(mkfifo(f, 0600), 0);
    tu_run r = tu_edgelm("quantize", m, f, "Q4_0", NULL);
    refused(r, 1, f, "FIFO");
    tu_run_free(&r);
    struct stat st;
    cr_assert(lstat(f, &st) == 0 && S_ISFIFO(st.st_mode), "the FIFO was replaced");
    /* a socket */
    const char *s = KF("%s/out.sock", d);
    int sfd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", s);
    cr_assert_eq(bind(sfd, (struct sockaddr *)&a, sizeof a), 0);
    r = tu_edgelm("convert", KF("%s/hf", d), "-o", s, NULL);
    refused(r, 1, s, "socket");
    tu_run_free(&r);
    cr_assert(lstat(s, &st) == 0 && S_ISSOCK(st.st_mode), "the socket was replaced");
    close(sfd);
    /* a character device of our own, a copy of /dev/full's node (root only: mknod) */
    if (geteuid() == 0) {
        const char *c = KF("%s/full", d);
        cr_assert_eq(mknod(c, S_IFCHR | 0666, makedev(1, 7)), 0);
        r = tu_edgelm("quantize", m, c, "Q4_0", NULL);
        refused(r, 1, c, "character device");
        tu_run_free(&r);
        cr_assert(lstat(c, &st) == 0 && S_ISCHR(st.st_mode), "the device node was replaced by a file");
        r = tu_edgelm("eval", "ppl", m, "-f", KF("%s/hf/sample.txt", d), "-c", "64", "--save-logits", c, NULL);
        refused(r, 1, c, "character device");
        tu_run_free(&r);
    } else {
        cr_log_warn("not root: the device case is skipped");
    }
    tu_rmtree(d);
    tu_release();
}

Test(paths, an_output_never_replaces_an_input, .timeout = 120)
{
    const char *d;
    const char *m = model(&d);
    size_t n0;
    uint8_t *before = tu_read(m, &n0);
    const char *hl = KF("%s/hardlink.gguf", d), *hf = KF("%s/hf", d);
    cr_assert_eq(link(m, hl), 0);
    const char *cfg = KF("%s/config.json", hf), *st = KF("%s/model.safetensors", hf);
    size_t nc, ns;
    uint8_t *cfg0 = tu_read(cfg, &nc), *st0 = tu_read(st, &ns);
    struct {
        const char *args[12];
        const char *target;
    } cases[] = {
        {{"quantize", m, m, "Q4_0"}, m},
        {{"quantize", m, hl, "Q8_0"}, hl},
        {{"convert", hf, "-o", cfg}, cfg},
        {{"convert", hf, "-o", st}, st},
        {{"quantize", hf, cfg, "Q8_0"}, cfg},
        {{"eval", "ppl", m, "-f", KF("%s/sample.txt", hf), "-c", "64", "--save-logits", m}, m},
        {{"imatrix", m, "-f", KF("%s/sample.txt", hf), "-c", "64", "-o", hl}, hl},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *argv[16] = {tu_bin()};
        int k = 1;
        for (int j = 0; cases[i].args[j]; j++)
            argv[k++] = cases[i].args[j];
        argv[k] = NULL;
        tu_run r = tu_exec(argv, NULL, NULL);
        refused(r, 2, cases[i].target, "one of this command's inputs");
        tu_run_free(&r);
    }
    size_t n1;
    uint8_t *after = tu_read(m, &n1);
    cr_assert(n0 == n1 && memcmp(before, after, n0) == 0, "the input model changed");
    free(after);
    after = tu_read(cfg, &n1);
    cr_assert(n1 == nc && memcmp(after, cfg0, nc) == 0, "config.json changed");
    free(after);
    after = tu_read(st, &n1);
    cr_assert(n1 == ns && memcmp(after, st0, ns) == 0, "model.safetensors changed");
    free(after);
    free(before);
    free(cfg0);
    free(st0);
    tu_rmtree(d);
    tu_release();
}

Test(paths, replaced_files_keep_their_mode_and_links_are_written_through, .timeout = 60)
{
    const char *d;
    const char *m = model(&d);
    static const mode_t modes[] = {0444, 0600, 0640, 0755};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        const char *t = KF("%s/q%zu.gguf", d, i);
        cr_assert(tu_write(t, "old", 3));
        cr_assert_eq(chmod(t, modes[i]), 0);
        tu_ok("quantize", m, t, "Q8_0", NULL);
        struct stat st;
        cr_assert_eq(stat(t, &st), 0);
        cr_assert_eq(st.st_mode & 07777, modes[i], "mode %o became %o", modes[i], st.st_mode & 07777);
        cr_assert(st.st_size > 1000);
    }
    /* a new file gets the usual 0666 & ~umask */
    mode_t um = umask(022);
    umask(um);
    tu_ok("quantize", m, KF("%s/new.gguf", d), "Q8_0", NULL);
    struct stat st;
    cr_assert_eq(stat(KF("%s/new.gguf", d), &st), 0);
    cr_assert_eq(st.st_mode & 07777, 0666 & ~um);

    /* a symbolic link, into another folder: the file it points to gets the bytes, the link stays */
    const char *sub = KF("%s/sub", d), *real = KF("%s/sub/real.gguf", d), *ln = KF("%s/link.gguf", d);
    cr_assert_eq(mkdir(sub, 0755), 0);
    cr_assert(tu_write(real, "old", 3));
    cr_assert_eq(symlink("sub/real.gguf", ln), 0);
    tu_ok("quantize", m, ln, "Q8_0", NULL);
    cr_assert(lstat(ln, &st) == 0 && S_ISLNK(st.st_mode), "the link was replaced by a file");
    cr_assert(tu_files_equal(real, KF("%s/new.gguf", d)), "the link's target does not hold the output");
    /* a dangling link is refused */
    const char *dl = KF("%s/dangling.gguf", d);
    cr_assert_eq(symlink("nowhere/x.gguf", dl), 0);
    tu_run r = tu_edgelm("quantize", m, dl, "Q8_0", NULL);
    refused(r, 1, dl, "symbolic link");
    tu_run_free(&r);
    tu_rmtree(d);
    tu_release();
}

Test(paths, stale_temporary_files_are_removed, .timeout = 60)
{
    const char *d;
    const char *m = model(&d);
    /* what kill -9 leaves (pids that are gone, or reused: only the missing lock counts) */
    const char *stale1 = KF("%s/.q.gguf.edgelm-999999-0.tmp", d), *stale2 = KF("%s/.q.gguf.edgelm-1-7.tmp", d);
    const char *other = KF("%s/.other.gguf.edgelm-999999-0.tmp", d), *live = KF("%s/.q.gguf.edgelm-2-0.tmp", d);
    const char *odd = KF("%s/.q.gguf.edgelm-999999-0.tmpx", d);
    const char *all[] = {stale1, stale2, other, live, odd};
    for (size_t i = 0; i < 5; i++)
        cr_assert(tu_write(all[i], "x", 1));
    /* a writer still at work holds a lock on its temporary file */
    int lfd = open(live, O_RDONLY);
    cr_assert(lfd >= 0 && flock(lfd, LOCK_EX | LOCK_NB) == 0);
    pid_t kid = fork();
    if (kid == 0) { /* the lock must be another process's: hold it in a child */
        pause();
        _exit(0);
    }
    close(lfd);
    tu_ok("quantize", m, KF("%s/q.gguf", d), "Q8_0", NULL);
    cr_assert(access(stale1, F_OK) != 0 && access(stale2, F_OK) != 0, "stale temporary files remain");
    cr_assert(access(other, F_OK) == 0, "another target's temporary file was removed");
    cr_assert(access(odd, F_OK) == 0, "a file not named as ours was removed");
    cr_assert(access(live, F_OK) == 0, "a live writer's temporary file was removed");
    kill(kid, SIGKILL);
    tu_rmtree(d);
    tu_release();
}
