/*
 * engine/generate.c - the generation loop (see generate.h).
 */
#include "engine/generate.h"

#include <stdlib.h>
#include <string.h>

#include "core/progress.h"
#include "core/utf8.h"
#include "core/util.h"

bool el_tok_is_eog(const el_tokenizer *t, int id)
{
    const el_vocab *v = el_tok_vocab(t);
    if (id < 0 || (uint32_t)id >= v->n_tokens)
        return false;
    if (id == v->special[EL_SPECIAL_EOS])
        return true;
    if (v->types[id] != EL_TOK_CONTROL)
        return false;
    static const char *const eog[] = {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
                                      "<|end_of_text|>", "<EOT>", "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>",
                                      "</s>", "<|eom_id|>"};
    for (size_t i = 0; i < EL_ARRAY_LEN(eog); i++)
        if (strcmp(v->tokens[id], eog[i]) == 0)
            return true;
    return false;
}

void el_gen_result_free(el_gen_result *r)
{
    if (!r)
        return;
    el_tokens_free(&r->prompt);
    el_tokens_free(&r->gen);
    free(r->probs);
    free(r->text);
    memset(r, 0, sizeof *r);
}

/* Length of the longest prefix of s that does not end inside a UTF-8 sequence. */
static size_t complete_utf8(const char *s, size_t n)
{
    size_t back = 0;
    while (back < 4 && back < n && ((unsigned char)s[n - 1 - back] & 0xc0) == 0x80)
        back++;
    if (back < n) {
        size_t lead = n - 1 - back;
        size_t l = el_utf8_len((const unsigned char *)s + lead, n - lead);
        unsigned char c = (unsigned char)s[lead];
        size_t want = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
        if (l == 0 && want > back + 1)
            return lead; /* an incomplete sequence at the end: hold it back */
    }
    return n;
}

int el_generate(el_context *c, const el_tokenizer *tok, const el_gen_params *p, el_gen_fn cb, void *arg,
                el_gen_result *r, el_error *err)
{
    memset(r, 0, sizeof *r);
    const el_model *m = el_context_model(c);
    const int n_vocab = m->hp.n_vocab, n_ctx = el_context_n_ctx(c);
    double t0 = el_now();
    int rc = el_tok_encode(tok, NULL, p->prompt, p->prompt_len,
                           EL_TOK_ADD_SPECIAL | (p->parse_special ? EL_TOK_PARSE_SPECIAL : 0), &r->prompt, err);
    if (rc)
        return rc;
    if (r->prompt.n == 0)
        return EL_FAIL(err, EL_EUSAGE, NULL, -1, "the prompt is empty and the model adds no BOS token");
    if ((int)r->prompt.n >= n_ctx)
        return EL_FAIL(err, EL_EUSAGE, NULL, -1, "the prompt has %zu tokens; the context holds %d", r->prompt.n, n_ctx);
    el_sampler *s = el_sampler_new(&p->sampling, n_vocab);
    r->probs = malloc((size_t)(p->n_predict > 0 ? p->n_predict : 1) * sizeof *r->probs);
    int32_t *pos = malloc(r->prompt.n * sizeof *pos);
    if (!s || !r->probs || !pos) {
        el_sampler_free(s);
        free(pos);
        return EL_NOMEM(err);
    }
    for (size_t i = 0; i < r->prompt.n; i++) {
        pos[i] = (int32_t)i;
        el_sampler_accept(s, r->prompt.ids[i]);
    }
    el_seq_clear(c, 0);
    /* prefill in batches; logits of the last prompt token */
    const int nb = 512;
    for (size_t off = 0; off < r->prompt.n && !rc; off += nb) {
        int n = (int)EL_MIN((size_t)nb, r->prompt.n - off);
        el_batch b = {n, r->prompt.ids + off, pos + off, NULL, NULL};
        rc = el_decode(c, &b, err);
    }
    free(pos);
    double t1 = el_now();
    r->t_prefill = t1 - t0;
    /* text of the prompt alone, to cut the continuation out of prompt+generated */
    size_t base = el_tok_decode(tok, r->prompt.ids, r->prompt.n, false, NULL, 0);
    if (base == EL_TOK_DECODE_NOMEM)
        rc = EL_NOMEM(err);
    size_t printed = 0, cap = 0;
    char *full = NULL;
    el_tokens all = {0};
    for (size_t i = 0; i < r->prompt.n && !rc; i++)
        if (el_tokens_push(&all, r->prompt.ids[i]))
            rc = EL_NOMEM(err);
    r->stop = "length";
    double t_first = 0;
    for (int i = 0; i < p->n_predict && !rc; i++) {
        float prob;
        int id = el_sample(s, el_logits(c, 0), &prob);
        if (i == 0) {
            t_first = el_now();
            r->ttft = t_first - t0;
        }
        if (el_tok_is_eog(tok, id)) {
            r->stop = "eos";
            break;
        }
        el_sampler_accept(s, id);
        r->probs[r->gen.n] = prob;
        if (el_tokens_push(&r->gen, id) || el_tokens_push(&all, id)) {
            rc = EL_NOMEM(err);
            break;
        }
        size_t need = el_tok_decode(tok, all.ids, all.n, false, NULL, 0);
        if (need == EL_TOK_DECODE_NOMEM) {
            rc = EL_NOMEM(err);
            break;
        }
        need++;
        if (need > cap) {
            char *nf = realloc(full, need * 2);
            if (!nf) {
                rc = EL_NOMEM(err);
                break;
            }
            full = nf;
            cap = need * 2;
        }
        size_t len = el_tok_decode(tok, all.ids, all.n, false, full, cap);
        if (len == EL_TOK_DECODE_NOMEM) {
            rc = EL_NOMEM(err);
            break;
        }
        size_t done = len >= base ? complete_utf8(full + base, len - base) : 0;
        if (cb && done > printed && cb(arg, id, full + base + printed, done - printed, prob))
            break;
        printed = EL_MAX(printed, done);
        if (el_seq_len(c, 0) >= n_ctx) {
            r->stop = "context";
            break;
        }
        int32_t tpos = el_seq_len(c, 0);
        el_batch b = {1, &r->gen.ids[r->gen.n - 1], &tpos, NULL, NULL};
        rc = el_decode(c, &b, err);
    }
    if (t_first > 0)
        r->t_decode = el_now() - t_first;
    if (!rc) {
        size_t len = full ? el_tok_decode(tok, all.ids, all.n, false, full, cap) : base;
        size_t n = len >= base ? len - base : 0;
        r->text = len == EL_TOK_DECODE_NOMEM ? NULL : malloc(n + 1);
        if (!r->text)
            rc = EL_NOMEM(err);
        else {
            if (n)
                memcpy(r->text, full + base, n);
            r->text[n] = '\0';
            r->text_len = n;
            if (cb && n > printed)
                cb(arg, -1, r->text + printed, n - printed, 0);
        }
    }
    free(full);
    el_tokens_free(&all);
    el_sampler_free(s);
    return rc;
}
