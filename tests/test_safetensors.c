/*
 * tests/test_safetensors.c - safetensors reader/writer: round trip of every
 * dtype, float conversion, sharded models (index, duplicates, missing shards),
 * truncation at every byte and hostile headers.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/half.h"
#include "core/util.h"
#include "core/file.h"
#include "formats/safetensors.h"
#include "tests/testutil.h"

static el_error err;

static void must(int rc)
{
    cr_assert(rc == 0, "unexpected error %d: %s: %s", rc, err.path, err.msg);
}

/* Write one tensor per dtype; element i holds a dtype-appropriate function of i. */
static void write_all_dtypes(const char *path)
{
    st_writer *w;
    el_error_clear(&err);
    el_input_forget(path); /* a fixture this test process read before, rewritten on purpose */
    must(st_writer_open(&w, path, &err));
    must(st_writer_meta(w, "format", "pt", &err));
    for (int d = 0; d < ST_DTYPE_COUNT; d++) {
        int64_t shape[2] = {3, 5};
        char name[32];
        snprintf(name, sizeof name, "t.%s", st_dtype_name(d));
        must(st_writer_add(w, name, d, 2, shape, &err));
    }
    int64_t scalar_shape[1] = {0};
    must(st_writer_add(w, "empty", ST_F32, 1, scalar_shape, &err));
    must(st_writer_begin_data(w, &err));
    for (int d = 0; d < ST_DTYPE_COUNT; d++) {
        uint8_t buf[15 * 8];
        for (int i = 0; i < 15; i++) {
            float f = (float)i * 0.5f - 3.0f;
            uint8_t *p = buf + i * st_dtype_size(d);
            switch (d) {
            case ST_F32: memcpy(p, &f, 4); break;
            case ST_F64: { double x = f; memcpy(p, &x, 8); break; }
            case ST_F16: el_wr16(p, el_f32_to_f16(f)); break;
            case ST_BF16: el_wr16(p, el_f32_to_bf16(f)); break;
            case ST_F8_E5M2: p[0] = (uint8_t)(el_f32_to_f16(f) >> 8); break; /* exact for these values */
            case ST_F8_E4M3: p[0] = 0x38; break; /* 1.0 */
            default: memset(p, i, st_dtype_size(d)); break;
            }
        }
        must(st_writer_write(w, buf, 15 * st_dtype_size(d), &err));
    }
    must(st_writer_finish(w, &err));
}

Test(safetensors, round_trip_every_dtype)
{
    char *dir = tu_tmpdir("st");
    char *path = tu_fmt("%s/m.safetensors", dir);
    write_all_dtypes(path);
    st_file *f;
    el_error_clear(&err);
    must(st_open(&f, path, &err));
    cr_assert_eq(f->n_tensors, ST_DTYPE_COUNT + 1);
    cr_assert_eq(f->data_offset % 8, 0, "header is padded to 8 bytes");
    cr_assert_str_eq(json_string_value(json_object_get(f->metadata, "format")), "pt");
    st_model *m;
    must(st_model_open(&m, path, &err));
    for (int d = 0; d < ST_DTYPE_COUNT; d++) {
        char name[32];
        snprintf(name, sizeof name, "t.%s", st_dtype_name(d));
        const st_tensor *t = st_model_find(m, name);
        cr_assert(t != NULL, "%s", name);
        cr_assert_eq(t->dtype, d);
        cr_assert(t->n_dims == 2 && t->shape[0] == 3 && t->shape[1] == 5 && t->n_elements == 15);
        cr_assert_eq(t->end - t->begin, 15 * st_dtype_size(d));
        if (st_dtype_is_float(d)) {
            float out[15];
            must(st_read_f32(t, 0, 15, out, &err));
            for (int i = 0; i < 15; i++) {
                float want = d == ST_F8_E4M3 ? 1.0f : (float)i * 0.5f - 3.0f;
                cr_assert_eq(out[i], want, "%s[%d] = %g, want %g", name, i, out[i], want);
            }
            /* partial range */
            must(st_read_f32(t, 14, 1, out, &err));
            cr_assert_eq(out[0], d == ST_F8_E4M3 ? 1.0f : 4.0f);
            el_error_clear(&err);
            cr_assert(st_read_f32(t, 14, 2, out, &err) != 0, "out-of-range read accepted");
        } else {
            float out[1];
            el_error_clear(&err);
            cr_assert_eq(st_read_f32(t, 0, 1, out, &err), EL_EUNSUPPORTED);
        }
    }
    cr_assert(st_model_find(m, "empty")->n_elements == 0);
    cr_assert(st_model_find(m, "nope") == NULL);
    st_model_close(m);
    st_close(f);
    /* same calls, same bytes */
    char *again = tu_fmt("%s/again.safetensors", dir);
    write_all_dtypes(again);
    cr_assert(tu_files_equal(path, again));
    free(again);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

/* Write a shard holding the given tensor names (F32 [2]). */
static void write_shard(const char *path, const char *const *names, int n)
{
    st_writer *w;
    el_error_clear(&err);
    el_input_forget(path); /* a fixture this test process read before, rewritten on purpose */
    must(st_writer_open(&w, path, &err));
    int64_t shape[1] = {2};
    for (int i = 0; i < n; i++)
        must(st_writer_add(w, names[i], ST_F32, 1, shape, &err));
    must(st_writer_begin_data(w, &err));
    for (int i = 0; i < n; i++) {
        float v[2] = {(float)i, (float)-i};
        must(st_writer_write(w, v, sizeof v, &err));
    }
    must(st_writer_finish(w, &err));
}

Test(safetensors, sharded_model)
{
    char *dir = tu_tmpdir("st");
    char *s1 = tu_fmt("%s/model-00001-of-00002.safetensors", dir);
    char *s2 = tu_fmt("%s/model-00002-of-00002.safetensors", dir);
    char *idx = tu_fmt("%s/model.safetensors.index.json", dir);
    const char *a[] = {"a", "b"}, *b[] = {"c"};
    write_shard(s1, a, 2);
    write_shard(s2, b, 1);
    const char *index = "{\"metadata\": {\"total_size\": 24}, \"weight_map\": {"
                        "\"a\": \"model-00001-of-00002.safetensors\", \"b\": \"model-00001-of-00002.safetensors\","
                        " \"c\": \"model-00002-of-00002.safetensors\"}}";
    cr_assert(tu_write(idx, index, strlen(index)));
    st_model *m;
    el_error_clear(&err);
    must(st_model_open(&m, dir, &err));
    cr_assert_eq(m->n_shards, 2);
    cr_assert_eq(m->n_tensors, 3);
    const st_tensor *c = st_model_find(m, "c");
    cr_assert(c && c->shard == 1);
    cr_assert(strstr(st_model_shard_path(m, c), "00002") != NULL);
    st_model_close(m);
    /* opening the index file directly works too */
    must(st_model_open(&m, idx, &err));
    st_model_close(m);

    /* duplicate tensor across shards */
    const char *dup[] = {"c", "a"};
    write_shard(s2, dup, 2);
    el_error_clear(&err);
    cr_assert_eq(st_model_open(&m, dir, &err), EL_EDUP);
    cr_assert(strstr(err.msg, "'a'") != NULL, "%s", err.msg);
    write_shard(s2, b, 1);

    /* weight_map names a tensor that no shard has */
    const char *index2 = "{\"weight_map\": {\"a\": \"model-00001-of-00002.safetensors\", "
                         "\"zz\": \"model-00002-of-00002.safetensors\"}}";
    cr_assert(tu_write(idx, index2, strlen(index2)));
    el_error_clear(&err);
    cr_assert_eq(st_model_open(&m, dir, &err), EL_EMISSING);
    cr_assert(strstr(err.msg, "'zz'") != NULL, "%s", err.msg);

    /* a missing shard file */
    const char *index3 = "{\"weight_map\": {\"a\": \"model-00003-of-00003.safetensors\"}}";
    cr_assert(tu_write(idx, index3, strlen(index3)));
    el_error_clear(&err);
    cr_assert_eq(st_model_open(&m, dir, &err), EL_EMISSING);
    cr_assert(strstr(err.msg, "does not exist") != NULL, "%s", err.msg);

    /* a path escaping the folder is refused */
    const char *index4 = "{\"weight_map\": {\"a\": \"../x.safetensors\"}}";
    cr_assert(tu_write(idx, index4, strlen(index4)));
    el_error_clear(&err);
    cr_assert_eq(st_model_open(&m, dir, &err), EL_EJSON);

    /* no weights at all */
    char *empty = tu_fmt("%s/empty", dir);
    cr_assert(el_mkdir_p(empty, &err) == 0);
    el_error_clear(&err);
    cr_assert_eq(st_model_open(&m, empty, &err), EL_EMISSING);
    free(empty);
    free(s1);
    free(s2);
    free(idx);
    tu_rmtree(dir);
    free(dir);
}

/* A file built from a header text and a buffer of `buf` bytes (zeros). */
static uint8_t *make_file(const char *header, size_t buf, size_t *n)
{
    size_t h = strlen(header);
    *n = 8 + h + buf;
    uint8_t *b = calloc(1, *n);
    el_wr64(b, h);
    memcpy(b + 8, header, h);
    return b;
}

/* tu_byte_flips's parser: st_parse, then the last byte of every tensor it accepted */
static int parse_touch(const uint8_t *b, size_t n, const char *name, el_error *e)
{
    st_file *f = NULL;
    const int rc = st_parse(&f, b, n, name, e);
    if (!rc)
        for (uint64_t i = 0; i < f->n_tensors; i++)
            if (f->tensors[i].end > f->tensors[i].begin)
                (void)*(volatile const uint8_t *)(f->tensors[i].data + (f->tensors[i].end - f->tensors[i].begin) - 1);
    st_close(f);
    return rc;
}

/* parse_touch on a copy of exactly n bytes, so any read past the end is caught by ASan */
static int parse_copy(const uint8_t *data, size_t n, char *msg, size_t cap)
{
    return tu_parse_copy(parse_touch, data, n, "mem.safetensors", msg, cap);
}

static void expect_header_fails(const char *header, size_t buf, const char *needle)
{
    size_t n;
    uint8_t *b = make_file(header, buf, &n);
    char msg[1024];
    int rc = parse_copy(b, n, msg, sizeof msg);
    cr_assert(rc != 0, "accepted: %s", header);
    cr_assert(strstr(msg, needle) != NULL, "header %s: message '%s' lacks '%s'", header, msg, needle);
    free(b);
}

static const char good_header[] =
    "{\"__metadata__\":{\"format\":\"pt\"},\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
    "\"b\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[16,24]}}";

Test(safetensors, truncated_at_every_byte)
{
    size_t n;
    uint8_t *b = make_file(good_header, 24, &n);
    cr_assert_eq(parse_copy(b, n, NULL, 0), 0);
    for (size_t len = 0; len < n; len++) {
        char msg[1024];
        cr_assert(parse_copy(b, len, msg, sizeof msg) != 0, "truncated to %zu of %zu accepted", len, n);
        cr_assert(msg[0]);
    }
    free(b);
}

Test(safetensors, hostile_headers)
{
    size_t n;
    uint8_t *b = make_file(good_header, 24, &n);
    char msg[1024];
    /* header length huge / past the end / over the cap */
    uint8_t *c = malloc(n);
    memcpy(c, b, n);
    el_wr64(c, 0xffffffffffffffffull);
    cr_assert(parse_copy(c, n, msg, sizeof msg) != 0 && strstr(msg, "limit"), "%s", msg);
    el_wr64(c, n);
    cr_assert(parse_copy(c, n, msg, sizeof msg) != 0 && strstr(msg, "past the end"), "%s", msg);
    free(c);
    free(b);
    /* header, data bytes after it, a phrase the error must hold */
    static const struct {
        const char *header;
        size_t buf;
        const char *needle;
    } bad[] = {
        {"[1,2]", 0, "start with '{'"},
        {"{\"w\":", 0, "invalid JSON"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
         "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "duplicate"},
        {"{\"w\":{\"dtype\":\"F4\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1, "unknown dtype"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "span"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,8]}}", 8, "non-negative"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4, "buffer"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, "invalid"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", 8, "data_offsets"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}}", 8, "shape"},
        {"{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "dtype"},
        {"{\"w\":[1]}", 8, "not an object"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
         "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "overlap"},
        {"{\"__metadata__\":{\"k\":1}}", 0, "not a string"},
        {"{\"__metadata__\":[]}", 0, "not an object"},
        /* element count overflow: 2^40 * 2^40 elements */
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1099511627776,1099511627776,1099511627776],"
         "\"data_offsets\":[0,8]}}", 8, "overflow"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,8]}}", 8,
         "shape[0] is not a non-negative integer"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", 4, "dimensions"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_header_fails(bad[i].header, bad[i].buf, bad[i].needle);
    /* a file shorter than the 8-byte length */
    uint8_t tiny[4] = {1, 0, 0, 0};
    cr_assert(parse_copy(tiny, 4, msg, sizeof msg) != 0 && strstr(msg, "too short"), "%s", msg);
}

/* Every single-byte corruption of the header: error or success, never a crash (that part needs ASan to
 * mean much), and every error keeps core/error.h's contract: a non-zero code that is the one returned,
 * err.path the file's name, a one-line message, an offset inside the file. One flip per offset (the
 * values in turn) is also written to disk for `edgelm inspect`: where the library refused the bytes
 * the binary exits 1, and any failure of it is one line on stderr naming the file. */
Test(safetensors, byte_flips_never_crash, .timeout = 120)
{
    size_t n;
    uint8_t *b = make_file(good_header, 24, &n);
    char *dir = KT("flip"), *path = KF("%s/flip.safetensors", dir);
    static const uint8_t vals[] = {0x00, '"', '9', '{', 0xff};
    const int refused = tu_byte_flips(b, n, n - 24, vals, sizeof vals, "mem.safetensors", path, parse_touch);
    cr_assert_gt(refused, 300, "only %d of %d flips refused: the test exercises too little", refused,
                 (int)((n - 24) * sizeof vals));
    free(b);
    tu_rmtree(dir);
    tu_release();
}

Test(safetensors, writer_refuses_bad_declarations)
{
    char *dir = tu_tmpdir("st");
    char *path = tu_fmt("%s/w.safetensors", dir);
    st_writer *w;
    el_error_clear(&err);
    el_input_forget(path); /* a fixture this test process read before, rewritten on purpose */
    must(st_writer_open(&w, path, &err));
    int64_t shape[1] = {2};
    must(st_writer_add(w, "a", ST_F32, 1, shape, &err));
    cr_assert_eq(st_writer_add(w, "a", ST_F32, 1, shape, &err), EL_EDUP);
    el_error_clear(&err);
    cr_assert(st_writer_add(w, "__metadata__", ST_F32, 1, shape, &err) != 0);
    el_error_clear(&err);
    int64_t neg[1] = {-1};
    cr_assert(st_writer_add(w, "n", ST_F32, 1, neg, &err) != 0);
    el_error_clear(&err);
    must(st_writer_begin_data(w, &err));
    float v[3] = {1, 2, 3};
    cr_assert(st_writer_write(w, v, sizeof v, &err) != 0, "more data than declared");
    st_writer_abort(w);
    cr_assert(access(path, F_OK) != 0);
    free(path);
    tu_rmtree(dir);
    free(dir);
}
