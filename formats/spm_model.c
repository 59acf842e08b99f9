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
 * Every length is checked against the bytes left before it is followed. A refusal names the file,
 * the byte offset of the field's key in it, the field number and wire type found, and the message
 * it is in ("piece 3: field 2 (wire type 5) needs 4 bytes, 1 byte left before the end of the
 * piece"). What runs past the end of the file is EL_ETRUNC; past the end of an enclosing message,
 * a wire type protobuf does not have (3 and 4, groups, are not read either), a field number outside
 * 1 .. 2^29-1 or a varint longer than 10 bytes, EL_EFORMAT.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/file.h"
#include "core/util.h"
#include "formats/vocab.h"

/* A message being read: its bytes, where they are in the file, and how errors name it. */
typedef struct pb {
    const uint8_t *p;
    uint64_t n, pos;
    uint64_t base;    /* file offset of p[0] */
    const char *path;
    const char *end;  /* "the file", "the piece", "the normalizer spec" */
    int trunc;        /* the code of running past the end: EL_ETRUNC in the file, EL_EFORMAT in a message */
    char in[48];      /* "" at the top level, "piece 3: ", "normalizer spec: " */
    el_error *err;
} pb;

/* A field's key: where it is in the message, its number and its wire type. */
typedef struct pb_field {
    uint64_t at, num;
    uint32_t wire;
} pb_field;

static int pb_fail_at(const pb *b, int code, uint64_t at, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int pb_fail_at(const pb *b, int code, uint64_t at, const char *where, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return el_fail_at(b->err, code, b->path, (int64_t)(b->base + at), where, "%s%s", b->in, msg);
}

/* at: the offset in b of the field's key, the byte the error names */
#define PB_FAIL(b, code, at, ...) pb_fail_at((b), (code), (at), __FILE__ ":" EL_STR(__LINE__), __VA_ARGS__)

static const char *plural(uint64_t n)
{
    return n == 1 ? "" : "s";
}

/* A varint; what: the value's name in messages ("field 3 (wire type 0): the value"). */
static int pb_varint(pb *b, uint64_t at, const char *what, uint64_t *v)
{
    uint64_t r = 0;
    for (int i = 0; i < 10; i++) {
        if (b->pos >= b->n)
            return PB_FAIL(b, b->trunc, at, "%s, a varint, runs past the end of %s", what, b->end);
        const uint8_t c = b->p[b->pos++];
        r |= (uint64_t)(c & 0x7f) << (7 * i);
        if (!(c & 0x80)) {
            *v = r;
            return 0;
        }
    }
    return PB_FAIL(b, EL_EFORMAT, at, "%s is a varint longer than 10 bytes", what);
}

/* The next field's key (b->pos < b->n): a field number protobuf allows, and a wire type this reader
 * can step over. */
static int pb_key(pb *b, pb_field *f)
{
    uint64_t k;
    f->at = b->pos;
    int rc = pb_varint(b, f->at, "the key of a field", &k);
    if (rc)
        return rc;
    f->num = k >> 3;
    f->wire = (uint32_t)(k & 7);
    if (f->num == 0 || f->num > (1u << 29) - 1)
        return PB_FAIL(b, EL_EFORMAT, f->at, "field number %llu (wire type %u) is not a protobuf field number (1 to 2^29-1)",
                       (unsigned long long)f->num, f->wire);
    if (f->wire != 0 && f->wire != 1 && f->wire != 2 && f->wire != 5)
        return PB_FAIL(b, EL_EFORMAT, f->at,
                       "field %llu has wire type %u; this protobuf reader takes 0 (varint), 1 (fixed64), "
                       "2 (length-delimited) and 5 (fixed32)",
                       (unsigned long long)f->num, f->wire);
    return 0;
}

/* A varint value (wire type 0). */
static int pb_value(pb *b, const pb_field *f, uint64_t *v)
{
    char what[64];
    snprintf(what, sizeof what, "field %llu (wire type 0): the value", (unsigned long long)f->num);
    return pb_varint(b, f->at, what, v);
}

/* size fixed bytes (wire type 1: 8, 5: 4); *out may be NULL. */
static int pb_fixed(pb *b, const pb_field *f, uint64_t size, const uint8_t **out)
{
    const uint64_t left = b->n - b->pos;
    if (left < size)
        return PB_FAIL(b, b->trunc, f->at, "field %llu (wire type %u) needs %llu bytes, %llu byte%s left before the end of %s",
                       (unsigned long long)f->num, f->wire, (unsigned long long)size, (unsigned long long)left,
                       plural(left), b->end);
    if (out)
        *out = b->p + b->pos;
    b->pos += size;
    return 0;
}

/* A length-delimited value (wire type 2), as a message of its own: in names it in messages
 * ("piece 3"), NULL for one that is not read as a message. */
static int pb_bytes(pb *b, const pb_field *f, pb *sub, const char *in, const char *end)
{
    char what[64];
    snprintf(what, sizeof what, "field %llu (wire type 2): the length", (unsigned long long)f->num);
    uint64_t len;
    int rc = pb_varint(b, f->at, what, &len);
    if (rc)
        return rc;
    const uint64_t left = b->n - b->pos;
    if (len > left)
        return PB_FAIL(b, b->trunc, f->at, "field %llu (wire type 2): length %llu runs past the end of %s (%llu byte%s left)",
                       (unsigned long long)f->num, (unsigned long long)len, b->end, (unsigned long long)left,
                       plural(left));
    if (sub) {
        *sub = *b;
        sub->p = b->p + b->pos;
        sub->n = len;
        sub->pos = 0;
        sub->base = b->base + b->pos;
        sub->end = end;
        sub->trunc = EL_EFORMAT;
        snprintf(sub->in, sizeof sub->in, "%s: ", in);
    }
    b->pos += len;
    return 0;
}

/* Step over a value of the field's wire type (one pb_key accepted). */
static int pb_skip(pb *b, const pb_field *f)
{
    uint64_t v;
    switch (f->wire) {
    case 0: return pb_value(b, f, &v);
    case 1: return pb_fixed(b, f, 8, NULL);
    case 2: return pb_bytes(b, f, NULL, NULL, NULL);
    default: return pb_fixed(b, f, 4, NULL);
    }
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
    while (m->pos < m->n) {
        pb_field f;
        int rc = pb_key(m, &f);
        if (rc)
            return rc;
        if (f.num == 1 && f.wire == 2) {
            pb s;
            if ((rc = pb_bytes(m, &f, &s, "text", "the text")))
                return rc;
            out->text = s.p;
            out->len = s.n;
        } else if (f.num == 2 && f.wire == 5) {
            const uint8_t *q;
            if ((rc = pb_fixed(m, &f, 4, &q)))
                return rc;
            out->score = el_rdf32(q);
        } else if (f.num == 3 && f.wire == 0) {
            uint64_t t;
            if ((rc = pb_value(m, &f, &t)))
                return rc;
            out->type = t >= 1 && t <= 6 ? (int)t : EL_TOK_NORMAL;
        } else if ((rc = pb_skip(m, &f))) {
            return rc;
        }
    }
    return 0;
}

int el_spm_model_load(el_vocab *v, const char *path, int64_t vocab_size, el_error *err)
{
    el_map map;
    int rc = el_map_open(&map, path, err);
    if (rc)
        return rc;
    pb b = {.p = map.data, .n = map.size, .path = path, .end = "the file", .trunc = EL_ETRUNC, .err = err};
    /* first pass: count pieces, read the normalizer flag, and step over every other field */
    uint64_t n_pieces = 0;
    int add_dummy_prefix = 1;
    pb_field f;
    while (b.pos < b.n) {
        if ((rc = pb_key(&b, &f)))
            goto out;
        pb s;
        if (f.num == 1 && f.wire == 2) {
            if ((rc = pb_bytes(&b, &f, &s, "piece", "the piece")))
                goto out;
            n_pieces++;
        } else if (f.num == 3 && f.wire == 2) {
            if ((rc = pb_bytes(&b, &f, &s, "normalizer spec", "the normalizer spec")))
                goto out;
            while (s.pos < s.n) {
                pb_field sf;
                if ((rc = pb_key(&s, &sf)))
                    goto out;
                uint64_t val;
                if (sf.num == 3 && sf.wire == 0) {
                    if ((rc = pb_value(&s, &sf, &val)))
                        goto out;
                    add_dummy_prefix = val != 0;
                } else if ((rc = pb_skip(&s, &sf))) {
                    goto out;
                }
            }
        } else if ((rc = pb_skip(&b, &f))) {
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
    /* second pass: the pieces (the top level read as in the first pass) */
    b.pos = 0;
    uint64_t i = 0;
    while (b.pos < b.n) {
        if ((rc = pb_key(&b, &f)))
            goto out;
        if (f.num == 1 && f.wire == 2) {
            pb s;
            char in[32];
            snprintf(in, sizeof in, "piece %llu", (unsigned long long)i);
            if ((rc = pb_bytes(&b, &f, &s, in, "the piece")))
                goto out;
            piece pc;
            if ((rc = parse_piece(&s, &pc)))
                goto out;
            if (!pc.text) {
                rc = PB_FAIL(&b, EL_EFORMAT, f.at, "piece %llu has no text (field 1, wire type 2)", (unsigned long long)i);
                goto out;
            }
            if (memchr(pc.text, 0, (size_t)pc.len)) {
                rc = PB_FAIL(&b, EL_EFORMAT, f.at, "piece %llu contains a NUL byte", (unsigned long long)i);
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
        } else if ((rc = pb_skip(&b, &f))) {
            goto out;
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
