/*
 * formats/gguf.h - GGUF reader (versions 2 and 3) and streaming writer (version 3).
 *
 * File layout (all little-endian; "str" = u64 length + bytes, no NUL):
 *
 *   OFFSET  SIZE  DESCRIPTION
 *   0       4     magic "GGUF"
 *   4       4     u32 version (2 or 3; 1 used u32 counts and is refused)
 *   8       8     u64 n_tensors
 *   16      8     u64 n_kv
 *   24      ...   n_kv times: str key, u32 value type, value
 *                   scalar: its bytes (bool is 1 byte, 0 or 1)
 *                   string: str
 *                   array:  u32 element type, u64 count, elements
 *                           (arrays may nest: an element can itself be an array)
 *   ...     ...   n_tensors times: str name, u32 n_dims (<= 4), u64 ne[n_dims]
 *                 (ne[0] = elements per row, the fastest-moving axis),
 *                 u32 ggml type, u64 offset (relative to the data section)
 *   ...     ...   zero padding up to a multiple of the alignment
 *   data    ...   tensor data; each tensor starts at an aligned offset
 *
 * The alignment is the u32 value of "general.alignment", default 32.
 *
 * The reader maps the file and validates everything before any pointer into it
 * is handed out (counts against the bytes left, string lengths, known value and
 * tensor types, n_dims, element-count and byte-size overflow, alignment, tensor
 * data inside the file and not overlapping, unique keys and tensor names).
 * Tensor data is never copied: gguf_tensor.data points into the mapping.
 *
 * The writer serialises metadata as it is added, then streams tensor data in
 * the order tensors were declared, so a model is never held whole in memory.
 * Output is deterministic (same calls, same bytes) and atomic (core/atomic.h).
 */
#ifndef EL_FORMATS_GGUF_H
#define EL_FORMATS_GGUF_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "core/file.h"

#define GGUF_DEFAULT_ALIGNMENT 32
#define GGUF_MAX_DIMS 4
#define GGUF_MAX_NAME 64      /* tensor names are < 64 bytes (ggml's GGML_MAX_NAME) */
#define GGUF_MAX_NESTING 8    /* arrays of arrays deeper than this are refused */

typedef enum gguf_vtype {
    GGUF_TYPE_UINT8 = 0,
    GGUF_TYPE_INT8 = 1,
    GGUF_TYPE_UINT16 = 2,
    GGUF_TYPE_INT16 = 3,
    GGUF_TYPE_UINT32 = 4,
    GGUF_TYPE_INT32 = 5,
    GGUF_TYPE_FLOAT32 = 6,
    GGUF_TYPE_BOOL = 7,
    GGUF_TYPE_STRING = 8,
    GGUF_TYPE_ARRAY = 9,
    GGUF_TYPE_UINT64 = 10,
    GGUF_TYPE_INT64 = 11,
    GGUF_TYPE_FLOAT64 = 12,
    GGUF_TYPE_COUNT = 13,
} gguf_vtype;

/* Name of a value type ("u32", "str", "arr"); "?" when unknown. */
const char *gguf_vtype_name(uint32_t t);
/* Bytes of one scalar of this type; 0 for string, array and unknown. */
uint32_t gguf_vtype_size(uint32_t t);

/* A string: not NUL-terminated when it points into a mapped file. */
typedef struct gguf_str {
    uint64_t len;
    const char *ptr;
} gguf_str;

typedef struct gguf_value gguf_value;

typedef struct gguf_array {
    uint32_t type;           /* element type */
    uint64_t n;              /* element count */
    const void *data;        /* scalar elements: n * size bytes, little-endian, maybe unaligned */
    gguf_str *strs;          /* string elements (type STRING) */
    gguf_value *items;       /* nested arrays (type ARRAY): each items[i].type == ARRAY */
} gguf_array;

struct gguf_value {
    uint32_t type;           /* gguf_vtype */
    union {
        uint64_t u64;        /* UINT8..UINT64 */
        int64_t i64;         /* INT8..INT64 */
        double f64;          /* FLOAT32, FLOAT64 */
        bool b;              /* BOOL */
        gguf_str str;        /* STRING */
        gguf_array arr;      /* ARRAY */
    };
};

typedef struct gguf_kv {
    gguf_str key;
    gguf_value v;
    uint64_t offset;         /* file offset of the key (for messages) */
} gguf_kv;

typedef struct gguf_tensor {
    char name[GGUF_MAX_NAME]; /* NUL-terminated */
    uint32_t n_dims;
    int64_t ne[GGUF_MAX_DIMS]; /* unused dims are 1 */
    uint32_t type;            /* el_type */
    uint64_t offset;          /* relative to the data section */
    uint64_t n_elements;
    uint64_t size;            /* bytes of data */
    const uint8_t *data;      /* into the mapping (NULL when parsed from a header only) */
} gguf_tensor;

typedef struct gguf_file {
    el_map map;               /* the mapped file (empty when parsed from memory) */
    const char *path;         /* for messages */
    uint32_t version;
    uint32_t alignment;
    uint64_t n_kv;
    gguf_kv *kv;
    uint64_t n_tensors;
    gguf_tensor *tensors;
    uint64_t data_offset;     /* file offset of the data section */
    uint64_t file_size;
    bool llama_cpp_layout;    /* tensors packed in order as llama.cpp requires */
} gguf_file;

/* Open and validate a GGUF file. On failure *out is NULL and err says why and where. */
int gguf_open(gguf_file **out, const char *path, el_error *err);

/*
 * Validate and index a GGUF image held in memory (tests, fuzzing). The buffer
 * must outlive the result. `name` is used in messages.
 */
int gguf_parse(gguf_file **out, const uint8_t *data, uint64_t size, const char *name, el_error *err);

/* Free; accepts NULL. */
void gguf_close(gguf_file *f);

/* Lookups: NULL / -1 when absent. */
const gguf_kv *gguf_find_kv(const gguf_file *f, const char *key);
const gguf_tensor *gguf_find_tensor(const gguf_file *f, const char *name);

/*
 * Typed getters: return 1 when the key exists with a compatible type (any
 * integer type that fits for the integer getters, f32/f64 for floats), 0 when
 * absent, -1 when present with another type or out of range.
 */
int gguf_get_u64(const gguf_file *f, const char *key, uint64_t *out);
int gguf_get_i64(const gguf_file *f, const char *key, int64_t *out);
int gguf_get_u32(const gguf_file *f, const char *key, uint32_t *out);
int gguf_get_f64(const gguf_file *f, const char *key, double *out);
int gguf_get_bool(const gguf_file *f, const char *key, bool *out);
int gguf_get_str(const gguf_file *f, const char *key, gguf_str *out);
int gguf_get_arr(const gguf_file *f, const char *key, const gguf_array **out);

/* Element i of a scalar array as integer / double (no type check beyond scalar). */
int64_t gguf_arr_i64(const gguf_array *a, uint64_t i);
uint64_t gguf_arr_u64(const gguf_array *a, uint64_t i);
double gguf_arr_f64(const gguf_array *a, uint64_t i);

/* ---- writer ------------------------------------------------------------ */

typedef struct gguf_writer gguf_writer;

/* Start a GGUF v3 file at `path` (written atomically on gguf_writer_finish). */
int gguf_writer_open(gguf_writer **out, const char *path, el_error *err);

/*
 * Add a metadata value (deep-copied). Keys must be unique and non-empty.
 * "general.alignment" must be a UINT32 power of two and sets the alignment.
 * All metadata and tensor declarations come before gguf_writer_begin_data().
 */
int gguf_add(gguf_writer *w, const char *key, const gguf_value *v, el_error *err);
int gguf_add_u32(gguf_writer *w, const char *key, uint32_t v, el_error *err);
int gguf_add_i32(gguf_writer *w, const char *key, int32_t v, el_error *err);
int gguf_add_u64(gguf_writer *w, const char *key, uint64_t v, el_error *err);
int gguf_add_f32(gguf_writer *w, const char *key, float v, el_error *err);
int gguf_add_bool(gguf_writer *w, const char *key, bool v, el_error *err);
int gguf_add_str(gguf_writer *w, const char *key, const char *v, el_error *err);
/* Scalar array: n elements of `type`, data in little-endian layout. */
int gguf_add_arr(gguf_writer *w, const char *key, uint32_t type, const void *data, uint64_t n, el_error *err);
/* String array (NUL-terminated strings). */
int gguf_add_str_arr(gguf_writer *w, const char *key, const char *const *strs, uint64_t n, el_error *err);

/*
 * Declare a tensor: name (< 64 bytes, unique), ggml type, dims (ne[0] first,
 * a multiple of the type's block size).
 */
int gguf_add_tensor(gguf_writer *w, const char *name, uint32_t type, uint32_t n_dims, const int64_t *ne,
                    el_error *err);

/* Write the header, metadata and tensor infos; after this, only data. */
int gguf_writer_begin_data(gguf_writer *w, el_error *err);

/*
 * Stream tensor bytes, in declaration order. A call may cover part of a
 * tensor or the end of one and the start of the next; padding between
 * tensors is inserted automatically.
 */
int gguf_writer_write(gguf_writer *w, const void *data, uint64_t n, el_error *err);

/* Check every tensor got all its bytes, then commit the file. Frees the writer. */
int gguf_writer_finish(gguf_writer *w, el_error *err);

/* Discard (no file is left behind). Accepts NULL. */
void gguf_writer_abort(gguf_writer *w);

/* Bytes the file will have (valid after begin_data). */
uint64_t gguf_writer_total_size(const gguf_writer *w);

#endif
