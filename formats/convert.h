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

typedef struct el_convert_opts {
    const char *model_dir;   /* Hugging Face folder */
    const char *out_path;    /* .gguf to write (atomically) */
    int outtype;             /* EL_TYPE_F32, F16, BF16, Q8_0 or EL_OUTTYPE_AUTO */
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
    uint32_t n_fallbacks;    /* tensors written as F16 because rows don't fit Q8_0 blocks */
    char fallbacks[1024];    /* their names, comma-separated (truncated) */
} el_convert_result;

int el_convert(const el_convert_opts *o, el_convert_result *r, el_error *err);

#endif
