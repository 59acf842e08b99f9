/*
 * tests/fixtures.h - test files shared by several suites.
 */
#ifndef EL_TESTS_FIXTURES_H
#define EL_TESTS_FIXTURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef struct fixture_tensor {
    const char *name;
    uint32_t type;
    uint32_t n_dims;
    int64_t ne[4];
} fixture_tensor;

extern const fixture_tensor fixture_tensors[];
extern const size_t fixture_n_tensors;
extern const char *const strs[];

#define LARGE_N 100000

/* Deterministic tensor bytes. */
void fx_fill_bytes(uint8_t *p, uint64_t n, uint32_t salt);

/*
 * A GGUF with every metadata value type (scalars with edge values, arrays of
 * each, empty and 100k-element arrays, nested arrays when `nested`) and the
 * tensors of fixture_tensors[] filled by fx_fill_bytes. align 0 = default.
 */
void fx_write_gguf(const char *path, uint32_t align, bool nested);

/* Fail the test with the error record when rc != 0. */
void fx_must(const el_error *e, int rc);

#endif
