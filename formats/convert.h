/*
 * formats/convert.h - Hugging Face checkpoint -> GGUF, streamed.
 *
 * One tensor stream: safetensors shards are read through mmap a chunk of
 * rows at a time, transformed (llama Q/K row permutation, Gemma's norm + 1,
 * type conversion or Q8_0 quantization) and written by the streaming GGUF
 * writer, so peak memory is a few chunk buffers plus the tokenizer, never the
 * model. Metadata and tensor names are those llama.cpp's converter writes
 * for each architecture (see docs/convert.md for the per-family list).
 */
#ifndef EL_FORMATS_CONVERT_H
#define EL_FORMATS_CONVERT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "core/log.h"
#include "core/progress.h"

#define EL_OUTTYPE_AUTO (-1) /* keep the checkpoint's float type */

/*
 * Another module's say over the tensors (`edgelm quantize MODEL_DIR`: convert and quantize in one pass;
 * formats/ does not depend on quant/, the quantizer supplies this). plan() sees the model's counts and
 * every tensor once the conversion plan is made, and may give any of them another type, taking over writing its rows (own);
 * an error there stops the conversion before a byte is written. row() then writes each row of an owned
 * tensor (x: its values as f32; scratch: cols floats of the calling thread's) with its squared error
 * and largest error, and done() gets their sums (in row order, the same for any thread count).
 */
typedef struct el_convert_tensor {
    const char *name;
    uint32_t src_type;       /* the checkpoint's (ggml type) */
    uint32_t n_dims;
    int64_t ne[2];
    uint32_t type;           /* convert's choice; plan() may change it */
    bool own;                /* plan(): the hook writes the rows */
} el_convert_tensor;

/* The model's counts, as the GGUF's metadata will hold them (block_count, attention.head_count(_kv)). */
typedef struct el_convert_model {
    uint32_t n_layer, n_head, n_head_kv;
} el_convert_model;

typedef struct el_convert_hook {
    void *ud;
    uint32_t file_type;      /* general.file_type */
    int (*plan)(void *ud, const el_convert_model *m, el_convert_tensor *t, uint64_t n, el_error *err);
    void (*row)(void *ud, uint64_t i, const float *x, int64_t cols, float *scratch, uint8_t *out, double *sse,
                double *max_abs);
    void (*done)(void *ud, uint64_t i, double sse, double max_abs);
} el_convert_hook;

typedef struct el_convert_opts {
    const char *model_dir;   /* Hugging Face folder */
    const char *out_path;    /* .gguf to write (atomically) */
    int outtype;             /* EL_TYPE_F32, F16, BF16, Q8_0 or EL_OUTTYPE_AUTO */
    const char *name;        /* general.name; NULL: the folder's name */
    bool vocab_only;         /* metadata and tokenizer, no tensors */
    int threads;             /* 0: OpenMP default */
    el_progress *progress;   /* NULL: none */
    const el_log *log;       /* NULL: silent */
    const el_convert_hook *hook; /* NULL: none */
} el_convert_opts;

typedef struct el_convert_result {
    char arch[32];           /* GGUF architecture */
    char pre[48];            /* tokenizer.ggml.pre */
    const char *tokenizer;   /* "gpt2" or "llama" */
    uint32_t n_vocab;
    uint64_t n_tensors;
    uint64_t n_params;
    uint64_t bytes;          /* output file size */
    uint32_t file_type;      /* general.file_type */
    uint32_t n_fallbacks;    /* tensors written as F16 because rows don't fit Q8_0 blocks */
    char fallbacks[1024];    /* their names, comma-separated (truncated) */
} el_convert_result;

int el_convert(const el_convert_opts *o, el_convert_result *r, el_error *err);

#endif
