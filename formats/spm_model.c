/*
 * formats/spm_model.c - SentencePiece tokenizer.model (protobuf) reader.
 *
 * Only what a vocabulary needs is decoded; every other field is skipped by
 * wire type. The message layout (sentencepiece_model.proto):
 *
 *   ModelProto
 *     1  pieces           repeated SentencePiece (length-delimited)
 *          1 piece  string
 *          2 score  float (fixed32)
 *          3 type   enum (varint): 1 normal, 2 unknown, 3 control,
 *                   4 user-defined, 5 unused, 6 byte; default 1
 *     2  trainer_spec     (skipped)
 *     3  normalizer_spec
 *          3 add_dummy_prefix  bool, default true
 *
 * Every length is checked against the bytes left before it is followed.
 */
#include <stdio.h>
#include <string.h>

#include "core/file.h"
#include "core/util.h"
#include "formats/vocab.h"

typedef struct pb {
    const uint8_t *p;
    uint64_t n, pos;
} pb;

static bool pb_varint(pb *b, uint64_t *v)
{
    uint64_t r = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (b->pos >= b->n)
            return false;
        uint8_t c = b->p[b->pos++];
        r |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *v = r;
            return true;
        }
    }
    return false;
}

/* Read a field key; returns false at the end or on a malformed key. */
static bool pb_key(pb *b, uint32_t *field, uint32_t *wire)
{
    uint64_t k;
    if (b->pos >= b->n || !pb_varint(b, &k))
        return false;
    *field = (uint32_t)(k >> 3);
    *wire = (uint32_t)(k & 7);
    return true;
}

/* Skip a value of the given wire type. */
static bool pb_skip(pb *b, uint32_t wire)
{
    uint64_t v;
    switch (wire) {
    case 0: return pb_varint(b, &v);
    case 1: if (b->n - b->pos < 8) return false; b->pos += 8; return true;
    case 2: if (!pb_varint(b, &v) || v > b->n - b->pos) return false; b->pos += v; return true;
    case 5: if (b->n - b->pos < 4) return false; b->pos += 4; return true;
    default: return false;
    }
}

/* A length-delimited sub-message. */
static bool pb_sub(pb *b, pb *sub)
{
    uint64_t len;
    if (!pb_varint(b, &len) || len > b->n - b->pos)
        return false;
    sub->p = b->p + b->pos;
    sub->n = len;
    sub->pos = 0;
    b->pos += len;
    return true;
}

typedef struct piece {
    const uint8_t *text;
    uint64_t len;
    float score;
    int type;
} piece;

static int parse_piece(pb *m, piece *out)
{
    out->text = NULL;
    out->len = 0;
    out->score = 0.0f;
    out->type = EL_TOK_NORMAL;
    uint32_t f, w;
    while (m->pos < m->n) {
        if (!pb_key(m, &f, &w))
            return -1;
        if (f == 1 && w == 2) {
            pb s;
            if (!pb_sub(m, &s))
                return -1;
            out->text = s.p;
            out->len = s.n;
        } else if (f == 2 && w == 5) {
            if (m->n - m->pos < 4)
                return -1;
            out->score = el_rdf32(m->p + m->pos);
            m->pos += 4;
        } else if (f == 3 && w == 0) {
            uint64_t t;
            if (!pb_varint(m, &t))
                return -1;
            out->type = t >= 1 && t <= 6 ? (int)t : EL_TOK_NORMAL;
        } else if (!pb_skip(m, w)) {
            return -1;
        }
    }
    return out->text ? 0 : -1;
}

int el_spm_model_load(el_vocab *v, const char *path, int64_t vocab_size, el_error *err)
{
    el_map map;
    int rc = el_map_open(&map, path, err);
    if (rc)
        return rc;
    pb b = {map.data, map.size, 0};
    /* first pass: count pieces and read the normalizer flag */
    uint64_t n_pieces = 0;
    int add_dummy_prefix = 1;
    uint32_t f, w;
    while (b.pos < b.n) {
        uint64_t at = b.pos;
        if (!pb_key(&b, &f, &w)) {
            rc = EL_FAIL(err, EL_EFORMAT, path, (int64_t)at, "not a SentencePiece model (bad protobuf field)");
            goto out;
        }
        if (f == 1 && w == 2) {
            pb s;
            if (!pb_sub(&b, &s)) {
                rc = EL_FAIL(err, EL_ETRUNC, path, (int64_t)at, "piece runs past the end of the file");
                goto out;
            }
            n_pieces++;
        } else if (f == 3 && w == 2) {
            pb s;
            if (!pb_sub(&b, &s)) {
                rc = EL_FAIL(err, EL_ETRUNC, path, (int64_t)at, "normalizer spec runs past the end of the file");
                goto out;
            }
            while (s.pos < s.n) {
                uint32_t sf, sw;
                if (!pb_key(&s, &sf, &sw)) {
                    rc = EL_FAIL(err, EL_EFORMAT, path, (int64_t)at, "malformed normalizer spec");
                    goto out;
                }
                uint64_t val;
                if (sf == 3 && sw == 0) {
                    if (!pb_varint(&s, &val)) {
                        rc = EL_FAIL(err, EL_EFORMAT, path, (int64_t)at, "malformed normalizer spec");
                        goto out;
                    }
                    add_dummy_prefix = val != 0;
                } else if (!pb_skip(&s, sw)) {
                    rc = EL_FAIL(err, EL_EFORMAT, path, (int64_t)at, "malformed normalizer spec");
                    goto out;
                }
            }
        } else if (!pb_skip(&b, w)) {
            rc = EL_FAIL(err, EL_ETRUNC, path, (int64_t)at, "protobuf field runs past the end of the file");
            goto out;
        }
    }
    if (n_pieces == 0) {
        rc = EL_FAIL(err, EL_EFORMAT, path, -1, "no pieces: not a SentencePiece model");
        goto out;
    }
    if (n_pieces > (1u << 24)) {
        rc = EL_FAIL(err, EL_ERANGE, path, -1, "%llu pieces is implausibly many", (unsigned long long)n_pieces);
        goto out;
    }
    uint64_t n_tok = EL_MAX(n_pieces, (uint64_t)(vocab_size > 0 ? vocab_size : 0));
    if ((rc = el_vocab_alloc(v, (uint32_t)n_tok, true, err)))
        goto out;
    v->type = EL_VOCAB_SPM;
    snprintf(v->pre, sizeof v->pre, "default");
    v->add_space_prefix = add_dummy_prefix;
    /* second pass: the pieces */
    b.pos = 0;
    uint64_t i = 0;
    while (b.pos < b.n) {
        uint64_t at = b.pos;
        pb_key(&b, &f, &w); /* validated in the first pass */
        if (f == 1 && w == 2) {
            pb s;
            pb_sub(&b, &s);
            piece pc;
            if (parse_piece(&s, &pc) != 0) {
                rc = EL_FAIL(err, EL_EFORMAT, path, (int64_t)at, "malformed piece %llu", (unsigned long long)i);
                goto out;
            }
            if (memchr(pc.text, 0, (size_t)pc.len)) {
                rc = EL_FAIL(err, EL_EFORMAT, path, (int64_t)at, "piece %llu contains a NUL byte", (unsigned long long)i);
                goto out;
            }
            v->tokens[i] = el_vocab_strdup(v, (const char *)pc.text, pc.len);
            if (!v->tokens[i]) {
                rc = EL_NOMEM(err);
                goto out;
            }
            v->scores[i] = pc.score;
            v->types[i] = pc.type;
            i++;
        } else {
            pb_skip(&b, w);
        }
    }
    /* padding up to vocab_size, as llama.cpp's converter does */
    for (; i < n_tok; i++) {
        char name[32];
        int len = snprintf(name, sizeof name, "[PAD%llu]", (unsigned long long)i);
        v->tokens[i] = el_vocab_strdup(v, name, (uint64_t)len);
        if (!v->tokens[i]) {
            rc = EL_NOMEM(err);
            goto out;
        }
        v->scores[i] = -10000.0f;
        v->types[i] = EL_TOK_UNUSED;
    }
out:
    el_map_close(&map);
    return rc;
}
