/*
 * formats/vocab.h - a tokenizer vocabulary in one internal form, whatever it
 * was read from: a Hugging Face folder (tokenizer.json, tokenizer.model,
 * tokenizer_config.json, config.json) or a GGUF's tokenizer.ggml.* keys.
 * convert writes it to GGUF; the engine's tokenizer runs on it.
 *
 * Two families, as llama.cpp names them:
 *   EL_VOCAB_BPE ("gpt2")  byte-level BPE: tokens are spelled with GPT-2's
 *                          byte-to-unicode map, merges are ranked pairs,
 *                          `pre` names the pre-tokenizer (llama-bpe, qwen2, ...)
 *   EL_VOCAB_SPM ("llama") SentencePiece BPE: pieces with scores (higher merges
 *                          first), "▁" for spaces, <0xNN> byte-fallback pieces
 *
 * Token types are llama.cpp's (and SentencePiece's): 1 normal, 2 unknown,
 * 3 control, 4 user-defined, 5 unused, 6 byte.
 */
#ifndef EL_FORMATS_VOCAB_H
#define EL_FORMATS_VOCAB_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "formats/gguf.h"
#include "formats/hf_config.h"

enum { EL_VOCAB_NONE = 0, EL_VOCAB_SPM = 1, EL_VOCAB_BPE = 2 };

enum {
    EL_TOK_UNDEFINED = 0,
    EL_TOK_NORMAL = 1,
    EL_TOK_UNKNOWN = 2,
    EL_TOK_CONTROL = 3,
    EL_TOK_USER_DEFINED = 4,
    EL_TOK_UNUSED = 5,
    EL_TOK_BYTE = 6,
};

/* Special token roles, in llama.cpp's key order. */
enum { EL_SPECIAL_BOS, EL_SPECIAL_EOS, EL_SPECIAL_UNK, EL_SPECIAL_SEP, EL_SPECIAL_PAD, EL_SPECIAL_CLS,
       EL_SPECIAL_MASK, EL_SPECIAL_COUNT };

typedef struct el_vocab {
    int type;                   /* EL_VOCAB_* */
    char pre[48];               /* tokenizer.ggml.pre ("default" for SPM) */
    uint32_t n_tokens;
    char **tokens;              /* NUL-terminated UTF-8 texts */
    float *scores;              /* n_tokens (SPM; NULL for BPE) */
    int32_t *types;             /* n_tokens, EL_TOK_* */
    uint32_t n_merges;
    char **merges;              /* "left right" (BPE) */
    int64_t special[EL_SPECIAL_COUNT]; /* ids, -1 when absent */
    int add_bos, add_eos;       /* 1/0, -1 unknown */
    int add_space_prefix;       /* SPM: prepend "▁" to the text; -1 unknown */
    char *chat_template;        /* NULL when none */
    /* what the source said that llama.cpp has no key for (used by the engine's tokenizer) */
    bool ignore_merges;         /* Llama 3: whole-word tokens win over merges */
    int normalizer_nfc;         /* tokenizer.json asks for NFC (Qwen) */
    char *hf_normalizer;        /* tokenizer.json "normalizer", compact JSON, or NULL */
    char *hf_pre_tokenizer;     /* tokenizer.json "pre_tokenizer", compact JSON, or NULL */
    /* storage */
    char *arena;                /* token and merge texts */
    uint64_t arena_len, arena_cap;
} el_vocab;

/* Names of llama.cpp's special-token keys ("bos" ... "mask") and GGUF key suffixes. */
const char *el_special_name(int role);

/*
 * Read the tokenizer of a Hugging Face folder. `cfg` gives vocab_size (the
 * token list is padded to it with "[PADn]" unused tokens, as llama.cpp does)
 * and the *_token_id fallbacks. Precedence, as llama.cpp's converter:
 * tokenizer.json for the token list, merges and added tokens; tokenizer.model
 * for SentencePiece scores and types when present; tokenizer_config.json for
 * special tokens, add_bos/add_eos and the chat template; config.json for
 * special ids still unset. An unknown pre-tokenizer is an error naming it.
 */
int el_vocab_from_hf(el_vocab *v, const char *dir, const hf_config *cfg, el_error *err);

/* Read tokenizer.ggml.* from a GGUF. */
int el_vocab_from_gguf(el_vocab *v, const gguf_file *f, el_error *err);

/* Write tokenizer.ggml.* and tokenizer.chat_template. */
int el_vocab_to_gguf(const el_vocab *v, gguf_writer *w, el_error *err);

void el_vocab_free(el_vocab *v);

/* ---- internals shared by the vocab_*.c files ---------------------------------- */

int el_vocab_alloc(el_vocab *v, uint32_t n_tokens, bool with_scores, el_error *err);
/* Copy a string into the arena; returns it, NULL on OOM. */
char *el_vocab_strdup(el_vocab *v, const char *s, uint64_t len);

/* The split regexes of the "llama-bpe", "qwen2" and "gpt-4o" pre-tokenizers, as tokenizer.json spells them:
 * formats/pretok.c recognises them there, engine/tokenizer/tok_pre.c runs them. */
#define EL_RE_LLAMA3                                                                                            \
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|" \
    "\\s+(?!\\S)|\\s+"
#define EL_RE_QWEN2                                                                                             \
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|"      \
    "\\s+(?!\\S)|\\s+"
/* o200k (GPT-4o, Phi-4-mini): a word is optional uppercase then lowercase letters (or the reverse), its
 * contraction attached; digits in threes; punctuation keeps a trailing '/' or newlines */
#define EL_RE_O200K                                                                                             \
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|" \
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|" \
    "\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"

/*
 * Decide tokenizer.ggml.pre from a tokenizer.json "pre_tokenizer" (may be
 * NULL/null). Writes the name into `pre` (cap bytes); on failure, err names
 * the unrecognised part (the regex, or the pre-tokenizer type).
 */
int el_pretok_classify(const void *pre_tokenizer_json, bool deepseek_bos, const char *path, char *pre, size_t cap,
                       el_error *err);

/*
 * The largest token id in a tokenizer.json (a jansson object): model.vocab's (token -> id), and
 * added_tokens' when with_added; -1 when there is none.
 */
int64_t el_tokenizer_json_max_id(const void *tokenizer_json, bool with_added);

/*
 * Parse a SentencePiece tokenizer.model (protobuf ModelProto) into v as an
 * SPM vocabulary of at least `vocab_size` tokens.
 */
int el_spm_model_load(el_vocab *v, const char *path, int64_t vocab_size, el_error *err);

#endif
