/*
 * tests/test_gguf.c - GGUF reader and writer.
 *
 *  - round trip of every metadata value type, empty/large/nested arrays, tensors
 *    of several ggml types, default and custom alignment;
 *  - byte-identical rewrite of a file we read;
 *  - llama.cpp's own vocab GGUFs (shared/golden/vocab) read with the token
 *    counts node-llama-cpp reports for them;
 *  - truncation at every byte and hostile header fields give an error, never a
 *    crash or a hang (the suite also runs under ASan/UBSan: `make asan`).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "formats/ggml_type.h"
#include "formats/gguf.h"
#include "tests/fixtures.h"
#include "tests/testutil.h"

static el_error err;

static void must(int rc)
{
    cr_assert(rc == 0, "unexpected error %d: %s: %s", rc, err.path, err.msg);
}

static void check_fixture(const gguf_file *f, uint32_t align)
{
    cr_assert_eq(f->version, 3);
    cr_assert_eq(f->alignment, align ? align : 32);
    cr_assert(f->llama_cpp_layout);
    uint64_t u;
    int64_t i;
    double d;
    bool b;
    gguf_str s;
    const gguf_array *a;
    cr_assert_eq(gguf_get_u64(f, "t.u8", &u), 1);
    cr_assert_eq(u, 200);
    cr_assert_eq(gguf_get_i64(f, "t.i8", &i), 1);
    cr_assert_eq(i, -100);
    cr_assert_eq(gguf_get_u64(f, "t.u16", &u), 1);
    cr_assert_eq(u, 60000);
    cr_assert_eq(gguf_get_i64(f, "t.i16", &i), 1);
    cr_assert_eq(i, -30000);
    cr_assert_eq(gguf_get_u64(f, "t.u32", &u), 1);
    cr_assert_eq(u, 4000000000u);
    cr_assert_eq(gguf_get_i64(f, "t.i32", &i), 1);
    cr_assert_eq(i, -2000000000);
    cr_assert_eq(gguf_get_f64(f, "t.f32", &d), 1);
    cr_assert_eq((float)d, 3.14159f);
    cr_assert_eq(gguf_get_bool(f, "t.bool_true", &b), 1);
    cr_assert(b);
    cr_assert_eq(gguf_get_bool(f, "t.bool_false", &b), 1);
    cr_assert(!b);
    cr_assert_eq(gguf_get_str(f, "t.str", &s), 1);
    cr_assert(s.len == strlen("héllo wörld ✓") && memcmp(s.ptr, "héllo wörld ✓", s.len) == 0);
    cr_assert_eq(gguf_get_str(f, "t.str_empty", &s), 1);
    cr_assert_eq(s.len, 0);
    cr_assert_eq(gguf_get_u64(f, "t.u64", &u), 1);
    cr_assert_eq(u, 18446744073709551615ull);
    cr_assert_eq(gguf_get_i64(f, "t.i64", &i), 1);
    cr_assert_eq(i, INT64_MIN);
    cr_assert_eq(gguf_get_f64(f, "t.f64", &d), 1);
    cr_assert_eq(d, -1.0e-300);
    /* type mismatches and absent keys */
    cr_assert_eq(gguf_get_str(f, "t.u32", &s), -1);
    cr_assert_eq(gguf_get_u64(f, "t.i64", &u), -1);
    cr_assert_eq(gguf_get_u64(f, "no.such.key", &u), 0);

    cr_assert_eq(gguf_get_arr(f, "a.u8", &a), 1);
    cr_assert(a->type == GGUF_TYPE_UINT8 && a->n == 3 && gguf_arr_i64(a, 2) == 255);
    cr_assert_eq(gguf_get_arr(f, "a.i8", &a), 1);
    cr_assert(a->n == 3 && gguf_arr_i64(a, 0) == -128 && gguf_arr_i64(a, 2) == 127);
    cr_assert_eq(gguf_get_arr(f, "a.u16", &a), 1);
    cr_assert(a->n == 2 && gguf_arr_i64(a, 1) == 65535);
    cr_assert_eq(gguf_get_arr(f, "a.i16", &a), 1);
    cr_assert(a->n == 2 && gguf_arr_i64(a, 0) == -32768);
    cr_assert_eq(gguf_get_arr(f, "a.u32", &a), 1);
    cr_assert(a->n == 3 && gguf_arr_u64(a, 1) == 4000000000u);
    cr_assert_eq(gguf_get_arr(f, "a.i32", &a), 1);
    cr_assert(a->n == 2 && gguf_arr_i64(a, 0) == -2000000000);
    cr_assert_eq(gguf_get_arr(f, "a.f32", &a), 1);
    cr_assert(a->n == 3 && gguf_arr_f64(a, 0) == 3.25 && signbit(gguf_arr_f64(a, 1)) &&
              (float)gguf_arr_f64(a, 2) == 1e-30f);
    cr_assert_eq(gguf_get_arr(f, "a.bool", &a), 1);
    cr_assert(a->n == 3 && gguf_arr_i64(a, 0) == 1 && gguf_arr_i64(a, 1) == 0);
    cr_assert_eq(gguf_get_arr(f, "a.u64", &a), 1);
    cr_assert(a->n == 2 && gguf_arr_u64(a, 1) == 9223372036854775813ull);
    cr_assert_eq(gguf_get_arr(f, "a.i64", &a), 1);
    cr_assert(a->n == 2 && gguf_arr_i64(a, 0) == -4611686018427387904ll);
    cr_assert_eq(gguf_get_arr(f, "a.f64", &a), 1);
    cr_assert(a->n == 2 && gguf_arr_f64(a, 0) == 1e300);
    cr_assert_eq(gguf_get_arr(f, "a.str", &a), 1);
    cr_assert(a->type == GGUF_TYPE_STRING && a->n == 4);
    for (int k = 0; k < 4; k++)
        cr_assert(a->strs[k].len == strlen(strs[k]) && memcmp(a->strs[k].ptr, strs[k], a->strs[k].len) == 0);
    cr_assert_eq(gguf_get_arr(f, "a.empty", &a), 1);
    cr_assert(a->n == 0 && a->type == GGUF_TYPE_INT32);
    cr_assert_eq(gguf_get_arr(f, "a.empty_str", &a), 1);
    cr_assert(a->n == 0 && a->type == GGUF_TYPE_STRING);
    cr_assert_eq(gguf_get_arr(f, "a.large_u32", &a), 1);
    cr_assert(a->n == LARGE_N && gguf_arr_u64(a, LARGE_N - 1) == (LARGE_N - 1) * 7u);
    cr_assert_eq(gguf_get_arr(f, "a.large_str", &a), 1);
    cr_assert(a->n == LARGE_N && a->strs[LARGE_N - 1].len == strlen("tok99999") &&
              memcmp(a->strs[LARGE_N - 1].ptr, "tok99999", 8) == 0);
    cr_assert_eq(gguf_get_arr(f, "a.nested", &a), 1);
    cr_assert(a->type == GGUF_TYPE_ARRAY && a->n == 3);
    cr_assert(a->items[0].arr.n == 3 && gguf_arr_i64(&a->items[0].arr, 2) == 3);
    cr_assert(a->items[1].arr.n == 0);
    cr_assert(a->items[2].arr.n == 1 && gguf_arr_i64(&a->items[2].arr, 0) == -4);
    cr_assert_eq(gguf_get_arr(f, "a.nested_str", &a), 1);
    cr_assert(a->n == 2 && a->items[1].arr.n == 2 && a->items[1].arr.strs[1].ptr[0] == 'z');

    cr_assert_eq(f->n_tensors, fixture_n_tensors);
    for (size_t k = 0; k < fixture_n_tensors; k++) {
        const gguf_tensor *t = gguf_find_tensor(f, fixture_tensors[k].name);
        cr_assert(t != NULL, "tensor %s missing", fixture_tensors[k].name);
        cr_assert_eq(t->type, fixture_tensors[k].type);
        cr_assert_eq(t->n_dims, fixture_tensors[k].n_dims);
        for (uint32_t dd = 0; dd < t->n_dims; dd++)
            cr_assert_eq(t->ne[dd], fixture_tensors[k].ne[dd]);
        cr_assert_eq(t->offset % f->alignment, 0);
        cr_assert_eq((f->data_offset + t->offset) % f->alignment, 0);
        uint8_t *expect = malloc(t->size);
        fx_fill_bytes(expect, t->size, (uint32_t)k);
        cr_assert(memcmp(t->data, expect, t->size) == 0, "tensor %s data differs", t->name);
        free(expect);
    }
    /* q4_K: 256 per 144 bytes */
    cr_assert_eq(gguf_find_tensor(f, "blk.0.ffn_down.weight")->size, 3 * 144);
    cr_assert_eq(gguf_find_tensor(f, "blk.0.attn_q.weight")->size, 2 * 2 * 18);
}

Test(gguf, round_trip_every_type)
{
    char *dir = tu_tmpdir("gguf");
    char *path = tu_fmt("%s/fixture.gguf", dir);
    fx_write_gguf(path, 0, true);
    gguf_file *f;
    el_error_clear(&err);
    must(gguf_open(&f, path, &err));
    check_fixture(f, 0);
    gguf_close(f);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

Test(gguf, custom_alignment)
{
    char *dir = tu_tmpdir("gguf");
    char *path = tu_fmt("%s/fixture64.gguf", dir);
    fx_write_gguf(path, 64, true);
    gguf_file *f;
    el_error_clear(&err);
    must(gguf_open(&f, path, &err));
    check_fixture(f, 64);
    cr_assert_eq(f->data_offset % 64, 0);
    gguf_close(f);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

/* Rewrite everything a reader sees; the bytes must be identical. */
static void rewrite(const gguf_file *f, const char *path)
{
    gguf_writer *w;
    el_error_clear(&err);
    must(gguf_writer_open(&w, path, &err));
    for (uint64_t i = 0; i < f->n_kv; i++) {
        char *key = strndup(f->kv[i].key.ptr, (size_t)f->kv[i].key.len);
        must(gguf_add(w, key, &f->kv[i].v, &err));
        free(key);
    }
    for (uint64_t i = 0; i < f->n_tensors; i++)
        must(gguf_add_tensor(w, f->tensors[i].name, f->tensors[i].type, f->tensors[i].n_dims, f->tensors[i].ne, &err));
    must(gguf_writer_begin_data(w, &err));
    for (uint64_t i = 0; i < f->n_tensors; i++)
        must(gguf_writer_write(w, f->tensors[i].data, f->tensors[i].size, &err));
    must(gguf_writer_finish(w, &err));
}

Test(gguf, byte_identical_rewrite)
{
    char *dir = tu_tmpdir("gguf");
    char *a = tu_fmt("%s/a.gguf", dir), *b = tu_fmt("%s/b.gguf", dir), *c = tu_fmt("%s/c.gguf", dir);
    fx_write_gguf(a, 0, true);
    fx_write_gguf(c, 0, true);
    cr_assert(tu_files_equal(a, c), "same calls must give the same bytes");
    gguf_file *f;
    el_error_clear(&err);
    must(gguf_open(&f, a, &err));
    rewrite(f, b);
    gguf_close(f);
    cr_assert(tu_files_equal(a, b), "rewrite differs from the original");
    free(a);
    free(b);
    free(c);
    tu_rmtree(dir);
    free(dir);
}

/* llama.cpp's vocab files; expected counts are what node-llama-cpp 3.22.1 reports. */
Test(gguf, llama_cpp_vocab_files)
{
    static const struct {
        const char *name;
        uint64_t tokens;
        const char *model;
        uint64_t merges;
    } files[] = {
        {"ggml-vocab-deepseek-coder.gguf", 32256, "gpt2", 31757},
        {"ggml-vocab-deepseek-llm.gguf", 102400, "gpt2", 99757},
        {"ggml-vocab-falcon.gguf", 65024, "gpt2", 64784},
        {"ggml-vocab-gpt-2.gguf", 50257, "gpt2", 50000},
        {"ggml-vocab-llama-spm.gguf", 32000, "llama", 0},
        {"ggml-vocab-phi-3.gguf", 32064, "llama", 0},
        {"ggml-vocab-refact.gguf", 49216, "gpt2", 48891},
        {"ggml-vocab-starcoder.gguf", 49152, "gpt2", 48872},
    };
    if (!tu_shared())
        cr_skip_test("../shared is absent: llama.cpp vocab files not available");
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char *rel = tu_fmt("golden/vocab/%s", files[i].name);
        char *p = tu_shared_path(rel);
        free(rel);
        cr_assert(p != NULL, "%s missing from shared/golden/vocab", files[i].name);
        gguf_file *f;
        el_error_clear(&err);
        must(gguf_open(&f, p, &err));
        const gguf_array *tok, *types;
        cr_assert_eq(gguf_get_arr(f, "tokenizer.ggml.tokens", &tok), 1);
        cr_assert_eq(tok->n, files[i].tokens, "%s: %llu tokens", files[i].name, (unsigned long long)tok->n);
        cr_assert_eq(gguf_get_arr(f, "tokenizer.ggml.token_type", &types), 1);
        cr_assert_eq(types->n, files[i].tokens);
        gguf_str model;
        cr_assert_eq(gguf_get_str(f, "tokenizer.ggml.model", &model), 1);
        cr_assert(model.len == strlen(files[i].model) && memcmp(model.ptr, files[i].model, model.len) == 0);
        const gguf_array *merges;
        if (files[i].merges) {
            cr_assert_eq(gguf_get_arr(f, "tokenizer.ggml.merges", &merges), 1);
            cr_assert_eq(merges->n, files[i].merges);
        }
        cr_log_info("%s: %llu tokens", files[i].name, (unsigned long long)tok->n);
        gguf_close(f);
        free(p);
    }
}

/* ---- hostile input ---------------------------------------------------------------- */

/* tu_byte_flips's parser: gguf_parse, then the last byte of every tensor it accepted */
static int parse_touch(const uint8_t *b, size_t n, const char *name, el_error *e)
{
    gguf_file *f = NULL;
    const int rc = gguf_parse(&f, b, n, name, e);
    if (!rc)
        for (uint64_t i = 0; i < f->n_tensors; i++)
            if (f->tensors[i].size)
                (void)*(volatile const uint8_t *)(f->tensors[i].data + f->tensors[i].size - 1);
    gguf_close(f);
    return rc;
}

/* parse_touch on a copy of exactly n bytes, so any read past the end is caught by ASan */
static int parse_copy(const uint8_t *data, size_t n, char *msg, size_t cap)
{
    return tu_parse_copy(parse_touch, data, n, "mem.gguf", msg, cap);
}

static uint8_t *small_file(size_t *n)
{
    char *dir = tu_tmpdir("gguf");
    char *path = tu_fmt("%s/small.gguf", dir);
    gguf_writer *w;
    el_error_clear(&err);
    must(gguf_writer_open(&w, path, &err));
    must(gguf_add_str(w, "a.str", "hi", &err));
    static const uint32_t three[] = {1, 2, 3};
    must(gguf_add_arr(w, "a.arr", GGUF_TYPE_UINT32, three, 3, &err));
    int64_t ne = 8;
    must(gguf_add_tensor(w, "t", EL_TYPE_F32, 1, &ne, &err));
    float data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    must(gguf_writer_begin_data(w, &err));
    must(gguf_writer_write(w, data, sizeof data, &err));
    must(gguf_writer_finish(w, &err));
    uint8_t *b = tu_read(path, n);
    cr_assert(b);
    free(path);
    tu_rmtree(dir);
    free(dir);
    return b;
}

/* Byte offsets inside small_file() (layout in formats/gguf.h). */
enum {
    O_VERSION = 4, O_NTENSORS = 8, O_NKV = 16,
    O_KEY0_LEN = 24, O_KV0_TYPE = 37, O_STR_LEN = 41,
    O_KV1_TYPE = 64, O_ARR_TYPE = 68, O_ARR_N = 72,
    O_T_NAMELEN = 92, O_T_NDIMS = 101, O_T_NE0 = 105, O_T_TYPE = 113, O_T_OFF = 117,
    O_DATA = 128, SMALL_SIZE = 160,
};

Test(gguf, small_file_layout)
{
    size_t n;
    uint8_t *b = small_file(&n);
    cr_assert_eq(n, SMALL_SIZE);
    cr_assert_eq(el_rd32(b + O_KV0_TYPE), GGUF_TYPE_STRING);
    cr_assert_eq(el_rd64(b + O_STR_LEN), 2);
    cr_assert_eq(el_rd32(b + O_KV1_TYPE), GGUF_TYPE_ARRAY);
    cr_assert_eq(el_rd64(b + O_ARR_N), 3);
    cr_assert_eq(el_rd64(b + O_T_NAMELEN), 1);
    cr_assert_eq(el_rd32(b + O_T_NDIMS), 1);
    cr_assert_eq(el_rd64(b + O_T_NE0), 8);
    cr_assert_eq(el_rd32(b + O_T_TYPE), EL_TYPE_F32);
    cr_assert_eq(el_rd64(b + O_T_OFF), 0);
    cr_assert_eq(el_rdf32(b + O_DATA + 4), 2.0f);
    cr_assert_eq(parse_copy(b, n, NULL, 0), 0);
    free(b);
}

Test(gguf, truncated_at_every_byte)
{
    size_t n;
    uint8_t *b = small_file(&n);
    for (size_t len = 0; len < n; len++) {
        char msg[1024];
        int rc = parse_copy(b, len, msg, sizeof msg);
        cr_assert(rc != 0, "a file truncated to %zu of %zu bytes was accepted", len, n);
        cr_assert(msg[0] != '\0', "no message for truncation at %zu", len);
    }
    free(b);
}

static void expect_fail(const uint8_t *orig, size_t n, size_t off, const void *val, size_t vlen, const char *needle)
{
    uint8_t *b = malloc(n);
    memcpy(b, orig, n);
    memcpy(b + off, val, vlen);
    char msg[1024];
    int rc = parse_copy(b, n, msg, sizeof msg);
    cr_assert(rc != 0, "patch at %zu accepted (expected '%s')", off, needle);
    cr_assert(strstr(msg, needle) != NULL, "patch at %zu: message '%s' lacks '%s'", off, msg, needle);
    free(b);
}

Test(gguf, hostile_header_fields)
{
    size_t n;
    uint8_t *b = small_file(&n);
    uint64_t huge = 0xffffffffffffffffull, big = 1ull << 40;
    uint32_t v;
    expect_fail(b, n, 0, "GGUX", 4, "not a GGUF file");
    v = 1;
    expect_fail(b, n, O_VERSION, &v, 4, "version 1");
    v = 4;
    expect_fail(b, n, O_VERSION, &v, 4, "version 4");
    v = 0x03000000;
    expect_fail(b, n, O_VERSION, &v, 4, "big-endian");
    expect_fail(b, n, O_NTENSORS, &huge, 8, "tensors");
    expect_fail(b, n, O_NKV, &huge, 8, "metadata entries");
    expect_fail(b, n, O_NKV, &big, 8, "metadata entries");
    expect_fail(b, n, O_KEY0_LEN, &huge, 8, "length");
    v = 99;
    expect_fail(b, n, O_KV0_TYPE, &v, 4, "unknown value type");
    expect_fail(b, n, O_STR_LEN, &huge, 8, "length");
    expect_fail(b, n, O_STR_LEN, &big, 8, "length");
    v = 13;
    expect_fail(b, n, O_ARR_TYPE, &v, 4, "unknown element type");
    expect_fail(b, n, O_ARR_N, &huge, 8, "array");
    uint64_t slightly = 4;
    expect_fail(b, n, O_ARR_N, &slightly, 8, ""); /* shifts everything after: must still fail cleanly */
    v = 5;
    expect_fail(b, n, O_T_NDIMS, &v, 4, "dimensions");
    expect_fail(b, n, O_T_NE0, &huge, 8, "negative");
    uint64_t ovf = 1ull << 62; /* 2^62 f32 = 2^64 bytes */
    expect_fail(b, n, O_T_NE0, &ovf, 8, "overflows");
    uint64_t large = 1ull << 40;
    expect_fail(b, n, O_T_NE0, &large, 8, "past the end");
    v = 4; /* removed type id */
    expect_fail(b, n, O_T_TYPE, &v, 4, "unknown ggml type");
    v = 1000;
    expect_fail(b, n, O_T_TYPE, &v, 4, "unknown ggml type");
    v = EL_TYPE_Q4_0; /* 8 elements is not a multiple of 32 */
    expect_fail(b, n, O_T_TYPE, &v, 4, "block size");
    uint64_t mis = 4;
    expect_fail(b, n, O_T_OFF, &mis, 8, "alignment");
    uint64_t far = 1ull << 32;
    expect_fail(b, n, O_T_OFF, &far, 8, "past the end");
    expect_fail(b, n, O_T_OFF, &huge, 8, "");
    free(b);
}

Test(gguf, hostile_alignment_and_duplicates)
{
    char *dir = tu_tmpdir("gguf");
    char *path = tu_fmt("%s/x.gguf", dir);
    /* duplicate keys can't be written by our writer, so patch the second key's name */
    gguf_writer *w;
    el_error_clear(&err);
    must(gguf_writer_open(&w, path, &err));
    must(gguf_add_u32(w, "general.alignment", 32, &err));
    must(gguf_add_u32(w, "general.alignmenX", 3, &err));
    must(gguf_writer_finish(w, &err));
    size_t n;
    uint8_t *b = tu_read(path, &n);
    /* second key "general.alignmenX" starts after header(24) + 8 + 17 + 4 + 4 = 57; its text at 65 */
    cr_assert(memcmp(b + 65, "general.alignmenX", 17) == 0);
    expect_fail(b, n, 65 + 16, "t", 1, "duplicate metadata key");
    /* alignment 3 */
    uint32_t three = 3;
    expect_fail(b, n, 24 + 8 + 17 + 4, &three, 4, "power of two");
    free(b);
    /* alignment of another type: write "general.alignmenZ" as u64, then rename it */
    must(gguf_writer_open(&w, path, &err));
    must(gguf_add_u64(w, "general.alignmenZ", 32, &err));
    must(gguf_writer_finish(w, &err));
    b = tu_read(path, &n);
    cr_assert(memcmp(b + 32, "general.alignmenZ", 17) == 0);
    expect_fail(b, n, 32 + 16, "t", 1, "must be u32");
    free(b);
    /* writer refuses what the reader would refuse */
    must(gguf_writer_open(&w, path, &err));
    el_error_clear(&err);
    cr_assert(gguf_add_u32(w, "general.alignment", 24, &err) != 0);
    el_error_clear(&err);
    must(gguf_add_u32(w, "k", 1, &err));
    cr_assert(gguf_add_u32(w, "k", 2, &err) == EL_EDUP);
    el_error_clear(&err);
    int64_t ne = 33;
    cr_assert(gguf_add_tensor(w, "q", EL_TYPE_Q8_0, 1, &ne, &err) == EL_ESHAPE);
    el_error_clear(&err);
    char longname[80];
    memset(longname, 'a', 70);
    longname[70] = 0;
    ne = 4;
    cr_assert(gguf_add_tensor(w, longname, EL_TYPE_F32, 1, &ne, &err) != 0);
    el_error_clear(&err);
    must(gguf_add_tensor(w, "ok", EL_TYPE_F32, 1, &ne, &err));
    cr_assert(gguf_add_tensor(w, "ok", EL_TYPE_F32, 1, &ne, &err) == EL_EDUP);
    el_error_clear(&err);
    must(gguf_writer_begin_data(w, &err));
    /* finishing with missing data fails and leaves no file */
    unlink(path);
    cr_assert(gguf_writer_finish(w, &err) != 0);
    cr_assert(access(path, F_OK) != 0, "a failed writer left a file behind");
    free(path);
    tu_rmtree(dir);
    free(dir);
}

/* Every single-byte corruption of the header region: error or success, never a crash (that part needs
 * ASan to mean much), and every error keeps core/error.h's contract: a non-zero code that is the one
 * returned, err.path the file's name, a one-line message, an offset inside the file. One flip per
 * offset (the values in turn) is also written to disk for `edgelm inspect`: where the library refused
 * the bytes the binary exits 1, and any failure of it is one line on stderr naming the file. */
Test(gguf, byte_flips_never_crash, .timeout = 120)
{
    size_t n;
    uint8_t *b = small_file(&n);
    char *dir = KT("flip"), *path = KF("%s/flip.gguf", dir);
    static const uint8_t vals[] = {0x00, 0x01, 0x7f, 0x80, 0xff};
    const int refused = tu_byte_flips(b, n, O_DATA, vals, sizeof vals, "mem.gguf", path, parse_touch);
    cr_assert_gt(refused, 100, "only %d of %d flips refused: the test exercises too little", refused,
                 (int)(O_DATA * sizeof vals));
    free(b);
    tu_rmtree(dir);
    tu_release();
}

Test(gguf, version_2_reads_like_3)
{
    size_t n;
    uint8_t *b = small_file(&n);
    el_wr32(b + O_VERSION, 2);
    gguf_file *f;
    el_error_clear(&err);
    must(gguf_parse(&f, b, n, "v2", &err));
    cr_assert_eq(f->version, 2);
    cr_assert_eq(f->n_tensors, 1);
    cr_assert_eq(el_rdf32(gguf_find_tensor(f, "t")->data + 28), 8.0f);
    gguf_close(f);
    free(b);
}

Test(gguf, deep_nesting_refused)
{
    /* hand-built: one key whose value is arrays nested 20 deep */
    uint8_t buf[1024];
    size_t o = 0;
    memcpy(buf, "GGUF", 4);
    el_wr32(buf + 4, 3);
    el_wr64(buf + 8, 0);
    el_wr64(buf + 16, 1);
    o = 24;
    el_wr64(buf + o, 1);
    buf[o + 8] = 'k';
    o += 9;
    el_wr32(buf + o, GGUF_TYPE_ARRAY);
    o += 4;
    for (int d = 0; d < 20; d++) {
        el_wr32(buf + o, GGUF_TYPE_ARRAY);
        el_wr64(buf + o + 4, 1);
        o += 12;
    }
    el_wr32(buf + o, GGUF_TYPE_UINT8);
    el_wr64(buf + o + 4, 0);
    o += 12;
    char msg[1024];
    cr_assert(parse_copy(buf, o, msg, sizeof msg) != 0);
    cr_assert(strstr(msg, "nested") != NULL, "%s", msg);
}

Test(gguf, type_table)
{
    /* sizes from ggml-common.h's block structs */
    cr_assert_eq(el_type_get(EL_TYPE_Q4_0)->type_size, 18);
    cr_assert_eq(el_type_get(EL_TYPE_Q6_K)->type_size, 210);
    cr_assert_eq(el_type_get(EL_TYPE_IQ4_XS)->type_size, 136);
    cr_assert_eq(el_type_get(EL_TYPE_TQ1_0)->type_size, 54);
    cr_assert(el_type_get(4) == NULL && el_type_get(31) == NULL && el_type_get(39) == NULL);
    cr_assert_eq(el_type_from_name("Q4_K"), EL_TYPE_Q4_K);
    cr_assert_eq(el_type_from_name("bf16"), EL_TYPE_BF16);
    cr_assert_eq(el_type_from_name("nope"), -1);
    uint64_t bytes;
    cr_assert(!el_type_row_bytes(EL_TYPE_Q4_K, 255, &bytes));
    cr_assert(el_type_row_bytes(EL_TYPE_Q4_K, 512, &bytes) && bytes == 288);
    cr_assert_float_eq(el_type_bpw(EL_TYPE_Q4_0), 4.5, 1e-12);
}
