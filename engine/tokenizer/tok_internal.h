/*
 * engine/tokenizer/tok_internal.h - the tokenizer's insides, shared by engine/tokenizer/tok_*.c.
 */
#ifndef EL_ENGINE_TOK_INTERNAL_H
#define EL_ENGINE_TOK_INTERNAL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/strmap.h"
#include "core/utf8.h"
#include "engine/tokenizer/tokenizer.h"

#define EL_TOK_MAX_RE 8

/* One step of a Hugging Face normalizer. */
typedef struct el_norm_op {
    int kind;              /* NORM_* in tok_normalize.c */
    char *a;               /* Prepend text / Replace literal pattern */
    char *b;               /* Replace content */
    pcre2_code *re;        /* Replace regex */
} el_norm_op;

typedef struct el_norm {
    el_norm_op *ops;
    int n;
} el_norm;

struct el_tokenizer {
    el_vocab v;
    el_strmap text_to_id;         /* token text -> id (the last id wins, as in llama.cpp) */
    el_strmap merge_rank;         /* "left right" -> rank (byte-level BPE) */
    /* special tokens, matched in raw text before anything else */
    int32_t *special;             /* ids, longest text first */
    uint32_t n_special;
    uint32_t by_byte[257];        /* CSR index: candidates starting with byte b are special_by_byte[by_byte[b] .. by_byte[b+1]) */
    int32_t *special_by_byte;
    /* byte-level BPE */
    pcre2_code *re[EL_TOK_MAX_RE];/* pre-tokenizer regexes, applied in order */
    int n_re;
    char byte_char[256][3];       /* GPT-2 spelling of each byte (1-2 UTF-8 bytes) */
    uint8_t byte_char_len[256];
    int16_t cp_to_byte[512];      /* inverse, for decoding; -1 when not a byte char */
    int32_t byte_token[256];      /* token of each byte: its byte char (BPE) or <0xNN> (SPM); -1 none */
    /* normalization */
    bool nfc;                     /* apply NFC (Qwen-style vocabularies) */
    el_norm norm;                 /* tokenizer.json normalizer (folder loads), n == 0 when none */
    int metaspace;                /* tokenizer.json Metaspace pre-tokenizer: 0 none, 1 split=false, 2 split=true */
    int metaspace_prepend;        /* 0 never, 1 first, 2 always */
    bool spm_escape;              /* SPM without a normalizer: llama.cpp's ' ' -> '▁' and space prefix */
    int32_t *byte_of_token;       /* SPM: the byte of each <0xNN> token, -1 otherwise */
    bool spm_words;               /* SPM: no piece has "▁" after another character, so merges never
                                     cross the start of a "▁"-word and words can be encoded apart */
};

struct el_tok_ctx {
    pcre2_match_data *md;         /* ovector for the patterns (only the whole match is read) */
    pcre2_match_context *mctx;    /* holds the JIT stack */
    pcre2_jit_stack *jit;
    /* scratch */
    char *buf;
    size_t buf_cap;
    char *buf2;
    size_t buf2_cap;
    /* word cache (BPE): word bytes -> span of cached ids */
    el_strmap cache;
    char *cache_keys;             /* arena for the keys (never moves: blocks chained) */
    size_t cache_keys_len, cache_keys_cap;
    int32_t *cache_ids;
    size_t cache_ids_len, cache_ids_cap;
    const el_tokenizer *owner;    /* the cache belongs to one tokenizer */
};

/* ---- tok_pre.c: pre-tokenizer regexes ---- */
int el_tok_pre_compile(el_tokenizer *t, const char *pre, el_error *err);
/*
 * Split text[0..len) into pieces with t's regexes (matches and the gaps
 * between them are pieces). Calls emit(arg, start, end) in order.
 */
typedef int (*el_piece_fn)(void *arg, size_t start, size_t end);
int el_tok_pre_split(const el_tokenizer *t, el_tok_ctx *c, const char *text, size_t len, el_piece_fn emit, void *arg);

/* ---- tok_normalize.c ---- */
int el_norm_parse(el_norm *n, const char *json, const char *path, el_error *err);
void el_norm_free(el_norm *n);
/* The normalizer prepends "▁" (SentencePiece's dummy prefix, as tokenizer.json spells it). */
bool el_norm_prepends_space(const el_norm *n);
/* Normalize text into a new malloc'd buffer (*out, *out_len). Returns 0, or -1 on OOM. */
int el_norm_apply(const el_norm *n, el_tok_ctx *c, const char *text, size_t len, char **out, size_t *out_len);
/* NFC of text into a new malloc'd buffer; invalid UTF-8 is returned unchanged. */
int el_nfc(const char *text, size_t len, char **out, size_t *out_len);

/* ---- tok_cache.c ---- */
typedef int (*el_word_fn)(const el_tokenizer *t, el_tok_ctx *c, const char *w, size_t n, el_tokens *out);
/* Tokens of word w (n bytes) through the context's cache; enc computes them on a miss. */
int el_tok_cached(const el_tokenizer *t, el_tok_ctx *c, const char *w, size_t n, el_tokens *out, el_word_fn enc);
void el_tok_cache_clear(el_tok_ctx *c);

/* ---- tok_merge.c: the merging BPE and SentencePiece share ---- */
/* A run of bytes of the word being merged, in a doubly linked list; n = 0 once merged into its left. */
typedef struct el_tok_sym {
    int prev, next;
    uint32_t off, n;
} el_tok_sym;
/* One symbol per UTF-8 character of text (an invalid byte is one of its own) into s, which has room
 * for len; returns their number. */
int el_tok_syms_split(const char *text, size_t len, el_tok_sym *s);
/* A candidate merge of adjacent symbols, queued with their sizes (a changed size means the pair is
 * stale). The queue pops the lowest prio first, ties the leftmost: BPE's merge rank, SentencePiece's
 * -score. */
typedef struct el_tok_pair {
    double prio;
    int left, right;
    uint32_t ln, rn;
} el_tok_pair;
typedef struct el_tok_pairq {
    el_tok_pair *v;
    size_t n, cap;
} el_tok_pairq;
int el_tok_pairq_push(el_tok_pairq *q, el_tok_pair p); /* -1 on OOM */
el_tok_pair el_tok_pairq_pop(el_tok_pairq *q);         /* q->n > 0 */

/* ---- tok_bpe.c / tok_spm.c ---- */
int el_bpe_encode(const el_tokenizer *t, el_tok_ctx *c, const char *text, size_t len, el_tokens *out);
int el_spm_encode(const el_tokenizer *t, const char *text, size_t len, el_tokens *out);
/* SentencePiece over "▁"-words through the cache, when t->spm_words says that is exact; else el_spm_encode. */
int el_spm_encode_words(const el_tokenizer *t, el_tok_ctx *c, const char *text, size_t len, el_tokens *out);


#endif
