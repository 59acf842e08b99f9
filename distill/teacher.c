/*
 * distill/teacher.c - loading a model for distillation, its hashes (see teacher.h).
 */
#include "distill/teacher.h"

#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "core/sha256.h"
#include "datasets/source.h"
#include "engine/lm.h"
#include "engine/model_info.h"

static void vocab_hash(const el_vocab *v, char hex[65])
{
    el_sha256 h;
    el_sha256_init(&h);
    uint8_t n4[4];
    uint32_t n = v->n_tokens;
    for (int i = 0; i < 4; i++)
        n4[i] = (uint8_t)(n >> (8 * i));
    el_sha256_update(&h, n4, 4);
    for (uint32_t t = 0; t < v->n_tokens; t++) {
        uint32_t len = (uint32_t)strlen(v->tokens[t]);
        for (int i = 0; i < 4; i++)
            n4[i] = (uint8_t)(len >> (8 * i));
        el_sha256_update(&h, n4, 4);
        el_sha256_update(&h, v->tokens[t], len);
    }
    uint8_t d[32];
    el_sha256_final(&h, d);
    el_sha256_hex(d, hex);
}

int el_dmodel_load(el_dmodel *d, const char *path, bool hash_file, el_error *err)
{
    memset(d, 0, sizeof *d);
    el_lm lm;
    int rc = el_lm_open(&lm, path, err);
    d->m = lm.model;
    d->tok = lm.tok;
    if (!rc && hash_file)
        rc = el_sha256_file(path, d->file_sha256, err);
    if (!rc)
        vocab_hash(el_tok_vocab(d->tok), d->vocab_sha256);
    if (rc)
        el_dmodel_free(d);
    return rc;
}

void el_dmodel_free(el_dmodel *d)
{
    el_lm lm = {d->m, d->tok};
    el_lm_close(&lm);
    memset(d, 0, sizeof *d);
}

json_t *el_dmodel_json(const el_dmodel *d)
{
    el_model_info info;
    el_model_info_of(d->m, &info);
    return json_pack("{s:s, s:s, s:s, s:s, s:i, s:I}", "file", el_basename(d->m->path), "sha256", d->file_sha256, "arch",
                     info.arch, "type", info.type, "n_vocab", d->m->hp.n_vocab, "n_params", (json_int_t)info.n_params);
}

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

uint64_t el_unit_seed(uint64_t seed, int64_t id, int64_t sample)
{
    return splitmix64(splitmix64(splitmix64(seed) ^ (uint64_t)id) ^ (uint64_t)sample);
}

int el_spec_sha256(const char *spec, char hex[65], el_error *err)
{
    char *path;
    int rc = el_ds_spec_file(spec, &path, NULL, err);
    if (!rc)
        rc = el_sha256_file(path, hex, err);
    free(path);
    return rc;
}
