/*
 * distill/teacher.h - a model as distillation sees it: weights, tokenizer and the two hashes that
 * identify it in a manifest.
 *
 * file_sha256 is the SHA-256 of the GGUF file (what `sha256sum` prints). vocab_sha256 identifies
 * the vocabulary a logits row is indexed by: SHA-256 over the token count (u32 LE), then each token
 * text as u32 LE length and bytes, in id order. Types and scores are left out, so the same
 * vocabulary converted by two tools hashes the same; any change of id -> text changes the hash.
 */
#ifndef EL_DISTILL_TEACHER_H
#define EL_DISTILL_TEACHER_H

#include <jansson.h>
#include <stdbool.h>

#include "core/error.h"
#include "engine/model.h"
#include "engine/tokenizer/tokenizer.h"

typedef struct el_dmodel {
    el_model *m;
    el_tokenizer *tok;
    char file_sha256[65];
    char vocab_sha256[65];
} el_dmodel;

/* Load; file_sha256 only when hash_file (hashing a large teacher takes seconds). */
int el_dmodel_load(el_dmodel *d, const char *path, bool hash_file, el_error *err);
void el_dmodel_free(el_dmodel *d);

/* {"file": basename, "sha256", "arch", "n_vocab", "n_params"} */
json_t *el_dmodel_json(const el_dmodel *d);

/* The seed of one unit: mixes the run's seed, the record id and the sample number (splitmix64). */
uint64_t el_unit_seed(uint64_t seed, int64_t id, int64_t sample);

/* SHA-256 of a dataset spec's file (ARCHIVE:MEMBER: the archive). */
int el_spec_sha256(const char *spec, char hex[65], el_error *err);

#endif
