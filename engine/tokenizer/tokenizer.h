/*
 * engine/tokenizer/tokenizer.h - text <-> token ids for both vocabulary families.
 *
 *   byte-level BPE ("gpt2"): special tokens split out, pre-tokenizer regexes
 *     (PCRE2, UTF + UCP, JIT) per tokenizer.ggml.pre, bytes spelled with GPT-2's
 *     byte-to-unicode map, merges applied lowest rank first;
 *   SentencePiece BPE ("llama"): "▁" for spaces (and a leading one when
 *     add_space_prefix), pieces merged highest score first, unknown
 *     characters as <0xNN> byte tokens.
 *
 * Loaded from a GGUF (tokenizer.ggml.*) or from a Hugging Face folder
 * (tokenizer.json / tokenizer.model) through the same el_vocab. From a folder
 * the tokenizer.json normalizer is applied exactly as Hugging Face does
 * (NFC, NFKC, Lowercase, Prepend, Replace, Sequence); from a GGUF the
 * behaviour is llama.cpp's, plus NFC for Qwen-style vocabularies (their
 * tokenizer.json asks for it; llama.cpp skips it).
 *
 * Invalid UTF-8 (documented behaviour): each byte that is not part of a
 * valid UTF-8 sequence is encoded on its own - a byte token in SentencePiece
 * vocabularies, its byte symbol in byte-level BPE - never merged with its
 * neighbours, never read past the end of the input. Decoding gives the bytes
 * back, so encode/decode round-trips arbitrary bytes for byte-level BPE.
 *
 * A tokenizer is read-only after loading and may be shared by threads; each
 * thread passes its own el_tok_ctx (scratch buffers and a word cache).
 */
#ifndef EL_ENGINE_TOKENIZER_H
#define EL_ENGINE_TOKENIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "formats/vocab.h"

typedef struct el_tokenizer el_tokenizer;
typedef struct el_tok_ctx el_tok_ctx;

enum {
    EL_TOK_ADD_SPECIAL = 1,   /* add BOS/EOS as the model says */
    EL_TOK_PARSE_SPECIAL = 2, /* control tokens written in the text ("<|im_start|>") become those tokens */
    EL_TOK_NO_BOS = 4,        /* with ADD_SPECIAL: never add BOS */
};

/* Load from a .gguf file or a Hugging Face folder. */
int el_tok_load(el_tokenizer **out, const char *path, el_error *err);
/* From a vocabulary (ownership of *v moves to the tokenizer, also on failure; *v is zeroed). */
int el_tok_from_vocab(el_tokenizer **out, el_vocab *v, el_error *err);
void el_tok_free(el_tokenizer *t);

const el_vocab *el_tok_vocab(const el_tokenizer *t);
int el_tok_bos(const el_tokenizer *t); /* -1 when none */
/* The BOS that EL_TOK_ADD_SPECIAL puts before a text (the model adds one), or -1. Evaluation puts it
 * at the start of every chunk or sequence it decodes. */
int el_tok_added_bos(const el_tokenizer *t);
int el_tok_eos(const el_tokenizer *t);

el_tok_ctx *el_tok_ctx_new(void);
void el_tok_ctx_free(el_tok_ctx *c);

/* A growable list of token ids. */
typedef struct el_tokens {
    int32_t *ids;
    size_t n, cap;
} el_tokens;
void el_tokens_free(el_tokens *t);
/* Append one id; -1 on OOM. */
int el_tokens_push(el_tokens *t, int32_t id);

/*
 * Append the tokens of text[0..len) to out. ctx may be NULL (a temporary one
 * is used). Fails only on OOM.
 */
int el_tok_encode(const el_tokenizer *t, el_tok_ctx *ctx, const char *text, size_t len, int flags, el_tokens *out,
                  el_error *err);

/*
 * The text of tokens. Control/unknown tokens are written only with
 * `special`. Returns the byte length; writes at most cap bytes and a NUL when
 * cap > 0 (call with cap 0 to size the buffer). EL_TOK_DECODE_NOMEM when memory ran out
 * (then out is "").
 */
#define EL_TOK_DECODE_NOMEM SIZE_MAX
size_t el_tok_decode(const el_tokenizer *t, const int32_t *ids, size_t n, bool special, char *out, size_t cap);

/* The raw piece of one token as the vocabulary spells it (for display). */
const char *el_tok_piece(const el_tokenizer *t, int32_t id);

#endif
