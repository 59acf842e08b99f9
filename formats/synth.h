/*
 * formats/synth.h - write random-weight Hugging Face checkpoints for tests,
 * benchmarks and the demo.
 *
 * Given a config.json (or the built-in "tiny" preset) and optionally a
 * tokenizer, el_synth() writes a folder that transformers and `edgelm convert`
 * read like a real checkpoint: config.json, model.safetensors (or shards plus
 * model.safetensors.index.json) with transformers' tensor names for the
 * config's architecture, and the tokenizer files.
 *
 * Weights are deterministic per seed and independent of the thread count:
 * element i of a tensor is a function of (seed, tensor name, i) only.
 * Statistics are those of a freshly initialised model plus the features that
 * matter to quantization: linear weights ~ N(0, initializer_range) with a few
 * outlier input channels (x8, the same hidden channels in every layer, as in
 * trained LLMs), embeddings ~ N(0, initializer_range), norm weights near 1
 * (near 0 for Gemma, which applies 1 + w), biases ~ N(0, 0.1).
 */
#ifndef EL_FORMATS_SYNTH_H
#define EL_FORMATS_SYNTH_H

#include <jansson.h>
#include <stdint.h>

#include "core/error.h"
#include "core/progress.h"

typedef struct el_synth_opts {
    const char *config_path;    /* config.json, or NULL with a preset */
    const char *preset;         /* "tiny" or NULL */
    const char *tokenizer_path; /* tokenizer.json / tokenizer.model / a folder holding them; NULL: none
                                   (the tiny preset generates its own) */
    const char *out_dir;        /* created when missing */
    int dtype;                  /* st_dtype: ST_BF16, ST_F16 or ST_F32; -1 = config's torch_dtype, else bf16 */
    uint64_t seed;
    int shards;                 /* number of safetensors files (1 = model.safetensors) */
    json_t *overrides;          /* object merged into config.json (--set), or NULL */
    el_progress *progress;      /* NULL: none */
} el_synth_opts;

typedef struct el_synth_result {
    char arch[128];             /* architectures[0] */
    uint64_t n_tensors;
    uint64_t n_params;
    uint64_t bytes;             /* tensor bytes written */
    int n_shards;
    int64_t vocab_size;
    int tokenizer_files;        /* tokenizer files written or copied */
} el_synth_result;

int el_synth(const el_synth_opts *o, el_synth_result *r, el_error *err);

/* Names of the presets, for help texts. */
const char *el_synth_presets(void);

/*
 * The tiny preset's tokenizer: a byte-level BPE (GPT-2 pre-tokenizer) trained
 * on a built-in English text, 3 special tokens, `vocab` ids in all. Returns a
 * new JSON object (tokenizer.json), NULL on OOM.
 */
json_t *el_tiny_tokenizer(int vocab);

/* The built-in English text (NUL-terminated) the tiny tokenizer is trained on; the tiny preset
 * writes it beside the checkpoint as sample.txt (a text for `edgelm eval` in the demo). */
const char *el_builtin_text(void);

#endif
