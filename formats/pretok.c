/*
 * formats/pretok.c - name a tokenizer.json pre-tokenizer the way llama.cpp does
 * (tokenizer.ggml.pre), from its definition rather than from a hash of sample
 * output: the regexes it splits with, its Digits/ByteLevel steps.
 *
 * The definition is reduced to a signature, one token per step:
 *   B    ByteLevel with its own (GPT-2) regex      b    ByteLevel without a regex
 *   Di   Digits, individual digits                 D    Digits, runs
 *   P    Punctuation                               R:<regex>  Split on a regex, isolated
 *   K:<regex>  Split on a regex, inverted and removed: the matches are kept, the text between them dropped
 *              (tiktoken-derived files, GPT-4o's; the same pieces as isolated when the regex matches every
 *              character, as the o200k one does: its last alternatives take any whitespace, the others
 *              letters, digits and the rest)
 * (steps separated by \x1f) and looked up in the table below. Behaviourally identical tokenizers share a
 * row (starcoder, refact and smollm all split digits then apply GPT-2's regex;
 * we write "smollm"). Anything else is an error that names the step or regex,
 * never a silent guess.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "formats/vocab.h"

/* Steps are separated by a control character that no regex here contains. */
#define SEP "\x1f"

static const struct {
    const char *signature;
    const char *pre;
} known[] = {
    {"B", "gpt-2"},
    {"R:" EL_RE_LLAMA3 SEP "b", "llama-bpe"},
    {"R:" EL_RE_QWEN2 SEP "b", "qwen2"},
    {"Di" SEP "B", "smollm"},
    {"P" SEP "B" SEP "D" SEP "R:[0-9][0-9][0-9]", "falcon"},
    {"K:" EL_RE_O200K SEP "b", "gpt-4o"},
    {"R:" EL_RE_O200K SEP "b", "gpt-4o"},
};

/* Append one step's signature; returns 0, or -1 with err describing the step. */
static int step(const json_t *p, char *sig, size_t cap, const char *path, el_error *err)
{
    const char *type = json_string_value(json_object_get(p, "type"));
    char buf[4096];
    if (!type)
        return EL_FAIL(err, EL_EJSON, path, -1, "pre_tokenizer step without a \"type\"");
    if (strcmp(type, "ByteLevel") == 0) {
        json_t *ur = json_object_get(p, "use_regex");
        bool use_regex = !json_is_false(ur); /* default true */
        if (json_is_true(json_object_get(p, "add_prefix_space")))
            return EL_FAIL(err, EL_EUNSUPPORTED, path, -1,
                           "pre_tokenizer ByteLevel with add_prefix_space=true has no llama.cpp equivalent");
        snprintf(buf, sizeof buf, "%s", use_regex ? "B" : "b");
    } else if (strcmp(type, "Digits") == 0) {
        snprintf(buf, sizeof buf, "%s", json_is_true(json_object_get(p, "individual_digits")) ? "Di" : "D");
    } else if (strcmp(type, "Punctuation") == 0) {
        snprintf(buf, sizeof buf, "P");
    } else if (strcmp(type, "Split") == 0) {
        const json_t *pat = json_object_get(p, "pattern");
        const char *re = json_string_value(json_object_get(pat, "Regex"));
        const char *str = json_string_value(json_object_get(pat, "String"));
        const char *beh = json_string_value(json_object_get(p, "behavior"));
        bool invert = json_is_true(json_object_get(p, "invert"));
        bool isolated = !invert && beh && strcmp(beh, "Isolated") == 0;
        bool kept = invert && beh && strcmp(beh, "Removed") == 0;
        if (!(isolated || kept) || !re)
            return EL_FAIL(err, EL_EUNSUPPORTED, path, -1,
                           "pre_tokenizer Split on %s '%s' (behavior %s%s) is not a pre-tokenizer llama.cpp knows",
                           re ? "regex" : "string", re ? re : str ? str : "?", beh ? beh : "?", invert ? ", inverted" : "");
        snprintf(buf, sizeof buf, "%s:%s", isolated ? "R" : "K", re);
    } else {
        return EL_FAIL(err, EL_EUNSUPPORTED, path, -1, "pre_tokenizer type '%s' is not one llama.cpp knows", type);
    }
    size_t n = strlen(sig);
    if (n + strlen(buf) + 2 > cap)
        return EL_FAIL(err, EL_EUNSUPPORTED, path, -1, "pre_tokenizer is too long to be a known one");
    if (n)
        strcat(sig, SEP);
    strcat(sig, buf);
    return EL_OK;
}

int el_pretok_classify(const void *pre_tokenizer_json, bool deepseek_bos, const char *path, char *pre, size_t cap,
                       el_error *err)
{
    const json_t *p = pre_tokenizer_json;
    char sig[8192] = "";
    int rc = EL_OK;
    if (!p || json_is_null(p))
        return EL_FAIL(err, EL_EUNSUPPORTED, path, -1, "byte-level BPE without a pre_tokenizer is not supported");
    const char *type = json_string_value(json_object_get(p, "type"));
    if (type && strcmp(type, "Sequence") == 0) {
        size_t i;
        json_t *s;
        json_array_foreach(json_object_get(p, "pretokenizers"), i, s) {
            if ((rc = step(s, sig, sizeof sig, path, err)))
                return rc;
        }
    } else if ((rc = step(p, sig, sizeof sig, path, err))) {
        return rc;
    }
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (strcmp(sig, known[i].signature) == 0) {
            const char *name = known[i].pre;
            /* DeepSeek-R1-Distill-Qwen: Qwen2's splitting with DeepSeek's special tokens */
            if (strcmp(name, "qwen2") == 0 && deepseek_bos)
                name = "deepseek-r1-qwen";
            snprintf(pre, cap, "%s", name);
            return EL_OK;
        }
    }
    /* Name the regex when there is one: that is what a user can look up. */
    const char *re = strstr(sig, "R:");
    if (!re)
        re = strstr(sig, "K:");
    if (re)
        return EL_FAIL(err, EL_EUNSUPPORTED, path, -1, "unknown pre-tokenizer: Split regex '%.*s' is not one llama.cpp knows",
                       (int)strcspn(re + 2, SEP), re + 2);
    for (char *c = sig; *c; c++)
        if (*c == SEP[0])
            *c = ' ';
    return EL_FAIL(err, EL_EUNSUPPORTED, path, -1, "unknown pre-tokenizer (steps: %s)", sig);
}
