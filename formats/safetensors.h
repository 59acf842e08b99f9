/*
 * formats/safetensors.h - safetensors reader (single file and sharded) and writer.
 *
 * File layout:
 *
 *   OFFSET   SIZE  DESCRIPTION
 *   0        8     u64 N, length of the JSON header
 *   8        N     JSON object, UTF-8, may end with spaces:
 *                    "NAME": {"dtype": "BF16", "shape": [d0, d1, ...],
 *                             "data_offsets": [BEGIN, END]}, ...
 *                    "__metadata__": {"key": "string value", ...}   (optional)
 *   8+N      ...   the byte buffer; BEGIN/END are relative to its start,
 *                  row-major (shape[last] moves fastest), little-endian
 *
 * The reader treats the header as hostile: N against the file size (and a
 * 100 MB cap, as the reference implementation), well-formed JSON without
 * duplicate keys, known dtypes, non-negative shapes whose element count times
 * the dtype size equals END - BEGIN without overflow, END inside the buffer,
 * and no two tensors sharing bytes.
 *
 * A "model" is what a Hugging Face folder holds: one model.safetensors or the
 * shards listed in model.safetensors.index.json; every tensor must appear in
 * exactly one shard.
 */
#ifndef EL_FORMATS_SAFETENSORS_H
#define EL_FORMATS_SAFETENSORS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "core/file.h"
#include "core/strmap.h"

#define ST_MAX_DIMS 8
#define ST_MAX_HEADER (100u * 1000u * 1000u)

typedef enum st_dtype {
    ST_BOOL,
    ST_U8,
    ST_I8,
    ST_F8_E5M2,
    ST_F8_E4M3,
    ST_I16,
    ST_U16,
    ST_F16,
    ST_BF16,
    ST_I32,
    ST_U32,
    ST_F32,
    ST_F64,
    ST_I64,
    ST_U64,
    ST_DTYPE_COUNT
} st_dtype;

const char *st_dtype_name(int dtype);          /* "BF16" */
int st_dtype_from_name(const char *name);      /* -1 when unknown */
uint32_t st_dtype_size(int dtype);             /* bytes per element */
bool st_dtype_is_float(int dtype);             /* readable with st_read_f32 */

typedef struct st_tensor {
    char *name;                  /* owned, NUL-terminated */
    int dtype;                   /* st_dtype */
    uint32_t n_dims;
    int64_t shape[ST_MAX_DIMS];  /* shape[0] is the slowest axis (PyTorch order) */
    uint64_t n_elements;
    uint64_t begin, end;         /* byte range in the buffer */
    uint64_t file_offset;        /* absolute offset of the first byte */
    const uint8_t *data;         /* into the mapping */
    int shard;                   /* index of the file in a model (0 for a single file) */
} st_tensor;

typedef struct st_file {
    el_map map;
    const char *path;            /* for messages */
    uint64_t header_len;
    uint64_t data_offset;        /* 8 + header_len */
    uint64_t n_tensors;
    st_tensor *tensors;          /* sorted by begin offset (file order) */
    json_t *metadata;            /* "__metadata__" object or NULL */
} st_file;

int st_open(st_file **out, const char *path, el_error *err);
int st_parse(st_file **out, const uint8_t *data, uint64_t size, const char *name, el_error *err);
void st_close(st_file *f);

typedef struct st_model {
    int n_shards;
    st_file **shards;
    uint64_t n_tensors;
    st_tensor **tensors;         /* all tensors, shard by shard in file order */
    el_strmap by_name;           /* name -> index into tensors */
    char *index_path;            /* model.safetensors.index.json when sharded, else NULL */
} st_model;

/*
 * Open a model from a folder (model.safetensors.index.json, else
 * model.safetensors, else the single *.safetensors file), an index file or a
 * single .safetensors file.
 */
int st_model_open(st_model **out, const char *path, el_error *err);
void st_model_close(st_model *m);
const st_tensor *st_model_find(const st_model *m, const char *name);
/* Path of the shard a tensor lives in. */
const char *st_model_shard_path(const st_model *m, const st_tensor *t);

/*
 * Convert elements [first, first+n) of a float tensor (F64, F32, F16, BF16,
 * F8_E4M3, F8_E5M2) to float32. The range must lie inside the tensor.
 */
int st_read_f32(const st_tensor *t, uint64_t first, uint64_t n, float *out, el_error *err);

/* ---- writer ------------------------------------------------------------------ */

typedef struct st_writer st_writer;

int st_writer_open(st_writer **out, const char *path, el_error *err);
/* "__metadata__" entry (string -> string). */
int st_writer_meta(st_writer *w, const char *key, const char *value, el_error *err);
/* Declare a tensor; data follows in declaration order. */
int st_writer_add(st_writer *w, const char *name, int dtype, uint32_t n_dims, const int64_t *shape,
                  el_error *err);
int st_writer_begin_data(st_writer *w, el_error *err);
int st_writer_write(st_writer *w, const void *data, uint64_t n, el_error *err);
int st_writer_finish(st_writer *w, el_error *err);
void st_writer_abort(st_writer *w);

#endif
