/*
 * formats/convert.h - Hugging Face checkpoint -> GGUF, streamed.
 *
 * Safetensors shards are read through mmap a row at a time, transformed
 * (llama Q/K row permutation, Gemma's norm + 1) and written through the
 * tensor stream (tstream.h), so peak memory is a few chunk buffers plus the
 * tokenizer, never the model. Metadata and tensor names are those llama.cpp's converter writes
 * for each architecture (see docs/convert.md for the per-family list).
 */
#ifndef EL_FORMATS_CONVERT_H
#define EL_FORMATS_CONVERT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "core/log.h"
#include "core/progress.h"
#include "formats/tstream.h"

#define EL_OUTTYPE_AUTO (-1) /* keep the checkpoint's float type */

/*
 * One tensor of the conversion, as the plan has it. Another module may give a matrix another type
 * before the data is written (`edgelm quantize MODEL_DIR`, `convert --outtype q8_0`: quant/ makes the
 * plan, formats/ writes it; formats/ does not depend on quant/): set `type` and an encoder for it
 * (formats/tstream.h); F32, F16 and BF16 need none.
 */
typedef struct el_convert_tensor {
    const char *name;
    uint32_t src_type;       /* the checkpoint's (ggml type; F32 for generated tensors) */
    uint32_t n_dims;
    int64_t ne[2];
    uint32_t type;           /* convert's choice; may be changed before el_convert_write() */
    el_tenc_fn enc;          /* NULL: type is a float type */
    const void *enc_ud;
    double sse, max_abs;     /* after el_convert_write(), for an encoded tensor: its errors */
    double aux[3];           /* and the sums of its encoder's own figures (formats/tstream.h) */
} el_convert_tensor;

/* The model's counts, as the GGUF's metadata will hold them (block_count, attention.head_count(_kv)). */
typedef struct el_convert_model {
    uint32_t n_layer, n_head, n_head_kv;
} el_convert_model;

typedef struct el_convert_opts {
    const char *model_dir;   /* Hugging Face folder */
    const char *out_path;    /* .gguf to write (atomically) */
    int outtype;             /* EL_TYPE_F32, F16, BF16 or EL_OUTTYPE_AUTO (Q8_0: quant/'s el_convert_q8_0) */
    const char *name;        /* general.name; NULL: the folder's name */
    bool vocab_only;         /* metadata and tokenizer, no tensors */
    int threads;             /* 0: OpenMP default */
    el_progress *progress;   /* NULL: none */
    const el_log *log;       /* NULL: silent */
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
    uint32_t n_fallbacks;    /* Q8_0 plans: tensors written as F16 because rows don't fit Q8_0 blocks */
    char fallbacks[1024];    /* their names, comma-separated (truncated) */
} el_convert_result;

/* Convert with float types: el_convert_open, el_convert_write, el_convert_close. */
int el_convert(const el_convert_opts *o, el_convert_result *r, el_error *err);

/*
 * The same in steps, for a caller that chooses the tensors' types. open reads config.json, the
 * checkpoint and the tokenizer and makes the plan (every check done: nothing written yet); the
 * tensors can then be changed; write writes o->out_path atomically with general.file_type
 * `file_type` (EL_CONVERT_FILE_TYPE: the float type's) and fills r; close frees (accepts NULL).
 */
typedef struct el_conversion el_conversion;
#define EL_CONVERT_FILE_TYPE UINT32_MAX
int el_convert_open(el_conversion **cv, const el_convert_opts *o, el_error *err);
el_convert_tensor *el_conversion_tensors(el_conversion *cv, uint64_t *n);
el_convert_model el_conversion_model(const el_conversion *cv);
int el_convert_write(el_conversion *cv, uint32_t file_type, el_convert_result *r, el_error *err);
void el_convert_close(el_conversion *cv);

#endif
