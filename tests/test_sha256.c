/*
 * tests/test_sha256.c - core/sha256: the FIPS 180-2 / NIST example vectors, block boundaries
 * crossed at every offset, and whole files against GNU sha256sum.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/sha256.h"
#include "tests/testutil.h"

/* The digest fed one byte per update (el_sha256_buf is the one-call path). */
static void digest_bytewise(const void *data, size_t n, char hex[65])
{
    el_sha256 s;
    uint8_t d[32];
    el_sha256_init(&s);
    for (size_t i = 0; i < n; i++)
        el_sha256_update(&s, (const uint8_t *)data + i, 1);
    el_sha256_final(&s, d);
    el_sha256_hex(d, hex);
}

static void check_vector(const char *msg, const char *want)
{
    char hex[65];
    digest_bytewise(msg, strlen(msg), hex);
    cr_assert_str_eq(hex, want, "byte-by-byte digest of \"%s\"", msg);
    el_sha256_buf(msg, strlen(msg), hex);
    cr_assert_str_eq(hex, want, "el_sha256_buf of \"%s\"", msg);
}

Test(sha256, nist_short_vectors)
{
    check_vector("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check_vector("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    /* 448 bits: the padding no longer fits in the same block, so two blocks are hashed. */
    check_vector("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    check_vector("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrs"
                 "mnopqrstnopqrstu",
                 "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

Test(sha256, one_million_a)
{
    static const char want[] = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
    size_t n = 1000000;
    char *a = malloc(n);
    cr_assert_not_null(a);
    memset(a, 'a', n);
    char hex[65];
    el_sha256_buf(a, n, hex);
    cr_assert_str_eq(hex, want);

    /* The same bytes in uneven pieces (1, 2, ... 999 bytes), so most updates start mid-block. */
    el_sha256 s;
    uint8_t d[32];
    el_sha256_init(&s);
    size_t done = 0;
    for (size_t k = 1; done < n; k = k % 999 + 1) {
        size_t take = k < n - done ? k : n - done;
        el_sha256_update(&s, a + done, take);
        done += take;
    }
    el_sha256_final(&s, d);
    el_sha256_hex(d, hex);
    cr_assert_str_eq(hex, want);
    free(a);
}

Test(sha256, split_at_every_offset)
{
    uint8_t msg[131];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)(i * 7 + 3);
    char whole[65];
    el_sha256_buf(msg, sizeof msg, whole);
    /* python3 -c "import sys; sys.stdout.buffer.write(bytes((i*7+3)&0xff for i in range(131)))" | sha256sum */
    cr_assert_str_eq(whole, "4c14830d5f17552093a46de0f6884f8f3010789462dab3db3d1cc679575e01ad");
    for (size_t k = 0; k < sizeof msg; k++) /* 0..130 */ {
        el_sha256 s;
        uint8_t d[32];
        char hex[65];
        el_sha256_init(&s);
        el_sha256_update(&s, msg, k);
        el_sha256_update(&s, NULL, 0);
        el_sha256_update(&s, msg + k, sizeof msg - k);
        el_sha256_final(&s, d);
        el_sha256_hex(d, hex);
        cr_assert_str_eq(hex, whole, "split at %zu", k);
    }
}

Test(sha256, file_matches_sha256sum)
{
    /* 2.5 MiB + 17 bytes: three read() pieces, the last one not a whole number of blocks.
     * Expected value from GNU coreutils, computed when this test was written:
     *   python3 -c "import sys; sys.stdout.buffer.write(bytes(((((i*2654435761)&0xffffffff)>>13)&0xff)
     *       for i in range(2621457)))" > f.bin && /usr/bin/sha256sum f.bin */
    static const char want[] = "673dedeb5a0ce42255db4a87f4cdfd53451538edda2d6c888e4c7fa1c3241ee3";
    size_t n = 2621457;
    uint8_t *data = malloc(n);
    cr_assert_not_null(data);
    for (size_t i = 0; i < n; i++)
        data[i] = (uint8_t)(((uint32_t)i * 2654435761u) >> 13);
    char *dir = tu_tmpdir("sha256");
    char *path = tu_fmt("%s/f.bin", dir);
    cr_assert(tu_write(path, data, n));

    el_error e;
    el_error_clear(&e);
    char hex[65];
    cr_assert_eq(el_sha256_file(path, hex, &e), EL_OK, "%s", e.msg);
    cr_assert_str_eq(hex, want);
    el_sha256_buf(data, n, hex);
    cr_assert_str_eq(hex, want);

    /* An empty file is the empty message. */
    char *empty = tu_fmt("%s/empty", dir);
    cr_assert(tu_write(empty, "", 0));
    cr_assert_eq(el_sha256_file(empty, hex, &e), EL_OK, "%s", e.msg);
    cr_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

    tu_rmtree(dir);
    free(empty);
    free(path);
    free(dir);
    free(data);
}

Test(sha256, missing_file_names_the_path)
{
    char *dir = tu_tmpdir("sha256");
    char *missing = tu_fmt("%s/no-such-file.bin", dir);
    el_error e;
    el_error_clear(&e);
    char hex[65];
    memset(hex, 'x', sizeof hex);
    cr_assert_eq(el_sha256_file(missing, hex, &e), EL_ENOENT);
    cr_assert_str_eq(hex, "", "no digest on failure");
    cr_assert_str_eq(e.path, missing);
    char line[2200];
    el_error_line(&e, line, sizeof line);
    cr_assert(strstr(line, missing) != NULL, "message names the file: %s", line);

    /* A folder opens but cannot be read; that too is an error naming it. */
    el_error_clear(&e);
    cr_assert_neq(el_sha256_file(dir, hex, &e), EL_OK);
    cr_assert_str_eq(e.path, dir);

    tu_rmtree(dir);
    free(missing);
    free(dir);
}
