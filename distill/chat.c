/*
 * distill/chat.c - chat templates (see chat.h). The detection rules and the text of each family follow
 * llama.cpp's llm_chat_detect_template / llm_chat_apply_template (b4748) for the families listed.
 */
#include "distill/chat.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[] = {
    [EL_CHAT_CHATML] = "chatml",
    [EL_CHAT_LLAMA3] = "llama3",
    [EL_CHAT_GEMMA] = "gemma",
    [EL_CHAT_PHI3] = "phi3",
    [EL_CHAT_ZEPHYR] = "zephyr",
    [EL_CHAT_MISTRAL_V1] = "mistral-v1",
    [EL_CHAT_MISTRAL_V3] = "mistral-v3",
    [EL_CHAT_MISTRAL_V3_TEKKEN] = "mistral-v3-tekken",
    [EL_CHAT_MISTRAL_V7] = "mistral-v7",
    [EL_CHAT_LLAMA2] = "llama2",
    [EL_CHAT_LLAMA2_SYS] = "llama2-sys",
    [EL_CHAT_LLAMA2_SYS_BOS] = "llama2-sys-bos",
    [EL_CHAT_LLAMA2_SYS_STRIP] = "llama2-sys-strip",
};
#define N_NAMES ((int)(sizeof names / sizeof names[0]))

const char *el_chat_name(el_chat_tmpl t) { return t > 0 && (int)t < N_NAMES ? names[t] : "unknown"; }

const char *el_chat_known(void)
{
    return "chatml, llama3, gemma, phi3, zephyr, mistral-v1, mistral-v3, mistral-v3-tekken, mistral-v7, llama2, "
           "llama2-sys, llama2-sys-bos, llama2-sys-strip";
}

el_chat_tmpl el_chat_detect(const char *t)
{
    if (!t)
        return EL_CHAT_UNKNOWN;
    for (int i = 1; i < N_NAMES; i++)
        if (!strcmp(t, names[i]))
            return (el_chat_tmpl)i;
#define HAS(s) (strstr(t, (s)) != NULL)
    if (HAS("<|im_start|>"))
        return HAS("<|im_sep|>") ? EL_CHAT_UNKNOWN : EL_CHAT_CHATML; /* phi4's variant: not handled */
    if (!strncmp(t, "mistral", 7) || HAS("[INST]")) {
        if (HAS("[SYSTEM_PROMPT]"))
            return EL_CHAT_MISTRAL_V7;
        if (HAS("' [INST] ' + system_message") || HAS("[AVAILABLE_TOOLS]"))
            return HAS(" [INST]") ? EL_CHAT_MISTRAL_V1 : HAS("\"[INST]\"") ? EL_CHAT_MISTRAL_V3_TEKKEN : EL_CHAT_MISTRAL_V3;
        if (HAS("content.strip()"))
            return EL_CHAT_LLAMA2_SYS_STRIP;
        if (HAS("bos_token + '[INST]"))
            return EL_CHAT_LLAMA2_SYS_BOS;
        return HAS("<<SYS>>") ? EL_CHAT_LLAMA2_SYS : EL_CHAT_LLAMA2;
    }
    if (HAS("<|assistant|>") && HAS("<|end|>"))
        return EL_CHAT_PHI3;
    if (HAS("<|assistant|>") && HAS("<|user|>"))
        return EL_CHAT_UNKNOWN; /* falcon3 / glmedge in llama.cpp: not handled */
    if (HAS("<|user|>") && HAS("<|endoftext|>"))
        return EL_CHAT_ZEPHYR;
    if (HAS("<start_of_turn>"))
        return EL_CHAT_GEMMA;
    if (HAS("<|start_header_id|>") && HAS("<|end_header_id|>"))
        return EL_CHAT_LLAMA3;
#undef HAS
    return EL_CHAT_UNKNOWN;
}

/* A growing string; any failed append leaves ok false. */
typedef struct sbuf {
    char *p;
    size_t n, cap;
    bool ok;
} sbuf;

static void put_n(sbuf *b, const char *s, size_t n)
{
    if (!b->ok)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t c = b->cap ? b->cap : 256;
        while (c < b->n + n + 1)
            c *= 2;
        char *q = realloc(b->p, c);
        if (!q) {
            b->ok = false;
            return;
        }
        b->p = q;
        b->cap = c;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void put(sbuf *b, const char *s) { put_n(b, s, strlen(s)); }

/* s without leading and trailing white space (llama.cpp's trim) */
static void put_trim(sbuf *b, const char *s)
{
    size_t a = 0, e = strlen(s);
    while (a < e && isspace((unsigned char)s[a]))
        a++;
    while (e > a && isspace((unsigned char)s[e - 1]))
        e--;
    put_n(b, s + a, e - a);
}

static void put_content(sbuf *b, const char *s, bool trim)
{
    if (trim)
        put_trim(b, s);
    else
        put(b, s);
}

static void apply_mistral(sbuf *b, el_chat_tmpl t, const el_chat_msg *m, int n)
{
    if (t == EL_CHAT_MISTRAL_V7) {
        for (int i = 0; i < n; i++) {
            if (!strcmp(m[i].role, "system")) {
                put(b, "[SYSTEM_PROMPT] ");
                put(b, m[i].content);
                put(b, "[/SYSTEM_PROMPT]");
            } else if (!strcmp(m[i].role, "user")) {
                put(b, "[INST] ");
                put(b, m[i].content);
                put(b, "[/INST]");
            } else {
                put(b, " ");
                put(b, m[i].content);
                put(b, "</s>");
            }
        }
        return;
    }
    const char *lead = t == EL_CHAT_MISTRAL_V1 ? " " : "", *trail = t == EL_CHAT_MISTRAL_V3_TEKKEN ? "" : " ";
    bool inside = false;
    for (int i = 0; i < n; i++) {
        if (!inside) {
            put(b, lead);
            put(b, "[INST]");
            put(b, trail);
            inside = true;
        }
        if (!strcmp(m[i].role, "system")) {
            put(b, m[i].content);
            put(b, "\n\n");
        } else if (!strcmp(m[i].role, "user")) {
            put(b, m[i].content);
            put(b, lead);
            put(b, "[/INST]");
        } else {
            put(b, trail);
            put_content(b, m[i].content, t == EL_CHAT_MISTRAL_V3);
            put(b, "</s>");
            inside = false;
        }
    }
}

static void apply_llama2(sbuf *b, el_chat_tmpl t, const el_chat_msg *m, int n)
{
    const bool sys = t != EL_CHAT_LLAMA2, bos_inside = t == EL_CHAT_LLAMA2_SYS_BOS, strip = t == EL_CHAT_LLAMA2_SYS_STRIP;
    bool inside = true;
    put(b, "[INST] ");
    for (int i = 0; i < n; i++) {
        if (!inside) {
            inside = true;
            put(b, bos_inside ? "<s>[INST] " : "[INST] ");
        }
        if (!strcmp(m[i].role, "system")) {
            put(b, sys ? "<<SYS>>\n" : "");
            put_content(b, m[i].content, strip);
            put(b, sys ? "\n<</SYS>>\n\n" : "\n");
        } else if (!strcmp(m[i].role, "user")) {
            put_content(b, m[i].content, strip);
            put(b, " [/INST]");
        } else {
            put_content(b, m[i].content, strip);
            put(b, "</s>");
            inside = false;
        }
    }
}

int el_chat_apply(el_chat_tmpl t, const el_chat_msg *m, int n, bool gen, char **out, el_error *err)
{
    *out = NULL;
    if (t <= EL_CHAT_UNKNOWN || (int)t >= N_NAMES)
        return EL_FAIL(err, EL_EUSAGE, NULL, -1, "unknown chat template (recognised: %s)", el_chat_known());
    /* a message the templates cannot render is bad input (the caller's data: a prompts file), not usage */
    for (int i = 0; i < n; i++) {
        if (!m[i].role || !m[i].content)
            return EL_FAIL(err, EL_EFORMAT, NULL, -1, "message %d has no %s", i + 1, m[i].role ? "content" : "role");
        if (strcmp(m[i].role, "system") && strcmp(m[i].role, "user") && strcmp(m[i].role, "assistant"))
            return EL_FAIL(err, EL_EFORMAT, NULL, -1, "message %d: role '%.64s' is not system, user or assistant", i + 1,
                           m[i].role);
    }
    sbuf b = {NULL, 0, 0, true};
    put(&b, ""); /* an empty conversation gives "" (and the generation prompt) */
    switch (t) {
    case EL_CHAT_CHATML:
    case EL_CHAT_PHI3:
    case EL_CHAT_ZEPHYR:
    case EL_CHAT_LLAMA3:
        for (int i = 0; i < n; i++) {
            if (t == EL_CHAT_CHATML) {
                put(&b, "<|im_start|>");
                put(&b, m[i].role);
                put(&b, "\n");
            } else if (t == EL_CHAT_LLAMA3) {
                put(&b, "<|start_header_id|>");
                put(&b, m[i].role);
                put(&b, "<|end_header_id|>\n\n");
            } else {
                put(&b, "<|");
                put(&b, m[i].role);
                put(&b, "|>\n");
            }
            put_content(&b, m[i].content, t == EL_CHAT_LLAMA3);
            put(&b, t == EL_CHAT_CHATML ? "<|im_end|>\n" : t == EL_CHAT_PHI3 ? "<|end|>\n" : t == EL_CHAT_ZEPHYR ? "<|endoftext|>\n" : "<|eot_id|>");
        }
        if (gen)
            put(&b, t == EL_CHAT_CHATML ? "<|im_start|>assistant\n"
                    : t == EL_CHAT_LLAMA3 ? "<|start_header_id|>assistant<|end_header_id|>\n\n"
                                          : "<|assistant|>\n");
        break;
    case EL_CHAT_GEMMA: {
        const char *system = NULL;
        for (int i = 0; i < n; i++) {
            if (!strcmp(m[i].role, "system")) {
                system = m[i].content;
                continue;
            }
            const bool model = !strcmp(m[i].role, "assistant");
            put(&b, "<start_of_turn>");
            put(&b, model ? "model" : m[i].role);
            put(&b, "\n");
            if (system && !model) {
                sbuf s = {NULL, 0, 0, true};
                put_trim(&s, system);
                if (s.ok && s.n) {
                    put(&b, s.p);
                    put(&b, "\n\n");
                }
                b.ok = b.ok && s.ok;
                free(s.p);
                system = NULL;
            }
            put_trim(&b, m[i].content);
            put(&b, "<end_of_turn>\n");
        }
        if (gen)
            put(&b, "<start_of_turn>model\n");
        break;
    }
    case EL_CHAT_MISTRAL_V1:
    case EL_CHAT_MISTRAL_V3:
    case EL_CHAT_MISTRAL_V3_TEKKEN:
    case EL_CHAT_MISTRAL_V7:
        apply_mistral(&b, t, m, n);
        break;
    default:
        apply_llama2(&b, t, m, n);
        break;
    }
    if (!b.ok) {
        free(b.p);
        return EL_NOMEM(err);
    }
    *out = b.p;
    return 0;
}
