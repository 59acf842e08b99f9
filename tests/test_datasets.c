/*
 * tests/test_datasets.c - dataset inputs: a plain file, the same bytes gzip-compressed, and as members of
 * a .tar.gz and a .zip (written here with zlib and libarchive) read back identical; broken, truncated,
 * missing and oversized inputs fail with the file (and member) named.
 */
#include <archive.h>
#include <archive_entry.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "datasets/source.h"
#include "tests/testutil.h"

static const char TEXT[] = "{\"ctx\": \"A man is sitting on a roof.\", \"endings\": [\"a\", \"b\"], \"label\": 1}\n"
                           "second line, with \xc3\xa9 and a tab\there\n";

static void write_gz(const char *path, const void *data, size_t n)
{
    gzFile z = gzopen(path, "wb");
    cr_assert(z);
    cr_assert_eq(gzwrite(z, data, (unsigned)n), (int)n);
    cr_assert_eq(gzclose(z), Z_OK);
}

/* an archive (zip or tar.gz) holding a folder entry, one decoy file and `member` with data */
static void write_archive(const char *path, bool zip, const char *member, const void *data, size_t n)
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

static void expect_text(const char *spec)
{
    char *d;
    uint64_t n;
    el_error e;
    el_error_clear(&e);
    cr_assert_eq(el_ds_read(spec, 0, &d, &n, &e), 0, "%s: %s", spec, e.msg);
    cr_assert_eq(n, sizeof TEXT - 1, "%s: %llu bytes", spec, (unsigned long long)n);
    cr_assert_eq(memcmp(d, TEXT, n), 0, "%s: other bytes", spec);
    cr_assert_eq(d[n], '\0');
    free(d);
}

static void expect_fail(const char *spec, uint64_t max, const char *m1, const char *m2)
{
    char *d = (char *)1;
    uint64_t n;
    el_error e;
    el_error_clear(&e);
    cr_assert_neq(el_ds_read(spec, max, &d, &n, &e), 0, "%s: read", spec);
    cr_assert_null(d);
    char line[2100];
    snprintf(line, sizeof line, "%s: %s", e.path, e.msg);
    cr_assert(strstr(line, m1) && (!m2 || strstr(line, m2)), "%s: message '%s' lacks '%s' / '%s'", spec, line, m1, m2 ? m2 : "");
}

Test(datasets, plain_gz_tar_zip_give_the_same_bytes)
{
    char *dir = tu_tmpdir("ds");
    char *plain = tu_fmt("%s/h.jsonl", dir), *gz = tu_fmt("%s/h.jsonl.gz", dir), *tgz = tu_fmt("%s/h.tar.gz", dir),
         *zip = tu_fmt("%s/h.zip", dir), *odd = tu_fmt("%s/a:b.jsonl", dir);
    cr_assert(tu_write(plain, TEXT, sizeof TEXT - 1));
    cr_assert(tu_write(odd, TEXT, sizeof TEXT - 1));
    write_gz(gz, TEXT, sizeof TEXT - 1);
    write_archive(tgz, false, "data/val.jsonl", TEXT, sizeof TEXT - 1);
    write_archive(zip, true, "data/val.jsonl", TEXT, sizeof TEXT - 1);
    char *in_tgz = tu_fmt("%s:data/val.jsonl", tgz), *in_zip = tu_fmt("%s:data/val.jsonl", zip);
    expect_text(plain);
    expect_text(gz);
    expect_text(in_tgz);
    expect_text(in_zip);
    expect_text(odd); /* a ':' in a real file's name is part of the name */

    /* failures, each naming what is wrong */
    char *missing = tu_fmt("%s/none.jsonl", dir), *no_member = tu_fmt("%s:data/test.jsonl", zip);
    char *not_arch = tu_fmt("%s:x", plain), *trunc = tu_fmt("%s/t.jsonl.gz", dir), *bad = tu_fmt("%s/bad.zip", dir);
    char *bad_member = tu_fmt("%s:data/val.jsonl", bad);
    size_t gn;
    uint8_t *gb = tu_read(gz, &gn);
    cr_assert(tu_write(trunc, gb, gn - 12));
    cr_assert(tu_write(bad, gb, gn)); /* a gzip file is no zip */
    free(gb);
    expect_fail(missing, 0, "none.jsonl", "no such file");
    expect_fail(dir, 0, dir, "a folder");
    expect_fail(no_member, 0, "h.zip", "data/test.jsonl");
    expect_fail(not_arch, 0, "h.jsonl", "archive");
    expect_fail(trunc, 0, "t.jsonl.gz", "ends early");
    expect_fail(bad_member, 0, "bad.zip", NULL);
    expect_fail(gz, 16, "h.jsonl.gz", "more than 16 bytes");
    expect_fail(in_zip, 16, "h.zip", "more than 16 bytes");

    free(missing), free(no_member), free(not_arch), free(trunc), free(bad), free(bad_member);
    free(in_tgz), free(in_zip), free(plain), free(gz), free(tgz), free(zip), free(odd);
    tu_rmtree(dir);
    free(dir);
}
