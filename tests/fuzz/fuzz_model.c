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
 * Found (fixed; tests/test_hostile.c and tests/test_sampler.c): the sampler read out of bounds on NaN
 * logits; the Q8_0/Q8_1/Q8_K activation quantizers cast NaN and Inf to int8; rope.dimension_count
 * 2^31 came out negative.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "engine/context.h"
#include "engine/kernels/kernels.h"
#include "engine/model.h"
#include "engine/sampler.h"
#include "engine/tokenizer/tokenizer.h"
#include "formats/ggml_type.h"
#include "quant/quant.h"
#include "tests/fuzz/fuzz_tok.h"
#include "tests/fuzz/fuzz_util.h"

enum { N_CTX = 8, N_PREFILL = 3, N_STEPS = 2 };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    setenv("OMP_NUM_THREADS", "1", 1);
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

static void decode(const el_model *m)
{
    const el_hparams *hp = &m->hp;
    el_context_params p = el_context_default_params();
    p.n_ctx = N_CTX;
    p.n_batch = N_PREFILL;
    p.n_threads = 1;
    p.kernels = el_kernels_ref();
    el_context *c = NULL;
    if (fz_rc(el_context_new(&c, m, &p, fz_err())))
        return;
    int32_t tok[N_PREFILL], pos[N_PREFILL];
    for (int i = 0; i < N_PREFILL; i++) {
        tok[i] = (int32_t)((unsigned)(i * 7 + 1) % (unsigned)hp->n_vocab);
        pos[i] = i;
    }
    el_batch b = {N_PREFILL, tok, pos, NULL, NULL};
    int rc = fz_rc(el_decode(c, &b, fz_err()));
    el_sampler_params sp = el_sampler_default_params();
    el_sampler *s = el_sampler_new(&sp, hp->n_vocab);
    if (!s)
        FZ_DIE("out of memory");
    for (int step = 0; step < N_STEPS && !rc; step++) {
        if (el_n_logits(c) != 1)
            FZ_BUG("%d logits rows after a batch that asked for its last token's", el_n_logits(c));
        const float *logits = el_logits(c, 0);
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
        rc = fz_rc(el_decode(c, &one, fz_err()));
    }
    el_sampler_free(s);
    el_context_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_input("model", "model.gguf", data, size);
    el_model *m = NULL;
    if (fz_rc(el_model_load(&m, path, fz_err())) == 0) {
        const el_hparams *hp = &m->hp;
        if (hp->n_vocab <= 0 || hp->n_embd <= 0 || hp->n_layer <= 0 || hp->n_rot > hp->head_dim || hp->n_rot < 0)
            FZ_BUG("loaded with n_vocab %d, n_embd %d, n_layer %d, n_rot %d, head_dim %d", hp->n_vocab, hp->n_embd,
                   hp->n_layer, hp->n_rot, hp->head_dim);
        if (context_bytes(hp) <= (64u << 20) && el_model_bytes_per_token(m) <= (4u << 20))
            decode(m);
        el_model_free(m);
    }
    el_tokenizer *t = NULL;
    fz_tok_loaded(el_tok_load(&t, path, fz_err()), &t, NULL, 0);
    return 0;
}
