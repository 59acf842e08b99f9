/*
 * tests/test_core.c - core/: float conversions (against numpy, see
 * tests/oracle/half_golden.py), errors, the atomic writer (failures injected
 * through el_sys, signals), the string map, file helpers.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <dirent.h>

#include "core/atomic.h"
#include "core/error.h"
#include "core/file.h"
#include "core/half.h"
#include "core/strmap.h"
#include "tests/golden/half_cases.h"
#include "tests/testutil.h"

Test(half, f32_to_f16_matches_numpy)
{
    size_t n = sizeof half_cases / sizeof half_cases[0];
    for (size_t i = 0; i < n; i++) {
        float x = el_bits_f32(half_cases[i].f32);
        uint16_t h = el_f32_to_f16(x);
        if (half_cases[i].f16_nan)
            cr_assert((h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0, "NaN %08x -> %04x", half_cases[i].f32, h);
        else
            cr_assert_eq(h, half_cases[i].f16, "f32 %08x: got %04x, numpy %04x", half_cases[i].f32, h, half_cases[i].f16);
    }
}

Test(half, f32_to_bf16_round_to_nearest_even)
{
    size_t n = sizeof half_cases / sizeof half_cases[0];
    for (size_t i = 0; i < n; i++) {
        float x = el_bits_f32(half_cases[i].f32);
        uint16_t b = el_f32_to_bf16(x);
        if (half_cases[i].bf16_nan)
            cr_assert((b & 0x7f80) == 0x7f80 && (b & 0x7f) != 0, "NaN must stay NaN");
        else
            cr_assert_eq(b, half_cases[i].bf16, "f32 %08x: got %04x, expected %04x", half_cases[i].f32, b,
                         half_cases[i].bf16);
    }
}

Test(half, f16_to_f32_matches_numpy)
{
    size_t n = sizeof f16_decode / sizeof f16_decode[0];
    cr_assert(n > 4000);
    for (size_t i = 0; i < n; i++) {
        float f = el_f16_to_f32(f16_decode[i].f16);
        uint32_t u = el_f32_bits(f);
        if (isnan(el_bits_f32(f16_decode[i].f32)))
            cr_assert(isnan(f));
        else
            cr_assert_eq(u, f16_decode[i].f32, "f16 %04x: got %08x, numpy %08x", f16_decode[i].f16, u, f16_decode[i].f32);
    }
}

Test(half, f8_decode)
{
    for (int v = 0; v < 256; v++) {
        float a = el_f8e4m3_to_f32((uint8_t)v), b = el_f8e5m2_to_f32((uint8_t)v);
        if (isnan(f8_e4m3[v]))
            cr_assert(isnan(a), "e4m3 %02x", v);
        else
            cr_assert(a == f8_e4m3[v] && signbit(a) == signbit(f8_e4m3[v]), "e4m3 %02x: %g vs %g", v, a, f8_e4m3[v]);
        if (isnan(f8_e5m2[v]))
            cr_assert(isnan(b), "e5m2 %02x", v);
        else
            cr_assert(b == f8_e5m2[v], "e5m2 %02x: %g vs %g", v, b, f8_e5m2[v]);
    }
    cr_assert_eq(el_f8e4m3_to_f32(0x7e), 448.0f); /* e4m3fn max */
    cr_assert_eq(el_f8e5m2_to_f32(0x7b), 57344.0f);
}

Test(error, first_error_wins_and_line_format)
{
    el_error e;
    el_error_clear(&e);
    int rc = EL_FAIL(&e, EL_ETRUNC, "model.gguf", 1234, "file ends inside %s", "a string");
    cr_assert_eq(rc, EL_ETRUNC);
    EL_FAIL(&e, EL_EIO, "other", 1, "later");
    cr_assert_eq(e.code, EL_ETRUNC);
    char line[256];
    el_error_line(&e, line, sizeof line);
    cr_assert_str_eq(line, "model.gguf: at byte 1234: file ends inside a string");
    cr_assert(strstr(e.where, "test_core.c:") != NULL);
    el_error_clear(&e);
    EL_FAIL(&e, EL_EJSON, NULL, -1, "bad\nvalue");
    el_error_line(&e, line, sizeof line);
    cr_assert_str_eq(line, "bad value");
    cr_assert_str_eq(el_code_name(EL_EFORMAT), "EFORMAT");
    cr_assert_eq(el_code_from_errno(ENOSPC), EL_ENOSPC);
    cr_assert_eq(EL_FAIL(NULL, EL_ENOMEM, NULL, -1, "x"), EL_ENOMEM);
}

/* Count entries of dir whose name contains `part`. */
static int count_named(const char *dir, const char *part)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strstr(e->d_name, part))
            n++;
    if (d)
        closedir(d);
    return n;
}

Test(atomic, commit_and_abort)
{
    char *dir = tu_tmpdir("atomic");
    char *path = tu_fmt("%s/out.bin", dir);
    el_error e;
    el_error_clear(&e);
    el_out *o;
    cr_assert_eq(el_out_open(&o, path, &e), 0);
    cr_assert_eq(count_named(dir, ".tmp"), 1);
    cr_assert(access(path, F_OK) != 0, "target must not exist before commit");
    uint8_t big[3 << 20];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)i;
    cr_assert_eq(el_out_write(o, "abc", 3, &e), 0);
    cr_assert_eq(el_out_write(o, big, sizeof big, &e), 0);
    cr_assert_eq(el_out_zeros(o, 5, &e), 0);
    cr_assert_eq(el_out_tell(o), 3 + sizeof big + 5);
    cr_assert_eq(el_out_commit(o, &e), 0);
    cr_assert_eq(count_named(dir, ".tmp"), 0);
    cr_assert_eq(el_out_live_count(), 0);
    size_t n;
    uint8_t *b = tu_read(path, &n);
    cr_assert_eq(n, 3 + sizeof big + 5);
    cr_assert(memcmp(b, "abc", 3) == 0 && memcmp(b + 3, big, sizeof big) == 0 && b[n - 1] == 0);
    free(b);
    /* abort keeps the old file and removes the temporary */
    cr_assert_eq(el_out_open(&o, path, &e), 0);
    cr_assert_eq(el_out_write(o, "zzz", 3, &e), 0);
    el_out_abort(o);
    cr_assert_eq(count_named(dir, ".tmp"), 0);
    cr_assert_eq(el_file_size(path), (int64_t)(3 + sizeof big + 5));
    /* a missing folder is named in the error */
    char *bad = tu_fmt("%s/nope/out.bin", dir);
    cr_assert_eq(el_out_open(&o, bad, &e), EL_ENOENT);
    cr_assert(strstr(e.msg, "does not exist") != NULL);
    free(bad);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

static int write_calls;
static ssize_t short_then_enospc(int fd, const void *buf, size_t n)
{
    /* one byte at a time for a while (short writes must be retried), then ENOSPC */
    if (++write_calls > 50) {
        errno = ENOSPC;
        return -1;
    }
    return write(fd, buf, n > 1 ? 1 : n);
}
static int fsync_ok(int fd) { return fsync(fd); }
static int rename_fails(const char *a, const char *b)
{
    (void)a;
    (void)b;
    errno = EXDEV;
    return -1;
}
static ssize_t write_ok(int fd, const void *buf, size_t n) { return write(fd, buf, n); }

Test(atomic, injected_failures_leave_nothing)
{
    char *dir = tu_tmpdir("atomic");
    char *path = tu_fmt("%s/out.bin", dir);
    el_error e;
    el_error_clear(&e);
    /* short writes are retried */
    el_sys shorty = {short_then_enospc, fsync_ok, rename, NULL};
    el_out *o;
    write_calls = 0;
    cr_assert_eq(el_out_open_sys(&o, path, &shorty, &e), 0);
    cr_assert_eq(el_out_write(o, "0123456789", 10, &e), 0);
    cr_assert_eq(el_out_commit(o, &e), 0);
    /* the bytes written, one at a time, are the bytes on disk (the literal written above is the oracle) */
    size_t got_n = 0;
    uint8_t *got = tu_read(path, &got_n);
    cr_assert(got != NULL);
    cr_assert_eq(got_n, 10);
    cr_assert(memcmp(got, "0123456789", 10) == 0, "on disk: %.*s", (int)got_n, (const char *)got);
    free(got);
    cr_assert_eq(el_file_size(path), 10);
    unlink(path);
    /* ENOSPC: the commit fails, no target, no temporary */
    write_calls = 0;
    cr_assert_eq(el_out_open_sys(&o, path, &shorty, &e), 0);
    uint8_t data[100] = {0};
    el_error_clear(&e);
    int rc = el_out_write(o, data, sizeof data, &e);
    if (rc == 0)
        rc = el_out_commit(o, &e);
    else
        el_out_abort(o);
    cr_assert_eq(rc, EL_ENOSPC);
    cr_assert(strstr(e.msg, "No space") != NULL, "%s", e.msg);
    cr_assert(access(path, F_OK) != 0);
    cr_assert_eq(count_named(dir, ".tmp"), 0);
    /* rename failure */
    el_sys norename = {write_ok, fsync_ok, rename_fails, NULL};
    el_error_clear(&e);
    cr_assert_eq(el_out_open_sys(&o, path, &norename, &e), 0);
    cr_assert_eq(el_out_write(o, "x", 1, &e), 0);
    cr_assert(el_out_commit(o, &e) != 0);
    cr_assert(access(path, F_OK) != 0);
    cr_assert_eq(count_named(dir, ".tmp"), 0);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

/* SIGTERM and SIGINT in the middle of a write remove the temporary file. */
static void signal_case(int sig)
{
    char *dir = tu_tmpdir("atomic");
    char *path = tu_fmt("%s/out.bin", dir);
    int ready[2];
    cr_assert(pipe(ready) == 0);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        /* a shell's background job inherits SIGINT ignored (and el_out rightly keeps an ignored signal
         * ignored): the test is about the default disposition */
        signal(sig, SIG_DFL);
        el_error e;
        el_error_clear(&e);
        el_out *o;
        if (el_out_open(&o, path, &e) != 0)
            _exit(10);
        el_out_write(o, "partial", 7, &e);
        if (write(ready[1], "r", 1) != 1)
            _exit(11);
        for (;;)
            pause();
    }
    char c;
    cr_assert_eq(read(ready[0], &c, 1), 1);
    cr_assert_eq(count_named(dir, ".tmp"), 1);
    kill(pid, sig);
    int st;
    waitpid(pid, &st, 0);
    cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == sig, "child should die of the signal");
    cr_assert_eq(count_named(dir, ".tmp"), 0, "temporary file left after signal %d", sig);
    cr_assert(access(path, F_OK) != 0);
    close(ready[0]);
    close(ready[1]);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

Test(atomic, sigterm_cleans_up) { signal_case(SIGTERM); }
Test(atomic, sigint_cleans_up) { signal_case(SIGINT); }

Test(strmap, put_get_grow)
{
    el_strmap m;
    cr_assert(el_strmap_init(&m, 4));
    char *keys[5000];
    for (int i = 0; i < 5000; i++) {
        keys[i] = tu_fmt("key-%d", i);
        cr_assert_eq(el_strmap_put(&m, keys[i], strlen(keys[i]), i, NULL), 1);
    }
    int64_t old = -1;
    cr_assert_eq(el_strmap_put(&m, "key-42", 6, 7, &old), 0);
    cr_assert_eq(old, 42);
    for (int i = 0; i < 5000; i++)
        cr_assert_eq(el_strmap_get(&m, keys[i], strlen(keys[i])), i);
    cr_assert_eq(el_strmap_get(&m, "key-5000", 8), -1);
    cr_assert_eq(el_strmap_get(&m, "", 0), -1);
    cr_assert_eq(m.count, 5000);
    el_strmap_free(&m);
    for (int i = 0; i < 5000; i++)
        free(keys[i]);
}

Test(file, read_limits_and_paths)
{
    char *dir = tu_tmpdir("file");
    char *p = tu_fmt("%s/a.txt", dir);
    cr_assert(tu_write(p, "hello", 5));
    el_error e;
    el_error_clear(&e);
    char *buf;
    uint64_t n;
    cr_assert_eq(el_read_file(p, 100, &buf, &n, &e), 0);
    cr_assert(n == 5 && strcmp(buf, "hello") == 0);
    free(buf);
    cr_assert_eq(el_read_file(p, 4, &buf, &n, &e), EL_ERANGE);
    el_error_clear(&e);
    cr_assert_eq(el_read_file(dir, 100, &buf, &n, &e), EL_EFTYPE);
    el_error_clear(&e);
    el_map m;
    cr_assert_eq(el_map_open(&m, dir, &e), EL_EFTYPE);
    cr_assert(strstr(e.msg, "folder") != NULL);
    el_error_clear(&e);
    char *missing = tu_fmt("%s/missing", dir);
    cr_assert_eq(el_map_open(&m, missing, &e), EL_ENOENT);
    cr_assert_str_eq(e.path, missing);
    el_error_clear(&e);
    char *empty = tu_fmt("%s/empty", dir);
    cr_assert(tu_write(empty, "", 0));
    cr_assert_eq(el_map_open(&m, empty, &e), 0);
    cr_assert(m.size == 0 && m.data == NULL);
    el_map_close(&m);
    char *deep = tu_fmt("%s/x/y/z", dir);
    cr_assert_eq(el_mkdir_p(deep, &e), 0);
    cr_assert(el_path_is_dir(deep));
    cr_assert_eq(el_mkdir_p(deep, &e), 0);
    cr_assert_eq(el_mkdir_p(p, &e), EL_EFORMAT);
    char *j = el_path_join("a/", "b");
    cr_assert_str_eq(j, "a/b");
    free(j);
    cr_assert_str_eq(el_basename("x/y/model.gguf"), "model.gguf");
    free(deep);
    free(empty);
    free(missing);
    free(p);
    tu_rmtree(dir);
    free(dir);
}

/* The SIMD row converters (core/fp_rows.c) give exactly the scalar bits. */
#include "core/fp_rows.h"

Test(half, simd_rows_equal_scalar)
{
    enum { N = 65536 + 13 };
    static uint16_t h[N], h2[N], b[N], b2[N];
    static float f[N], g[N];
    /* every f16 pattern, then odd tails */
    for (int i = 0; i < N; i++)
        h[i] = (uint16_t)(i * 1u);
    el_row_f16_to_f32(h, f, N);
    el_row_f16_to_f32_ref(h, g, N);
    for (int i = 0; i < N; i++)
        cr_assert(memcmp(&f[i], &g[i], 4) == 0 || (isnan(f[i]) && isnan(g[i])), "f16->f32 %04x", h[i]);
    /* floats: the half_cases, every value around the f16 range, NaNs and infinities */
    uint64_t s = 88172645463325252ull;
    for (int i = 0; i < N; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        uint32_t u = (uint32_t)s;
        if (i % 3 == 0)
            u = (u & 0x807fffffu) | ((uint32_t)(100 + (s >> 40) % 60) << 23); /* exponents near half's */
        if (i < (int)(sizeof half_cases / sizeof half_cases[0]))
            u = half_cases[i].f32;
        f[i] = el_bits_f32(u);
    }
    for (size_t len = 0; len < 40; len++) { /* every tail length */
        el_row_f32_to_f16(f, h, len);
        el_row_f32_to_f16_ref(f, h2, len);
        cr_assert(memcmp(h, h2, len * 2) == 0, "f32->f16 tail %zu", len);
    }
    el_row_f32_to_f16(f, h, N);
    el_row_f32_to_f16_ref(f, h2, N);
    for (int i = 0; i < N; i++)
        cr_assert_eq(h[i], h2[i], "f32 %08x -> f16 %04x vs %04x", el_f32_bits(f[i]), h[i], h2[i]);
    el_row_f32_to_bf16(f, b, N);
    el_row_f32_to_bf16_ref(f, b2, N);
    for (int i = 0; i < N; i++)
        cr_assert_eq(b[i], b2[i], "f32 %08x -> bf16 %04x vs %04x", el_f32_bits(f[i]), b[i], b2[i]);
    el_row_bf16_to_f32(b, g, N);
    for (int i = 0; i < N; i++)
        cr_assert_eq(el_f32_bits(g[i]), (uint32_t)b[i] << 16);
}

/* ---- JSON strings from arbitrary bytes ------------------------------------------------------------------ */

#include "core/json.h"

/* el_json_str keeps valid UTF-8 (NUL included) and replaces each maximal subpart of an invalid
 * sequence by one U+FFFD, as the Unicode standard recommends (section 3.9) and Python's
 * bytes.decode("utf-8", "replace") and Rust's String::from_utf8_lossy do. */
Test(json, strings_from_bytes_replace_maximal_subparts)
{
#define R "\xef\xbf\xbd"
    static const struct {
        const char *in;
        size_t n;
        const char *want;
        size_t want_n;
    } cases[] = {
        {"plain \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 15, "plain \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 15},
        {"a\0b", 3, "a\0b", 3},
        {"\xff", 1, R, 3},
        {"\x80\x80", 2, R R, 6},
        {"\xf0\x9f\x98", 3, R, 3},              /* a 4-byte sequence cut after 3 bytes: one subpart */
        {"\xf0\x9f\x98 x", 5, R " x", 5},
        {"\xe2\x82", 2, R, 3},
        {"\xc3", 1, R, 3},
        {"\xc0\xaf", 2, R R, 6},                /* overlong: C0 is never a lead byte */
        {"\xed\xa0\x80", 3, R R R, 9},          /* a surrogate: ED takes 80..9F only */
        {"\xe0\x80\x80", 3, R R R, 9},          /* overlong 3-byte: E0 takes A0..BF only */
        {"\xf4\x90\x80\x80", 4, R R R R, 12},   /* above U+10FFFF */
        {"\xf5\x80", 2, R R, 6},
        {"a\xe2\x82\xc3\xa9", 5, "a" R "\xc3\xa9", 6},
    };
#undef R
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *j = el_json_str(cases[i].in, cases[i].n);
        cr_assert(j, "case %zu: NULL", i);
        cr_assert_eq(json_string_length(j), cases[i].want_n, "case %zu: %zu bytes", i, json_string_length(j));
        cr_assert_eq(memcmp(json_string_value(j), cases[i].want, cases[i].want_n), 0, "case %zu", i);
        json_decref(j);
    }
}
