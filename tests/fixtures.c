/*
 * tests/fixtures.c - files the suites share: a GGUF holding every metadata
 * value type and several tensor types (fx_write_gguf).
 */
#include "tests/fixtures.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/ggml_type.h"
#include "formats/gguf.h"

void fx_must(const el_error *e, int rc)
{
    cr_assert(rc == 0, "unexpected error %d: %s: %s", rc, e->path, e->msg);
}

/* Tensor data: deterministic bytes. */
void fx_fill_bytes(uint8_t *p, uint64_t n, uint32_t salt)
{
    for (uint64_t i = 0; i < n; i++)
        p[i] = (uint8_t)((i * 2654435761u + salt) >> 7);
}

const fixture_tensor fixture_tensors[] = {
    {"token_embd.weight", EL_TYPE_F32, 2, {7, 3}},
    {"blk.0.attn_norm.weight", EL_TYPE_F16, 1, {64}},
    {"blk.0.attn_q.weight", EL_TYPE_Q4_0, 2, {64, 2}},
    {"blk.0.ffn_up.weight", EL_TYPE_Q8_0, 3, {32, 4, 2}},
    {"blk.0.ffn_down.weight", EL_TYPE_Q4_K, 2, {256, 3}},
    {"blk.0.x.weight", EL_TYPE_BF16, 4, {2, 3, 4, 5}},
    {"output.weight", EL_TYPE_F32, 2, {8, 8}},
};
const size_t fixture_n_tensors = sizeof fixture_tensors / sizeof fixture_tensors[0];
#define N_FT fixture_n_tensors

static const uint8_t u8s[] = {0, 1, 255};
static const int8_t i8s[] = {-128, 0, 127};
static const uint16_t u16s[] = {0, 65535};
static const int16_t i16s[] = {-32768, 32767};
static const uint32_t u32s[] = {0, 4000000000u, 7};
static const int32_t i32s[] = {-2000000000, 2000000000};
static const float f32s[] = {3.25f, -0.0f, 1e-30f};
static const uint8_t bools[] = {1, 0, 1};
static const uint64_t u64s[] = {0, 9223372036854775813ull};
static const int64_t i64s[] = {-4611686018427387904ll, 42};
static const double f64s[] = {1e300, -2.5};
const char *const strs[] = {"", "héllo ✓", "<|endoftext|>", "a b"};


void fx_write_gguf(const char *path, uint32_t align, bool nested)
{
    el_error err;
    gguf_writer *w;
    el_error_clear(&err);
    fx_must(&err, gguf_writer_open(&w, path, &err));
    if (align)
        fx_must(&err, gguf_add_u32(w, "general.alignment", align, &err));
    fx_must(&err, gguf_add_str(w, "general.architecture", "llama", &err));
    gguf_value v;
    v = (gguf_value){.type = GGUF_TYPE_UINT8, .u64 = 200};
    fx_must(&err, gguf_add(w, "t.u8", &v, &err));
    v = (gguf_value){.type = GGUF_TYPE_INT8, .i64 = -100};
    fx_must(&err, gguf_add(w, "t.i8", &v, &err));
    v = (gguf_value){.type = GGUF_TYPE_UINT16, .u64 = 60000};
    fx_must(&err, gguf_add(w, "t.u16", &v, &err));
    v = (gguf_value){.type = GGUF_TYPE_INT16, .i64 = -30000};
    fx_must(&err, gguf_add(w, "t.i16", &v, &err));
    fx_must(&err, gguf_add_u32(w, "t.u32", 4000000000u, &err));
    fx_must(&err, gguf_add_i32(w, "t.i32", -2000000000, &err));
    fx_must(&err, gguf_add_f32(w, "t.f32", 3.14159f, &err));
    fx_must(&err, gguf_add_bool(w, "t.bool_true", true, &err));
    fx_must(&err, gguf_add_bool(w, "t.bool_false", false, &err));
    fx_must(&err, gguf_add_str(w, "t.str", "héllo wörld ✓", &err));
    fx_must(&err, gguf_add_str(w, "t.str_empty", "", &err));
    fx_must(&err, gguf_add_u64(w, "t.u64", 18446744073709551615ull, &err));
    v = (gguf_value){.type = GGUF_TYPE_INT64, .i64 = INT64_MIN};
    fx_must(&err, gguf_add(w, "t.i64", &v, &err));
    v = (gguf_value){.type = GGUF_TYPE_FLOAT64, .f64 = -1.0e-300};
    fx_must(&err, gguf_add(w, "t.f64", &v, &err));
    fx_must(&err, gguf_add_arr(w, "a.u8", GGUF_TYPE_UINT8, u8s, 3, &err));
    fx_must(&err, gguf_add_arr(w, "a.i8", GGUF_TYPE_INT8, i8s, 3, &err));
    fx_must(&err, gguf_add_arr(w, "a.u16", GGUF_TYPE_UINT16, u16s, 2, &err));
    fx_must(&err, gguf_add_arr(w, "a.i16", GGUF_TYPE_INT16, i16s, 2, &err));
    fx_must(&err, gguf_add_arr(w, "a.u32", GGUF_TYPE_UINT32, u32s, 3, &err));
    fx_must(&err, gguf_add_arr(w, "a.i32", GGUF_TYPE_INT32, i32s, 2, &err));
    fx_must(&err, gguf_add_arr(w, "a.f32", GGUF_TYPE_FLOAT32, f32s, 3, &err));
    fx_must(&err, gguf_add_arr(w, "a.bool", GGUF_TYPE_BOOL, bools, 3, &err));
    fx_must(&err, gguf_add_arr(w, "a.u64", GGUF_TYPE_UINT64, u64s, 2, &err));
    fx_must(&err, gguf_add_arr(w, "a.i64", GGUF_TYPE_INT64, i64s, 2, &err));
    fx_must(&err, gguf_add_arr(w, "a.f64", GGUF_TYPE_FLOAT64, f64s, 2, &err));
    fx_must(&err, gguf_add_str_arr(w, "a.str", strs, 4, &err));
    fx_must(&err, gguf_add_arr(w, "a.empty", GGUF_TYPE_INT32, NULL, 0, &err));
    fx_must(&err, gguf_add_str_arr(w, "a.empty_str", NULL, 0, &err));
    /* large arrays */
    uint32_t *big = malloc(LARGE_N * sizeof *big);
    char **bigs = malloc(LARGE_N * sizeof *bigs);
    char *pool = malloc(LARGE_N * 12);
    cr_assert(big && bigs && pool);
    for (uint32_t i = 0; i < LARGE_N; i++) {
        big[i] = i * 7u;
        bigs[i] = pool + 12 * i;
        snprintf(bigs[i], 12, "tok%u", i);
    }
    fx_must(&err, gguf_add_arr(w, "a.large_u32", GGUF_TYPE_UINT32, big, LARGE_N, &err));
    fx_must(&err, gguf_add_str_arr(w, "a.large_str", (const char *const *)bigs, LARGE_N, &err));
    free(big);
    free(bigs);
    free(pool);
    /* nested: [[1,2,3],[],[-4]] and [["x"],["y","z"]] (llama.cpp itself does not read these) */
    if (nested) {
    static const int32_t n0[] = {1, 2, 3}, n2[] = {-4};
    gguf_value items[3] = {
        {.type = GGUF_TYPE_ARRAY, .arr = {.type = GGUF_TYPE_INT32, .n = 3, .data = n0}},
        {.type = GGUF_TYPE_ARRAY, .arr = {.type = GGUF_TYPE_INT32, .n = 0, .data = NULL}},
        {.type = GGUF_TYPE_ARRAY, .arr = {.type = GGUF_TYPE_INT32, .n = 1, .data = n2}},
    };
    v = (gguf_value){.type = GGUF_TYPE_ARRAY, .arr = {.type = GGUF_TYPE_ARRAY, .n = 3, .items = items}};
    fx_must(&err, gguf_add(w, "a.nested", &v, &err));
    gguf_str sx[] = {{1, "x"}}, syz[] = {{1, "y"}, {1, "z"}};
    gguf_value sitems[2] = {
        {.type = GGUF_TYPE_ARRAY, .arr = {.type = GGUF_TYPE_STRING, .n = 1, .strs = sx}},
        {.type = GGUF_TYPE_ARRAY, .arr = {.type = GGUF_TYPE_STRING, .n = 2, .strs = syz}},
    };
    v = (gguf_value){.type = GGUF_TYPE_ARRAY, .arr = {.type = GGUF_TYPE_ARRAY, .n = 2, .items = sitems}};
    fx_must(&err, gguf_add(w, "a.nested_str", &v, &err));
    }

    for (size_t i = 0; i < N_FT; i++)
        fx_must(&err, gguf_add_tensor(w, fixture_tensors[i].name, fixture_tensors[i].type, fixture_tensors[i].n_dims,
                             fixture_tensors[i].ne, &err));
    fx_must(&err, gguf_writer_begin_data(w, &err));
    for (size_t i = 0; i < N_FT; i++) {
        uint64_t row, nrows = 1, bytes;
        cr_assert(el_type_row_bytes(fixture_tensors[i].type, (uint64_t)fixture_tensors[i].ne[0], &row));
        for (uint32_t d = 1; d < fixture_tensors[i].n_dims; d++)
            nrows *= (uint64_t)fixture_tensors[i].ne[d];
        bytes = row * nrows;
        uint8_t *data = malloc(bytes);
        fx_fill_bytes(data, bytes, (uint32_t)i);
        /* stream in two uneven pieces to exercise partial writes */
        uint64_t half = bytes / 3;
        fx_must(&err, gguf_writer_write(w, data, half, &err));
        fx_must(&err, gguf_writer_write(w, data + half, bytes - half, &err));
        free(data);
    }
    fx_must(&err, gguf_writer_finish(w, &err));
}

