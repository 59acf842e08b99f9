/*
 * tests/fuzz/fuzz_model.c - libFuzzer target for GGUF -> model: el_model_load (hyperparameters,
 * every tensor's name, shape and type as engine/model.c checks them), the tokenizer of the same file
 * (el_tok_load: tokenizer.ggml.*), and on what loads a few decode steps: a prefill of 3 tokens, then
 * 2 tokens sampled one at a time (llama.cpp's default chain, then greedy) and fed back.
 * Build and run: make fuzz FUZZ_TARGETS=model (needs clang).
 *
 * Input: the .gguf file. Seeds: small models of each architecture (edgelm synth + convert, F16,
 * Q8_0, Q4_0).
 *
 * Bounded: decoding uses a context of 8 positions, one thread and the reference kernels (built with
 * the sanitizers, unlike the SIMD tables), and runs only when the context would need at most 64 MiB
 * and one token's pass reads at most 4 MiB of weights (tensors may share bytes, so a small file can
 * describe a large model). Loading sees every input.
 *
 * EDGELM_FUZZ_SKIP_KNOWN=1 steps around the defects issue 16 already names, which would otherwise
 * stop every long run within seconds: no sampling when the logits are not all finite (the sampler
 * reads out of bounds on NaN, item 1: finding model-1), no decoding of a model whose numbers can
 * overflow (the Q8_0 activation quantizer converts NaN and Inf to int8: finding model-2), and nothing more
 * on a model whose rope.dimension_count came out negative (item 5). Without it they are reported.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "engine/context.h"
#include "engine/kernels.h"
#include "engine/model.h"
#include "engine/sampler.h"
#include "engine/tokenizer.h"
#include "formats/ggml_type.h"
#include "quant/quant.h"
#include "tests/fuzz/fuzz_tok.h"
#include "tests/fuzz/fuzz_util.h"

enum { N_CTX = 8, N_PREFILL = 3, N_STEPS = 2 };

static char path[700];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    setenv("OMP_NUM_THREADS", "1", 1);
    fz_path(path, sizeof path, fz_tmpdir("model"), "model.gguf");
    return 0;
}

/* What el_context_new will allocate for this model, roughly (forward.c), in bytes. */
static uint64_t context_bytes(const el_hparams *hp)
{
    const uint64_t E = (uint64_t)hp->n_embd, Q = (uint64_t)hp->n_head * (uint64_t)hp->head_dim;
    const uint64_t KV = (uint64_t)hp->n_head_kv * (uint64_t)hp->head_dim, F = (uint64_t)hp->n_ff;
    const uint64_t B = N_PREFILL, W = E > Q ? (E > F ? E : F) : (Q > F ? Q : F);
    const uint64_t cache = 2 * (uint64_t)hp->n_layer * N_CTX * KV * 2;
    const uint64_t scratch = B * 4 * (3 * E + 3 * Q + 4 * KV + 3 * F + (uint64_t)hp->n_rot + 2 * W) +
                             (uint64_t)hp->n_head * N_CTX * B * 4;
    return cache + scratch + (uint64_t)hp->n_vocab * 4;
}

static bool all_finite(const float *x, int n)
{
    for (int i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return false;
    return true;
}

/*
 * A model whose forward pass cannot leave the finite range (finding model-2: NaN or Inf activations
 * reach the Q8_0 activation quantizer): every weight finite and at most 1e3 in magnitude (as far as
 * the types dequantize), RoPE divisors positive, epsilon, base and scales positive and finite.
 */
static bool numerically_tame(const el_model *m)
{
    const el_hparams *hp = &m->hp;
    const float hs[] = {hp->norm_eps, hp->rope_base, hp->rope_freq_scale, hp->rope_attn_factor, hp->attn_scale,
                        hp->embd_scale};
    for (size_t i = 0; i < sizeof hs / sizeof *hs; i++)
        if (!(hs[i] >= 1e-30f && hs[i] <= 1e30f))
            return false;
    if (!(hp->attn_softcap >= 0 && hp->attn_softcap <= 1e6f) || !(hp->final_softcap >= 0 && hp->final_softcap <= 1e6f))
        return false;
    const float *div[] = {m->rope_freqs, m->rope_long, m->rope_short};
    for (size_t k = 0; k < sizeof div / sizeof *div; k++)
        for (int i = 0; div[k] && i < hp->n_rot / 2; i++)
            if (!(div[k][i] >= 1e-3f && div[k][i] <= 1e3f))
                return false;
    float row[4096];
    for (uint64_t i = 0; i < m->f->n_tensors; i++) {
        const gguf_tensor *t = &m->f->tensors[i];
        uint64_t rb = 0;
        if (t->ne[0] <= 0 || t->ne[0] > (int64_t)(sizeof row / sizeof *row) || !el_type_row_bytes(t->type, (uint64_t)t->ne[0], &rb))
            continue;
        for (uint64_t r = 0; rb && (r + 1) * rb <= t->size; r++) {
            if (!el_dequantize_row(t->type, t->data + r * rb, row, t->ne[0]))
                break;
            for (int64_t j = 0; j < t->ne[0]; j++)
                if (!(fabsf(row[j]) <= 1e3f))
                    return false;
        }
    }
    return true;
}

static void decode(const el_model *m)
{
    const el_hparams *hp = &m->hp;
    el_context_params p = el_context_default_params();
    p.n_ctx = N_CTX;
    p.n_batch = N_PREFILL;
    p.n_threads = 1;
    p.kernels = el_kernels_ref();
    el_context *c = NULL;
    el_error e;
    el_error_clear(&e);
    int rc = el_context_new(&c, m, &p, &e);
    fz_said_why(rc, &e);
    if (rc)
        return;
    int32_t tok[N_PREFILL], pos[N_PREFILL];
    for (int i = 0; i < N_PREFILL; i++) {
        tok[i] = (int32_t)((unsigned)(i * 7 + 1) % (unsigned)hp->n_vocab);
        pos[i] = i;
    }
    el_batch b = {N_PREFILL, tok, pos, NULL, NULL};
    rc = el_decode(c, &b, &e);
    fz_said_why(rc, &e);
    el_sampler_params sp = el_sampler_default_params();
    el_sampler *s = el_sampler_new(&sp, hp->n_vocab);
    if (!s)
        FZ_DIE("out of memory");
    for (int step = 0; step < N_STEPS && !rc; step++) {
        if (el_n_logits(c) != 1)
            FZ_BUG("%d logits rows after a batch that asked for its last token's", el_n_logits(c));
        const float *logits = el_logits(c, 0);
        if (fz_skip_known() && !all_finite(logits, hp->n_vocab))
            break;
        if (step == N_STEPS - 1) { /* the last token greedy */
            el_sampler_free(s);
            sp.temp = 0;
            if (!(s = el_sampler_new(&sp, hp->n_vocab)))
                FZ_DIE("out of memory");
        }
        float prob = 0;
        int32_t next = el_sample(s, logits, &prob);
        if (next < 0 || next >= hp->n_vocab)
            FZ_BUG("sampled token %d outside the vocabulary of %d", next, hp->n_vocab);
        el_sampler_accept(s, next);
        int32_t at = N_PREFILL + step;
        el_batch one = {1, &next, &at, NULL, NULL};
        rc = el_decode(c, &one, &e);
        fz_said_why(rc, &e);
    }
    el_sampler_free(s);
    el_context_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_write(path, data, size);
    el_model *m = NULL;
    el_error e;
    el_error_clear(&e);
    int rc = el_model_load(&m, path, &e);
    fz_said_why(rc, &e);
    if (rc == 0) {
        const el_hparams *hp = &m->hp;
        if (fz_skip_known() && hp->n_rot < 0) {
            el_model_free(m);
            return 0;
        }
        if (hp->n_vocab <= 0 || hp->n_embd <= 0 || hp->n_layer <= 0 || hp->n_rot > hp->head_dim || hp->n_rot < 0)
            FZ_BUG("loaded with n_vocab %d, n_embd %d, n_layer %d, n_rot %d, head_dim %d", hp->n_vocab, hp->n_embd,
                   hp->n_layer, hp->n_rot, hp->head_dim);
        if (context_bytes(hp) <= (64u << 20) && el_model_bytes_per_token(m) <= (4u << 20) &&
            (!fz_skip_known() || numerically_tame(m)))
            decode(m);
        el_model_free(m);
    }
    el_tokenizer *t = NULL;
    el_error_clear(&e);
    rc = el_tok_load(&t, path, &e);
    fz_said_why(rc, &e);
    if (rc == 0) {
        fz_tok_check(t, fz_sample_text, sizeof fz_sample_text - 1);
        el_tok_free(t);
    }
    return 0;
}
