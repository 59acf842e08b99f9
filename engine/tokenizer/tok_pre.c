/*
 * engine/tokenizer/tok_pre.c - byte-level BPE pre-tokenizers: the regexes per
 * tokenizer.ggml.pre, compiled with PCRE2 (UTF, UCP, JIT), and the split.
 *
 * The lists follow llama.cpp's llm_tokenizer_bpe (llama-vocab.cpp), except
 * that where Hugging Face's original regex is known (Llama 3, Qwen2, GPT-2)
 * we use it verbatim: PCRE2 understands "(?i:...)" with Unicode case
 * folding as Hugging Face's engine does, which llama.cpp's rewrite into
 * '[sS]' classes does not. Regexes apply one after another; each splits every
 * piece into its matches and the gaps between them (Hugging Face's "Isolated").
 */
#include <stdlib.h>
#include <string.h>

#include "engine/tokenizer/tok_internal.h"

#define GPT2_RE "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"
/* an English contraction after a word, either case, ASCII only */
#define O200K_CONTRACTION "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?"
#define GPT2_NOWS_RE "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)"

static const struct {
    const char *names;   /* space-separated tokenizer.ggml.pre values */
    const char *re[6];
} table[] = {
    {"gpt-2 mpt olmo jais phi-2 jina-es jina-de gigachat jina-v1-en jina-v2-es jina-v2-de jina-v2-code roberta-bpe "
     "megrez",
     {GPT2_RE}},
    {"llama-bpe llama3 llama-v3 falcon3 dbrx smaug-bpe", {EL_RE_LLAMA3}},
    {"qwen2 deepseek-r1-qwen stablelm2", {EL_RE_QWEN2}},
    /* o200k as llama.cpp runs it (not tokenizer.json's EL_RE_O200K): its engine has no \p{Lu}/\p{Ll}
       classes, so a word's "uppercase" letters are any letter but a-z and its "lowercase" ones any letter but
       A-Z, and combining marks (\p{M}) are not part of a word. Text with marks after letters (Thai,
       Devanagari, ...) splits otherwise than in Hugging Face's tokenizers (10 of tests/data/tok_corpus.json's
       2,400 strings); we follow llama.cpp so that a GGUF gives the same tokens in both */
    {"gpt-4o minimax-m2",
     {"[^\\r\\n\\p{L}\\p{N}]?(?:(?![a-z])\\p{L})*(?:(?![A-Z])\\p{L})+" O200K_CONTRACTION
      "|[^\\r\\n\\p{L}\\p{N}]?(?:(?![a-z])\\p{L})+(?:(?![A-Z])\\p{L})*" O200K_CONTRACTION
      "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}},
    {"starcoder refact command-r smollm codeshell exaone minerva-7b", {"\\p{N}", GPT2_NOWS_RE}},
    {"deepseek-llm",
     {"[\\r\\n]",
      "\\s?[A-Za-z\\x{B5}\\x{C0}-\\x{D6}\\x{D8}-\\x{F6}\\x{F8}-\\x{1BA}\\x{1BC}-\\x{1BF}\\x{1C4}-\\x{293}\\x{295}-\\x{2AF}\\x{370}-\\x{373}\\x{376}\\x{377}\\x{37B}-\\x{37D}\\x{37F}\\x{386}\\x{388}-\\x{38A}\\x{38C}\\x{38E}-\\x{3A1}\\x{3A3}-\\x{3F5}\\x{3F7}-\\x{481}\\x{48A}-\\x{52F}\\x{531}-\\x{556}\\x{10A0}-\\x{10C5}\\x{13A0}-\\x{13F5}\\x{13F8}-\\x{13FD}\\x{1C90}-\\x{1CBA}\\x{1CBD}-\\x{1CBF}\\x{1D00}-\\x{1D2B}\\x{1D6B}-\\x{1D77}\\x{1D79}-\\x{1D9A}\\x{1E00}-\\x{1F15}\\x{1F18}-\\x{1F1D}\\x{1F20}-\\x{1F45}\\x{1F48}-\\x{1F4D}\\x{1F50}-\\x{1F57}\\x{1F59}\\x{1F5B}\\x{1F5D}\\x{1F5F}-\\x{1F7D}\\x{1F80}-\\x{1FB4}\\x{1FB6}-\\x{1FBC}\\x{1FBE}\\x{1FC2}-\\x{1FC4}\\x{1FC6}-\\x{1FCC}\\x{1FD0}-\\x{1FD3}\\x{1FD6}-\\x{1FDB}\\x{1FE0}-\\x{1FEC}\\x{1FF2}-\\x{1FF4}\\x{1FF6}-\\x{1FFC}\\x{2102}\\x{2107}\\x{210A}-\\x{2113}\\x{2115}\\x{2119}-\\x{211D}\\x{2124}\\x{2126}\\x{2128}\\x{212A}-\\x{212D}\\x{212F}-\\x{2134}\\x{2139}\\x{213C}-\\x{213F}\\x{2145}-\\x{2149}\\x{214E}\\x{2183}\\x{2184}\\x{2C00}-\\x{2C7B}\\x{2C7E}-\\x{2CE4}\\x{2CEB}-\\x{2CEE}\\x{2CF2}\\x{2CF3}\\x{A640}-\\x{A66D}\\x{A680}-\\x{A69B}\\x{A722}-\\x{A76F}\\x{A771}-\\x{A787}\\x{A78B}-\\x{A78E}\\x{AB70}-\\x{ABBF}\\x{FB00}-\\x{FB06}\\x{FB13}-\\x{FB17}\\x{FF21}-\\x{FF3A}\\x{FF41}-\\x{FF5A}\\x{10400}-\\x{1044F}\\x{104B0}-\\x{104D3}\\x{104D8}-\\x{104FB}\\x{10C80}-\\x{10CB2}\\x{10CC0}-\\x{10CF2}\\x{118A0}-\\x{118DF}\\x{1E900}-\\x{1E943}]+",
      "\\s?[!-/:-~\\x{FF01}-\\x{FF0F}\\x{FF1A}-\\x{FF5E}\\x{2018}-\\x{201F}\\x{3000}-\\x{3002}]+", "\\s+$", "[\\x{4E00}-\\x{9FA5}\\x{800}-\\x{4E00}\\x{AC00}-\\x{D7FF}]+", "\\p{N}+"}},
    {"deepseek-v3",
     {"\\p{N}{1,3}", "[\\x{4E00}-\\x{9FA5}\\x{3040}-\\x{309F}\\x{30A0}-\\x{30FF}]+",
      "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\\r\\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| "
      "?[\\p{P}\\p{S}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}},
    {"deepseek-coder", {"[\\r\\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", "[\\x{4E00}-\\x{9FA5}\\x{800}-\\x{4E00}\\x{AC00}-\\x{D7FF}]+", "\\p{N}"}},
    {"falcon", {"[\\p{P}\\$\\+<=>\\^~\\|`]+", GPT2_NOWS_RE, "[0-9][0-9][0-9]"}},
    {"poro-chat bloom gpt3-finnish", {" ?[^(\\s|.,!?\\x{2026}\\x{3002}\\x{FF0C}\\x{3001}\\x{964}\\x{6D4}\\x{60C})]+"}},
    {"chatglm-bpe",
     {"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
      "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}},
    {"viking", {" ?[^(\\s|.,!?\\x{2026}\\x{3002}\\x{FF0C}\\x{3001}\\x{964}\\x{6D4}\\x{60C})]+", "\\p{N}"}},
    {"tekken",
     {"[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+|[^\\r\\n\\p{L}\\p{N}]?"
      "[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|"
      "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}},
    {"chameleon",
     {"<sentinel:[0-9]+>", "(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z", "([\\t\\n]|    |  )", "\\p{N}",
      "[\\p{P}!-/:-@\\[-`{-~]", GPT2_NOWS_RE}},
    /* llama.cpp's fallback for unnamed BPE pre-tokenizers */
    {"default", {"[\\p{P}\\$\\+<=>\\^~\\|]+", GPT2_NOWS_RE, "\\p{N}+", "[0-9][0-9][0-9]"}},
};

static bool name_in(const char *names, const char *pre)
{
    size_t n = strlen(pre);
    for (const char *p = names; *p;) {
        const char *sp = strchr(p, ' ');
        size_t len = sp ? (size_t)(sp - p) : strlen(p);
        if (len == n && memcmp(p, pre, n) == 0)
            return true;
        if (!sp)
            break;
        p = sp + 1;
    }
    return false;
}

int el_tok_pre_compile(el_tokenizer *t, const char *pre, el_error *err)
{
    size_t row = sizeof table / sizeof table[0];
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (name_in(table[i].names, pre)) {
            row = i;
            break;
        }
    if (row == sizeof table / sizeof table[0])
        return EL_FAIL(err, EL_EUNSUPPORTED, NULL, -1, "tokenizer.ggml.pre '%s' is not a pre-tokenizer edgelm knows", pre);
    for (int k = 0; k < 6 && table[row].re[k]; k++) {
        int code;
        PCRE2_SIZE off;
        pcre2_code *re = pcre2_compile((PCRE2_SPTR)table[row].re[k], PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP, &code,
                                       &off, NULL);
        if (!re) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(code, msg, sizeof msg);
            return EL_FAIL(err, EL_EINTERNAL, NULL, -1, "pre-tokenizer regex %d of '%s' does not compile: %s", k, pre,
                           (const char *)msg);
        }
        pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* falls back to the interpreter when JIT is unavailable */
        t->re[t->n_re++] = re;
    }
    return EL_OK;
}

/* Pieces as [start, end) pairs, double-buffered between regex passes. */
typedef struct spans {
    size_t *v;
    size_t n, cap;
} spans;

static int push(spans *s, size_t a, size_t b)
{
    if (s->n + 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        size_t *nv = realloc(s->v, cap * sizeof *nv);
        if (!nv)
            return -1;
        s->v = nv;
        s->cap = cap;
    }
    s->v[s->n++] = a;
    s->v[s->n++] = b;
    return 0;
}

int el_tok_pre_split(const el_tokenizer *t, el_tok_ctx *c, const char *text, size_t len, el_piece_fn emit, void *arg)
{
    spans cur = {0}, next = {0};
    int rc = 0;
    if (push(&cur, 0, len))
        return -1;
    for (int k = 0; k < t->n_re && !rc; k++) {
        next.n = 0;
        for (size_t i = 0; i < cur.n && !rc; i += 2) {
            size_t s = cur.v[i], e = cur.v[i + 1], pos = 0, prev = 0, seg = e - s;
            const PCRE2_SPTR subj = (PCRE2_SPTR)(text + s);
            while (pos < seg) {
                int m = pcre2_match(t->re[k], subj, seg, pos, PCRE2_NO_UTF_CHECK, c->md, c->mctx);
                if (m < -1) /* not "no match": e.g. the JIT stack ran out; the interpreter has no such limit */
                    m = pcre2_match(t->re[k], subj, seg, pos, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, c->md, c->mctx);
                if (m == PCRE2_ERROR_NOMATCH)
                    break;
                if (m < 0) {
                    rc = -1;
                    break;
                }
                PCRE2_SIZE *ov = pcre2_get_ovector_pointer(c->md);
                size_t ms = ov[0], me = ov[1];
                if (me == ms) { /* an empty match: step over one character */
                    size_t l = el_utf8_len((const unsigned char *)text + s + ms, seg - ms);
                    pos = ms + (l ? l : 1);
                    continue;
                }
                if (ms > prev && push(&next, s + prev, s + ms))
                    rc = -1;
                if (push(&next, s + ms, s + me))
                    rc = -1;
                prev = pos = me;
            }
            if (prev < seg && push(&next, s + prev, e))
                rc = -1;
        }
        spans tmp = cur;
        cur = next;
        next = tmp;
    }
    for (size_t i = 0; i < cur.n && !rc; i += 2)
        rc = emit(arg, cur.v[i], cur.v[i + 1]);
    free(cur.v);
    free(next.v);
    return rc;
}
