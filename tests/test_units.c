/*
 * tests/test_units.c - library modules the rest of the suite reaches only through the binary, called
 * directly, each against an oracle of its own:
 *
 *  - formats/vocab_hf.c: SmolLM2's and stories260K's tokenizer folders -> el_vocab, against their
 *    tokenizer.json / tokenizer_config.json / config.json read here with jansson (every token, every
 *    merge, the added tokens' types, the special ids), stories260K's scores and types against
 *    tests/golden/spm_stories260K.h, and its token ids against llama.cpp's
 *    (shared/golden/stories260K/README.md);
 *  - formats/spm_model.c: stories260K's tokenizer.model, every piece, score (bits) and type and the
 *    dummy prefix, against tests/golden/spm_stories260K.h (tests/oracle/spm_golden.py decodes the
 *    protobuf by hand with Debian's python3); padding as llama.cpp's converter pads; damaged files
 *    keep the error contract; hand-built malformed protobuf is refused naming the byte, the field
 *    number, the wire type and the enclosing message;
 *  - engine/tokenizer/tok_pre.c: the pieces of the gpt-2, llama-bpe, qwen2 and smollm pre-tokenizers, worked by
 *    hand from their regexes (Hugging Face's "Isolated" split);
 *  - eval/gate.c: every operator against a hand-worked truth table, parsing, records, dotted keys,
 *    messages, the usage errors of eval/gate.h;
 *  - quant/recipe.c: the mixes' file types (llama.h's LLAMA_FTYPE_MOSTLY_*), the quantizable rule and
 *    the fallbacks of docs/quantize.md, every tensor of the SmolLM2-135M shape against llama-quantize's
 *    Q4_K_M (tests/golden/quant/smollm2-135m.q4_k_m.types), and per-layer tables for a 32-layer
 *    model worked by hand from llama.cpp's llama_tensor_get_type (b4748) as docs/quantize.md sums it up;
 *  - quant/quantize.c (the row writer): a small F32 GGUF requantized in-process: each tensor's type as
 *    the recipe says, every written row no worse than the scalar reference quantizer (quant_ref.c) of
 *    that row, the report's RMSE equal to the decoded rows', copies byte for byte, the same bytes for 1
 *    and 2 threads;
 *  - distill/merge.c: three --shard runs merged in-process equal the one-run folder byte for byte, the
 *    merged lines are the shards' lines ordered by record; missing, repeated and foreign shards are
 *    refused with the error contract.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/sha256.h"
#include "distill/merge.h"
#include "engine/tokenizer/tok_internal.h"
#include "engine/tokenizer/tokenizer.h"
#include "eval/gate.h"
#include "formats/ggml_type.h"
#include "formats/gguf.h"
#include "formats/hf_config.h"
#include "formats/vocab.h"
#include "quant/quant.h"
#include "quant/quantize.h"
#include "quant/recipe.h"
#include "tests/golden/spm_stories260K.h"
#include "tests/testutil.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static json_t *load_json_file(const char *path)
{
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    cr_assert(j, "%s: %s", path, je.text);
    return j;
}

/* The folder's config.json and, through el_vocab_from_hf, its vocabulary. */
static void load_vocab(hf_config *cfg, el_vocab *v, const char *dir)
{
    el_error e;
    el_error_clear(&e);
    memset(cfg, 0, sizeof *cfg);
    memset(v, 0, sizeof *v);
    cr_assert_eq(hf_config_load(cfg, KF("%s/config.json", dir), &e), 0, "%s", e.msg);
    cr_assert_eq(el_vocab_from_hf(v, dir, cfg, &e), 0, "%s", e.msg);
}

/* ---- formats/vocab_hf.c ------------------------------------------------------------------------------ */

/* Every token of model.vocab ({"text": id}) at its id, and no id left over. */
static void tokens_equal_json_vocab(const el_vocab *v, const json_t *vocab, uint32_t n_expected)
{
    cr_assert(json_is_object(vocab));
    cr_assert_eq(json_object_size(vocab), n_expected);
    const char *text;
    json_t *id;
    json_object_foreach((json_t *)vocab, text, id) {
        const json_int_t i = json_integer_value(id);
        cr_assert(i >= 0 && i < (json_int_t)v->n_tokens, "id %lld of '%s'", (long long)i, text);
        cr_assert_str_eq(v->tokens[i], text, "token %lld", (long long)i);
    }
}

Test(vocab_hf, smollm2_bpe_equals_tokenizer_json)
{
    char *dir = KS("models/smollm2-135m");
    if (!dir)
        cr_skip_test("../shared is absent");
    hf_config cfg;
    el_vocab v;
    load_vocab(&cfg, &v, dir);
    json_t *tj = load_json_file(KF("%s/tokenizer.json", dir)), *cj = load_json_file(KF("%s/config.json", dir));
    const json_t *model = json_object_get(tj, "model");
    cr_assert_eq(v.type, EL_VOCAB_BPE);
    cr_assert_eq(v.n_tokens, (uint32_t)json_integer_value(json_object_get(cj, "vocab_size")));
    tokens_equal_json_vocab(&v, json_object_get(model, "vocab"), v.n_tokens);
    /* the merges, in rank order ("a b" strings in this file) */
    const json_t *merges = json_object_get(model, "merges");
    cr_assert_eq(v.n_merges, json_array_size(merges));
    for (size_t i = 0; i < json_array_size(merges); i++)
        cr_assert_str_eq(v.merges[i], json_string_value(json_array_get(merges, i)), "merge %zu", i);
    /* types: the added tokens marked special are control tokens (llama.cpp's converter), the rest normal */
    int special[64] = {0};
    const json_t *added = json_object_get(tj, "added_tokens");
    for (size_t i = 0; i < json_array_size(added); i++) {
        const json_t *a = json_array_get(added, i);
        const json_int_t id = json_integer_value(json_object_get(a, "id"));
        cr_assert(id >= 0 && id < 64);
        cr_assert_str_eq(v.tokens[id], json_string_value(json_object_get(a, "content")));
        special[id] = json_is_true(json_object_get(a, "special"));
    }
    for (uint32_t i = 0; i < v.n_tokens; i++)
        cr_assert_eq(v.types[i], i < 64 && special[i] ? EL_TOK_CONTROL : EL_TOK_NORMAL, "type of token %u", i);
    /* special ids from config.json (the folder has no tokenizer_config.json) */
    cr_assert_eq(v.special[EL_SPECIAL_BOS], json_integer_value(json_object_get(cj, "bos_token_id")));
    cr_assert_eq(v.special[EL_SPECIAL_EOS], json_integer_value(json_object_get(cj, "eos_token_id")));
    cr_assert_eq(v.special[EL_SPECIAL_PAD], json_integer_value(json_object_get(cj, "pad_token_id")));
    /* Digits + ByteLevel: llama.cpp's converter names SmolLM's pre-tokenizer "smollm" */
    cr_assert_str_eq(v.pre, "smollm");
    cr_assert(v.scores == NULL);
    json_decref(tj);
    json_decref(cj);
    el_vocab_free(&v);
    hf_config_free(&cfg);
    tu_release();
}

Test(vocab_hf, stories260K_spm_from_tokenizer_json_and_model)
{
    char *dir = KS("models/stories260K");
    if (!dir)
        cr_skip_test("../shared is absent");
    hf_config cfg;
    el_vocab v;
    load_vocab(&cfg, &v, dir);
    json_t *tj = load_json_file(KF("%s/tokenizer.json", dir)), *tc = load_json_file(KF("%s/tokenizer_config.json", dir));
    cr_assert_eq(v.type, EL_VOCAB_SPM);
    cr_assert_eq(v.n_tokens, N_OF(spm_golden));
    tokens_equal_json_vocab(&v, json_object_get(json_object_get(tj, "model"), "vocab"), v.n_tokens);
    /* scores and types from tokenizer.model (the protobuf oracle), then, as llama.cpp's converter does
     * (convert_hf_to_gguf.py _create_vocab_sentencepiece), every token of tokenizer_config.json's
     * added_tokens_decoder scored -1000 and typed CONTROL when "special" (USER_DEFINED otherwise) */
    cr_assert(v.scores);
    const json_t *added = json_object_get(tc, "added_tokens_decoder");
    cr_assert_eq(json_object_size(added), 3);
    for (uint32_t i = 0; i < v.n_tokens; i++) {
        uint32_t bits, want_bits = spm_golden[i].score_bits;
        int want_type = spm_golden[i].type;
        char key[16];
        snprintf(key, sizeof key, "%u", i);
        const json_t *a = json_object_get(added, key);
        if (a) {
            const float m1000 = -1000.0f;
            memcpy(&want_bits, &m1000, 4);
            want_type = json_is_true(json_object_get(a, "special")) ? EL_TOK_CONTROL : EL_TOK_USER_DEFINED;
            cr_assert_str_eq(v.tokens[i], json_string_value(json_object_get(a, "content")));
        }
        memcpy(&bits, &v.scores[i], 4);
        cr_assert_eq(bits, want_bits, "score of %u '%s': %g", i, v.tokens[i], v.scores[i]);
        cr_assert_eq(v.types[i], want_type, "type of %u '%s': %d, want %d", i, v.tokens[i], v.types[i], want_type);
    }
    /* tokenizer_config.json: add_bos_token true, add_eos_token false; <s> 1, </s> 2, <unk> 0 */
    cr_assert_eq(v.add_bos, json_is_true(json_object_get(tc, "add_bos_token")));
    cr_assert_eq(v.add_eos, json_is_true(json_object_get(tc, "add_eos_token")));
    cr_assert_eq(v.add_bos, 1);
    cr_assert_eq(v.special[EL_SPECIAL_BOS], 1);
    cr_assert_eq(v.special[EL_SPECIAL_EOS], 2);
    cr_assert_eq(v.special[EL_SPECIAL_UNK], 0);
    /* and the ids llama.cpp gives through its own conversion (shared/golden/stories260K/README.md) */
    el_error e;
    el_error_clear(&e);
    el_tokenizer *t = NULL;
    cr_assert_eq(el_tok_from_vocab(&t, &v, &e), 0, "%s", e.msg);
    static const int32_t want[] = {1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426};
    const char text[] = "Once upon a time, there was a little girl named Lily.";
    el_tokens ids = {0};
    cr_assert_eq(el_tok_encode(t, NULL, text, strlen(text), EL_TOK_ADD_SPECIAL, &ids, &e), 0);
    cr_assert_eq(ids.n, N_OF(want), "%zu tokens", ids.n);
    for (size_t i = 0; i < N_OF(want); i++)
        cr_assert_eq(ids.ids[i], want[i], "token %zu: %d, llama.cpp %d", i, ids.ids[i], want[i]);
    el_tokens_free(&ids);
    el_tok_free(t);
    json_decref(tj);
    json_decref(tc);
    hf_config_free(&cfg);
    tu_release();
}

/* ---- formats/spm_model.c ---------------------------------------------------------------------------- */

static void vocab_equals_golden(const el_vocab *v)
{
    for (size_t i = 0; i < N_OF(spm_golden); i++) {
        uint32_t bits;
        memcpy(&bits, &v->scores[i], 4);
        cr_assert_str_eq(v->tokens[i], spm_golden[i].piece, "piece %zu", i);
        cr_assert_eq(bits, spm_golden[i].score_bits, "score of piece %zu '%s': %g", i, v->tokens[i], v->scores[i]);
        cr_assert_eq(v->types[i], spm_golden[i].type, "type of piece %zu '%s'", i, v->tokens[i]);
    }
}

Test(spm_model, stories260K_pieces_scores_types)
{
    char *path = KS("models/stories260K/tokenizer.model");
    if (!path)
        cr_skip_test("../shared is absent");
    el_error e;
    el_error_clear(&e);
    char hex[65];
    cr_assert_eq(el_sha256_file(path, hex, &e), 0, "%s", e.msg);
    cr_assert_str_eq(hex, spm_golden_sha256, "not the tokenizer.model the golden values were made from");
    el_vocab v = {0};
    cr_assert_eq(el_spm_model_load(&v, path, 0, &e), 0, "%s", e.msg);
    cr_assert_eq(v.type, EL_VOCAB_SPM);
    cr_assert_eq(v.n_tokens, N_OF(spm_golden));
    cr_assert_eq(v.add_space_prefix, spm_golden_add_dummy_prefix);
    cr_assert_str_eq(v.pre, "default");
    vocab_equals_golden(&v);
    /* a larger vocab_size pads as llama.cpp's converter (convert_hf_to_gguf.py
     * _create_vocab_sentencepiece): "[PAD<id>]", score -10000, type UNUSED */
    cr_assert_eq(el_spm_model_load(&v, path, (int64_t)N_OF(spm_golden) + 3, &e), 0, "%s", e.msg);
    cr_assert_eq(v.n_tokens, N_OF(spm_golden) + 3);
    vocab_equals_golden(&v);
    for (uint32_t i = N_OF(spm_golden); i < v.n_tokens; i++) {
        cr_assert_str_eq(v.tokens[i], KF("[PAD%u]", i));
        cr_assert_eq(v.scores[i], -10000.0f);
        cr_assert_eq(v.types[i], EL_TOK_UNUSED);
    }
    el_vocab_free(&v);
    tu_release();
}

Test(spm_model, damaged_files_keep_the_error_contract)
{
    char *src = KS("models/stories260K/tokenizer.model");
    if (!src)
        cr_skip_test("../shared is absent");
    size_t n;
    uint8_t *b = tu_read(src, &n);
    cr_assert(b && n > 1000);
    char *dir = KT("spm"), *path = KF("%s/tokenizer.model", dir);
    /* cut inside the first piece's message (its length says more bytes follow), in the middle, and
     * one byte short of the end */
    const size_t cuts[] = {5, n / 2, n - 1};
    for (size_t k = 0; k < N_OF(cuts); k++) {
        cr_assert(tu_write(path, b, cuts[k]));
        el_vocab v = {0};
        el_error e;
        el_error_clear(&e);
        const int rc = el_spm_model_load(&v, path, 0, &e);
        tu_assert_error(rc, &e, path, cuts[k], KF("cut at %zu", cuts[k]));
        el_vocab_free(&v);
    }
    /* a field with wire type 7 (none exists), and a file with no pieces (only a normalizer spec
     * holding add_dummy_prefix = 0: field 3, length 2, key 3/varint, 0) */
    static const uint8_t bad_wire[] = {0x0f, 0x00};
    static const uint8_t no_pieces[] = {0x1a, 0x02, 0x18, 0x00};
    const struct {
        const uint8_t *d;
        size_t n;
        const char *needle;
    } cases[] = {{bad_wire, sizeof bad_wire, "protobuf"}, {no_pieces, sizeof no_pieces, "no pieces"}};
    for (size_t k = 0; k < N_OF(cases); k++) {
        cr_assert(tu_write(path, cases[k].d, cases[k].n));
        el_vocab v = {0};
        el_error e;
        el_error_clear(&e);
        const int rc = el_spm_model_load(&v, path, 0, &e);
        tu_assert_error(rc, &e, path, cases[k].n, cases[k].needle);
        cr_assert(strstr(e.msg, cases[k].needle), "%s", e.msg);
        el_vocab_free(&v);
    }
    free(b);
    tu_rmtree(dir);
    tu_release();
}

/* Hand-built protobuf: every refusal of the reader says where (err.offset: the byte of the field's
 * key, in the file) and what (the field number and wire type found, and in which message), in one
 * line. Keys are (field << 3) | wire: 0x0a = piece (1, length-delimited), 0x15 = score (2, fixed32),
 * 0x18 = type / add_dummy_prefix (3, varint), 0x1a = normalizer spec (3, length-delimited). */
Test(spm_model, malformed_protobuf_names_offset_field_and_wire_type)
{
    /* a well-formed piece 'a' (5 bytes), put first where a case needs a valid start */
#define PIECE_A 0x0a, 0x03, 0x0a, 0x01, 'a'
    static const uint8_t wire7[] = {0x0f, 0x00};                                  /* field 1, wire type 7 */
    static const uint8_t wire6_after[] = {PIECE_A, 0x16, 0x00};                   /* field 2, wire 6, at byte 5 */
    static const uint8_t group[] = {PIECE_A, 0x13};                               /* field 2, wire 3 (a group) */
    static const uint8_t wire7_in_piece[] = {0x0a, 0x05, 0x0a, 0x01, 'a', 0x1f, 0x00}; /* field 3, wire 7 at 5 */
    static const uint8_t wire6_in_norm[] = {PIECE_A, 0x1a, 0x02, 0x1e, 0x00};     /* field 3, wire 6 at 7 */
    static const uint8_t key_cut[] = {PIECE_A, 0x80};                              /* a key's varint, cut */
    static const uint8_t len_cut[] = {PIECE_A, 0x0a, 0x80};                        /* a length's varint, cut */
    static const uint8_t len_past[] = {PIECE_A, 0x0a, 0x05, 0x0a};                 /* length 5, 1 byte left */
    static const uint8_t len_past_piece[] = {0x0a, 0x03, 0x0a, 0x05, 'a'};        /* text of 5 in a piece of 3 */
    static const uint8_t f32_cut[] = {PIECE_A, 0x15, 0x00, 0x00};                  /* fixed32, 2 bytes left */
    static const uint8_t f64_cut[] = {PIECE_A, 0x11, 0x00, 0x00, 0x00};            /* fixed64, 3 bytes left */
    static const uint8_t score_cut[] = {0x0a, 0x05, 0x0a, 0x01, 'a', 0x15, 0x00};  /* score, 1 byte in the piece */
    static const uint8_t varint_cut_in_piece[] = {PIECE_A, 0x0a, 0x04, 0x0a, 0x01, 'b', 0x18}; /* type, no value */
    static const uint8_t long_varint[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    static const uint8_t field0[] = {PIECE_A, 0x00, 0x00};                         /* field number 0 */
    static const uint8_t no_text[] = {PIECE_A, 0x0a, 0x02, 0x18, 0x01};            /* piece 1: a type, no text */
    static const uint8_t nul[] = {PIECE_A, 0x0a, 0x04, 0x0a, 0x02, 'a', 0x00};     /* piece 1: "a\0" */
#undef PIECE_A
    const struct {
        const uint8_t *d;
        size_t n;
        int code;
        int64_t offset;
        const char *needles[3];
    } cases[] = {
        {wire7, sizeof wire7, EL_EFORMAT, 0, {"field 1", "wire type 7", NULL}},
        {wire6_after, sizeof wire6_after, EL_EFORMAT, 5, {"field 2", "wire type 6", NULL}},
        {group, sizeof group, EL_EFORMAT, 5, {"field 2", "wire type 3", NULL}},
        {wire7_in_piece, sizeof wire7_in_piece, EL_EFORMAT, 5, {"piece 0", "field 3", "wire type 7"}},
        {wire6_in_norm, sizeof wire6_in_norm, EL_EFORMAT, 7, {"normalizer spec", "field 3", "wire type 6"}},
        {key_cut, sizeof key_cut, EL_ETRUNC, 5, {"varint", "end of the file", NULL}},
        {len_cut, sizeof len_cut, EL_ETRUNC, 5, {"field 1", "wire type 2", "end of the file"}},
        {len_past, sizeof len_past, EL_ETRUNC, 5, {"field 1", "length 5", "1 byte left"}},
        {len_past_piece, sizeof len_past_piece, EL_EFORMAT, 2, {"piece 0", "length 5", "end of the piece"}},
        {f32_cut, sizeof f32_cut, EL_ETRUNC, 5, {"field 2", "wire type 5", "2 bytes left"}},
        {f64_cut, sizeof f64_cut, EL_ETRUNC, 5, {"field 2", "wire type 1", "3 bytes left"}},
        {score_cut, sizeof score_cut, EL_EFORMAT, 5, {"piece 0", "field 2", "wire type 5"}},
        {varint_cut_in_piece, sizeof varint_cut_in_piece, EL_EFORMAT, 10, {"piece 1", "field 3", "wire type 0"}},
        {long_varint, sizeof long_varint, EL_EFORMAT, 0, {"field 1", "wire type 0", "10 bytes"}},
        {field0, sizeof field0, EL_EFORMAT, 5, {"field number 0", NULL, NULL}},
        {no_text, sizeof no_text, EL_EFORMAT, 5, {"piece 1", "no text", NULL}},
        {nul, sizeof nul, EL_EFORMAT, 5, {"piece 1", "NUL", NULL}},
    };
    char *dir = KT("spm"), *path = KF("%s/tokenizer.model", dir);
    for (size_t k = 0; k < N_OF(cases); k++) {
        cr_assert(tu_write(path, cases[k].d, cases[k].n));
        el_vocab v = {0};
        el_error e;
        el_error_clear(&e);
        const int rc = el_spm_model_load(&v, path, 0, &e);
        char *what = KF("case %zu", k);
        tu_assert_error(rc, &e, path, cases[k].n, what);
        cr_assert_eq(rc, cases[k].code, "%s: code %s, want %s: %s", what, el_code_name(rc), el_code_name(cases[k].code),
                     e.msg);
        cr_assert_eq(e.offset, cases[k].offset, "%s: offset %lld, want %lld: %s", what, (long long)e.offset,
                     (long long)cases[k].offset, e.msg);
        for (int i = 0; i < 3 && cases[k].needles[i]; i++)
            cr_assert(strstr(e.msg, cases[k].needles[i]), "%s: no '%s' in: %s", what, cases[k].needles[i], e.msg);
        /* the line cmd/ prints: the file, the byte, the message */
        char line[2200];
        el_error_line(&e, line, sizeof line);
        const char *head = KF("%s: at byte %lld: ", path, (long long)cases[k].offset);
        cr_assert(!strncmp(line, head, strlen(head)), "%s: %s", what, line);
        el_vocab_free(&v);
    }
    tu_rmtree(dir);
    tu_release();
}

/* ---- engine/tokenizer/tok_pre.c ------------------------------------------------------------------------------- */

typedef struct pieces {
    const char *text;
    char got[32][32];
    int n;
} pieces;

static int collect(void *arg, size_t start, size_t end)
{
    pieces *p = arg;
    cr_assert_lt(p->n, 32);
    cr_assert_lt(end - start, 32u);
    snprintf(p->got[p->n++], 32, "%.*s", (int)(end - start), p->text + start);
    return 0;
}

/* The pieces of `text` with the pre-tokenizer `pre`, against the hand-worked list (NULL-terminated). */
static void split_is(const char *pre, const char *text, const char *const *want)
{
    struct el_tokenizer *t = calloc(1, sizeof *t);
    el_tok_ctx *c = el_tok_ctx_new();
    cr_assert(t && c);
    el_error e;
    el_error_clear(&e);
    cr_assert_eq(el_tok_pre_compile(t, pre, &e), 0, "%s: %s", pre, e.msg);
    pieces p = {.text = text};
    cr_assert_eq(el_tok_pre_split(t, c, text, strlen(text), collect, &p), 0);
    int nw = 0;
    while (want[nw])
        nw++;
    char all[1024] = "";
    for (int i = 0; i < p.n; i++)
        snprintf(all + strlen(all), sizeof all - strlen(all), "[%s]", p.got[i]);
    cr_assert_eq(p.n, nw, "%s on '%s': %d pieces %s, want %d", pre, text, p.n, all, nw);
    for (int i = 0; i < nw; i++)
        cr_assert_str_eq(p.got[i], want[i], "%s on '%s': piece %d is '%s', want '%s' (%s)", pre, text, i, p.got[i], want[i],
                         all);
    for (int k = 0; k < t->n_re; k++)
        pcre2_code_free(t->re[k]);
    free(t);
    el_tok_ctx_free(c);
}

Test(tok_pre, pieces_by_hand)
{
    /* GPT-2: case-sensitive contractions; " ?\p{N}+" keeps a number whole; "\s+(?!\S)" leaves the
     * space before a word to the word */
    split_is("gpt-2", "Hello world's 2024!!  x\n",
             (const char *const[]){"Hello", " world", "'s", " 2024", "!!", " ", " x", "\n", NULL});
    split_is("gpt-2", "DON'T na\xc3\xafve", (const char *const[]){"DON", "'", "T", " na\xc3\xafve", NULL});
    /* Llama 3: (?i:'t) contractions, numbers in threes, a space alone before digits, newlines
     * together, a non-letter glued to the word after it */
    split_is("llama-bpe", "Hello world's 12345 DON'T\n\n  ok",
             (const char *const[]){"Hello", " world", "'s", " ", "123", "45", " DON", "'T", "\n\n", " ", " ok", NULL});
    split_is("llama-bpe", "(x)=1;", (const char *const[]){"(x", ")=", "1", ";", NULL});
    /* Qwen2: the same with single digits */
    split_is("qwen2", "a 12345", (const char *const[]){"a", " ", "1", "2", "3", "4", "5", NULL});
    /* SmolLM (Digits individually, then GPT-2's regex without the trailing \s+): */
    split_is("smollm", "abc 2024 x", (const char *const[]){"abc", " ", "2", "0", "2", "4", " x", NULL});
    /* an unknown name is refused, naming it */
    struct el_tokenizer *t = calloc(1, sizeof *t);
    el_error e;
    el_error_clear(&e);
    cr_assert_eq(el_tok_pre_compile(t, "no-such-pre", &e), EL_EUNSUPPORTED);
    cr_assert(strstr(e.msg, "'no-such-pre'"), "%s", e.msg);
    cr_assert_eq(t->n_re, 0);
    free(t);
}

/* ---- eval/gate.c ------------------------------------------------------------------------------------ */

static el_gates gates_of(const char *spec)
{
    el_gates g;
    el_error e;
    el_error_clear(&e);
    cr_assert_eq(el_gates_parse(spec, &g, &e), 0, "'%s': %s", spec, e.msg);
    return g;
}

/* Check spec on result: the number of conditions met, and the messages (NULL: none expected). */
static void check_gates(const char *spec, const char *result, const char *label, int want_met, const char *want_msgs)
{
    el_gates g = gates_of(spec);
    json_error_t je;
    json_t *r = json_loads(result, 0, &je);
    cr_assert(r, "%s", je.text);
    int met = -1;
    char *msgs = NULL;
    el_error e;
    el_error_clear(&e);
    cr_assert_eq(el_gates_check(&g, r, label, &met, &msgs, &e), 0, "'%s' on %s: %s", spec, result, e.msg);
    cr_assert_eq(met, want_met, "'%s' on %s: %d met, want %d", spec, result, met, want_met);
    if (want_msgs)
        cr_assert(msgs && !strcmp(msgs, want_msgs), "'%s' on %s: messages\n%s\nwant\n%s", spec, result, msgs ? msgs : "(none)",
                  want_msgs);
    else
        cr_assert(msgs == NULL, "'%s' on %s: %s", spec, result, msgs);
    free(msgs);
    json_decref(r);
    el_gates_free(&g);
}

Test(gate, operators_truth_table)
{
    /* x against 1, worked by hand: rows <, <=, >, >=, ==, != ; columns x = 0.5, 1, 2 */
    static const char *const ops[] = {"<", "<=", ">", ">=", "==", "!="};
    static const int truth[6][3] = {{1, 0, 0}, {1, 1, 0}, {0, 0, 1}, {0, 1, 1}, {0, 1, 0}, {1, 0, 1}};
    static const char *const xs[] = {"0.5", "1", "2"};
    for (int o = 0; o < 6; o++)
        for (int k = 0; k < 3; k++) {
            char *spec = KF("x%s1", ops[o]), *res = KF("{\"x\": %s}", xs[k]);
            check_gates(spec, res, NULL, truth[o][k], truth[o][k] ? KF("--fail-if %s met: x = %s\n", spec, xs[k]) : NULL);
        }
    tu_release();
}

Test(gate, parse_records_paths_and_messages)
{
    el_gates g = gates_of("kld_mean>0.01,avg_ts<50,a.b.c>=-1e-3");
    cr_assert_eq(g.n, 3);
    cr_assert_str_eq(g.g[0].key, "kld_mean");
    cr_assert_eq(g.g[0].op, EL_GATE_GT);
    cr_assert_eq(g.g[0].value, 0.01);
    cr_assert_str_eq(g.g[1].key, "avg_ts");
    cr_assert_eq(g.g[1].op, EL_GATE_LT);
    cr_assert_eq(g.g[1].value, 50);
    cr_assert_str_eq(g.g[2].key, "a.b.c");
    cr_assert_eq(g.g[2].op, EL_GATE_GE);
    cr_assert_eq(g.g[2].value, -1e-3);
    el_gates_free(&g);
    g = gates_of("");
    cr_assert_eq(g.n, 0);
    el_gates_free(&g);
    g = gates_of(NULL);
    cr_assert_eq(g.n, 0);
    el_gates_free(&g);
    /* a list of records: every record that has the key, labelled; records without it are skipped */
    const char *bench = "[{\"model_name\": \"a.gguf\", \"test\": \"tg128\", \"n_threads\": 2, \"avg_ts\": 40},"
                        " {\"model_name\": \"b.gguf\", \"test\": \"tg128\", \"n_threads\": 2, \"avg_ts\": 60},"
                        " {\"model_name\": \"c.gguf\", \"test\": \"pp512\"}]";
    check_gates("avg_ts<50", bench, "model_name,test", 1, "--fail-if avg_ts<50 met: avg_ts = 40 (a.gguf tg128)\n");
    check_gates("avg_ts>0", bench, "model_name,n_threads", 2,
                "--fail-if avg_ts>0 met: avg_ts = 40 (a.gguf n_threads=2)\n"
                "--fail-if avg_ts>0 met: avg_ts = 60 (b.gguf n_threads=2)\n");
    check_gates("avg_ts>100", bench, "model_name", 0, NULL);
    /* dotted paths reach into objects; two conditions met give two lines, in the order written */
    const char *kld = "{\"kld_mean\": 0.02, \"kld_quantiles\": {\"99\": 0.5, \"50\": 0.01}}";
    check_gates("kld_quantiles.99>0.1,kld_mean>=0.02", kld, NULL, 2,
                "--fail-if kld_quantiles.99>0.1 met: kld_quantiles.99 = 0.5\n"
                "--fail-if kld_mean>=0.02 met: kld_mean = 0.02\n");
    check_gates("kld_quantiles.50>0.1", kld, NULL, 0, NULL);
    tu_release();
}

Test(gate, usage_errors)
{
    /* malformed conditions: EUSAGE naming the condition */
    static const char *const bad[] = {"x", "x<", "<1", "x=1", "x=<1", "x<>1", "x<1,", ",x<1", "x<1,,y>2", "x<1e", "x<1x",
                                      "x <1", "x<1 ",
                                      "k123456789012345678901234567890123456789012345678901234567890123<1"};
    for (size_t i = 0; i < N_OF(bad); i++) {
        el_gates g;
        el_error e;
        el_error_clear(&e);
        const int rc = el_gates_parse(bad[i], &g, &e);
        cr_assert_eq(rc, EL_EUSAGE, "'%s' accepted", bad[i]);
        cr_assert_eq(e.code, EL_EUSAGE);
        cr_assert(e.msg[0] && !strchr(e.msg, '\n'), "%s", e.msg);
        cr_assert_eq(g.n, 0);
        cr_assert(g.g == NULL);
    }
    /* a key that no record has as a number (absent, a string, an object): EUSAGE, not a silent pass */
    static const char *const absent[][2] = {{"nope<1", "{\"x\": 1}"}, {"name<1", "{\"name\": \"a\"}"},
                                            {"q>0", "{\"q\": {\"99\": 1}}"}, {"x<1", "[{\"y\": 1}, {\"z\": 2}]"},
                                            {"x<1", "[]"}};
    for (size_t i = 0; i < N_OF(absent); i++) {
        el_gates g = gates_of(absent[i][0]);
        json_t *r = json_loads(absent[i][1], 0, NULL);
        int met = -1;
        char *msgs = NULL;
        el_error e;
        el_error_clear(&e);
        cr_assert_eq(el_gates_check(&g, r, NULL, &met, &msgs, &e), EL_EUSAGE, "'%s' on %s", absent[i][0], absent[i][1]);
        cr_assert(strstr(e.msg, "has no number"), "%s", e.msg);
        cr_assert(msgs == NULL);
        json_decref(r);
        el_gates_free(&g);
    }
}

/* A threshold must be a finite decimal number: strtod also reads nan, inf, infinity, hex floats and
 * leading blanks, and rounds 1e999 to inf; a gate 'ppl>nan' is never met, so it would pass silently. */
Test(gate, non_finite_and_non_decimal_thresholds_refused)
{
    static const char *const bad[][2] = {{"ppl>nan", "nan"},       {"ppl>NaN", "NaN"},         {"ppl<inf", "inf"},
                                         {"ppl<-inf", "-inf"},     {"ppl>=+INF", "+INF"},      {"ppl<infinity", "infinity"},
                                         {"ppl!=nan(1)", "nan(1)"}, {"ppl<1e999", "1e999"},    {"ppl>-1e400", "-1e400"},
                                         {"ppl>0x1p3", "0x1p3"},   {"ppl<0x10", "0x10"},       {"ppl< 1", " 1"},
                                         {"ppl<	1", "	1"},       {"ppl<.", "."},             {"ppl<1.e", "1.e"},
                                         {"ppl<1e+", "1e+"}};
    for (size_t i = 0; i < N_OF(bad); i++) {
        el_gates g;
        el_error e;
        el_error_clear(&e);
        const int rc = el_gates_parse(bad[i][0], &g, &e);
        cr_assert_eq(rc, EL_EUSAGE, "'%s' accepted (threshold %g)", bad[i][0], g.n ? g.g[0].value : 0.0);
        cr_assert_eq(e.code, EL_EUSAGE);
        cr_assert(e.msg[0] && !strchr(e.msg, '\n'), "%s", e.msg);
        cr_assert(strstr(e.msg, "--fail-if"), "'%s': the flag is not named: %s", bad[i][0], e.msg);
        char *quoted = KF("'%s'", bad[i][1]);
        cr_assert(strstr(e.msg, quoted), "'%s': the value %s is not named: %s", bad[i][0], quoted, e.msg);
        cr_assert_eq(g.n, 0);
        cr_assert(g.g == NULL);
    }
    /* finite decimal numbers, in every form the grammar allows, still parse to their value */
    static const struct {
        const char *spec;
        double v;
    } good[] = {{"x<1", 1},         {"x<-1", -1},        {"x<+1", 1},          {"x<1.", 1},        {"x<.5", 0.5},
                {"x<1.5e3", 1500},  {"x<1E-3", 1e-3},    {"x<-2.5e+2", -250},  {"x<0", 0},         {"x<1e-400", 0},
                {"x<1.7976931348623157e308", 1.7976931348623157e308}};
    for (size_t i = 0; i < N_OF(good); i++) {
        el_gates g = gates_of(good[i].spec);
        cr_assert_eq(g.n, 1);
        cr_assert_eq(g.g[0].value, good[i].v, "'%s': %g", good[i].spec, g.g[0].value);
        el_gates_free(&g);
    }
    tu_release();
}

/* ---- quant/recipe.c --------------------------------------------------------------------------------- */

Test(recipe, mixes_file_types_quantizable_and_fallbacks)
{
    /* llama.h's LLAMA_FTYPE_MOSTLY_* numbers (general.file_type) and the base type of each mix */
    static const struct {
        const char *name;
        uint32_t ftype, base;
    } mix[] = {{"F32", 0, EL_TYPE_F32},     {"F16", 1, EL_TYPE_F16},       {"BF16", 32, EL_TYPE_BF16},
               {"Q4_0", 2, EL_TYPE_Q4_0},   {"Q4_1", 3, EL_TYPE_Q4_1},     {"Q8_0", 7, EL_TYPE_Q8_0},
               {"Q5_0", 8, EL_TYPE_Q5_0},   {"Q5_1", 9, EL_TYPE_Q5_1},     {"Q2_K", 10, EL_TYPE_Q2_K},
               {"Q3_K_S", 11, EL_TYPE_Q3_K}, {"Q3_K_M", 12, EL_TYPE_Q3_K}, {"Q3_K_L", 13, EL_TYPE_Q3_K},
               {"Q4_K_S", 14, EL_TYPE_Q4_K}, {"Q4_K_M", 15, EL_TYPE_Q4_K}, {"Q5_K_S", 16, EL_TYPE_Q5_K},
               {"Q5_K_M", 17, EL_TYPE_Q5_K}, {"Q6_K", 18, EL_TYPE_Q6_K},   {"Q2_K_S", 21, EL_TYPE_Q2_K},
               {"IQ4_NL", 25, EL_TYPE_IQ4_NL}, {"IQ4_XS", 30, EL_TYPE_IQ4_XS}};
    int n = 0;
    el_qmix_all(&n);
    cr_assert_eq(n, (int)N_OF(mix), "the README lists %zu types", N_OF(mix));
    for (size_t i = 0; i < N_OF(mix); i++) {
        const el_qmix *m = el_qmix_find(mix[i].name);
        cr_assert(m, "%s", mix[i].name);
        cr_assert_eq(m->ftype, mix[i].ftype, "%s", mix[i].name);
        cr_assert_eq(m->base, mix[i].base, "%s", mix[i].name);
    }
    cr_assert_eq(el_qmix_find("q4_k_m"), el_qmix_find("Q4_K_M"), "case-insensitive");
    cr_assert_null(el_qmix_find("Q4_K_X"));
    cr_assert_null(el_qmix_find("IQ4_K"));
    /* docs/quantize.md 1.1: names ending in "weight", 2-D or more, not norms, MoE gates, position tables */
    static const struct {
        const char *name;
        uint32_t dims;
        bool q;
    } qz[] = {{"blk.0.attn_q.weight", 2, true},           {"token_embd.weight", 2, true},
              {"output.weight", 2, true},                 {"blk.0.ffn_down.weight", 3, true},
              {"blk.0.attn_norm.weight", 1, false},       {"blk.0.attn_norm.weight", 2, false},
              {"output_norm.weight", 1, false},           {"blk.0.attn_q.bias", 2, false},
              {"blk.0.attn_q.weight", 1, false},          {"blk.0.ffn_gate_inp.weight", 2, false},
              {"position_embd.weight", 2, false},         {"token_types.weight", 2, false},
              {"rope_freqs.weight", 1, false}};
    for (size_t i = 0; i < N_OF(qz); i++)
        cr_assert_eq(el_recipe_quantizable(qz[i].name, qz[i].dims), qz[i].q, "%s (%u-D)", qz[i].name, qz[i].dims);
    /* docs/quantize.md 1.4: Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0, Q2_K/Q3_K/IQ4_XS -> IQ4_NL, F16 when 32
     * does not divide the row; a row that fits keeps its type */
    static const struct {
        uint32_t t, at576, at100;
    } fb[] = {{EL_TYPE_Q4_K, EL_TYPE_Q5_0, EL_TYPE_F16}, {EL_TYPE_Q5_K, EL_TYPE_Q5_1, EL_TYPE_F16},
              {EL_TYPE_Q6_K, EL_TYPE_Q8_0, EL_TYPE_F16}, {EL_TYPE_Q2_K, EL_TYPE_IQ4_NL, EL_TYPE_F16},
              {EL_TYPE_Q3_K, EL_TYPE_IQ4_NL, EL_TYPE_F16}, {EL_TYPE_IQ4_XS, EL_TYPE_IQ4_NL, EL_TYPE_F16},
              {EL_TYPE_IQ4_NL, EL_TYPE_IQ4_NL, EL_TYPE_F16}, {EL_TYPE_Q4_0, EL_TYPE_Q4_0, EL_TYPE_F16},
              {EL_TYPE_Q8_0, EL_TYPE_Q8_0, EL_TYPE_F16}, {EL_TYPE_Q5_1, EL_TYPE_Q5_1, EL_TYPE_F16},
              {EL_TYPE_F16, EL_TYPE_F16, EL_TYPE_F16},   {EL_TYPE_F32, EL_TYPE_F32, EL_TYPE_F32}};
    for (size_t i = 0; i < N_OF(fb); i++) {
        cr_assert_eq(el_recipe_fallback(fb[i].t, 512), fb[i].t, "%s at 512", el_type_name(fb[i].t));
        cr_assert_eq(el_recipe_fallback(fb[i].t, 576), fb[i].at576, "%s at 576: %s", el_type_name(fb[i].t),
                     el_type_name(el_recipe_fallback(fb[i].t, 576)));
        cr_assert_eq(el_recipe_fallback(fb[i].t, 100), fb[i].at100, "%s at 100", el_type_name(fb[i].t));
    }
}

/* Every tensor of a SmolLM2-135M in five mixes as llama-quantize typed it: the recipe, then the fallback
 * (rows of 576 do not fit 256-weight blocks: Q5_0 for Q4_K, IQ4_NL for Q2_K/Q3_K/IQ4_XS). */
Test(recipe, smollm2_mixes_equal_llama_quantize)
{
    static const char *const mixes[] = {"Q4_K_M", "Q3_K_M", "Q2_K", "IQ4_XS", "IQ4_NL"};
    for (size_t mi = 0; mi < sizeof mixes / sizeof mixes[0]; mi++) {
        char path[96], lower[16];
        size_t k = 0;
        for (; mixes[mi][k] && k < sizeof lower - 1; k++)
            lower[k] = (char)(mixes[mi][k] >= 'A' && mixes[mi][k] <= 'Z' ? mixes[mi][k] + 32 : mixes[mi][k]);
        lower[k] = '\0';
        snprintf(path, sizeof path, "tests/golden/quant/smollm2-135m.%s.types", lower);
        size_t len;
        char *golden = (char *)tu_read(path, &len);
        cr_assert(golden, "%s missing", path);
        /* SmolLM2-135M: 30 layers, 9 heads over 3 KV heads, hidden 576, FFN 1536, embeddings tied (no output.weight) */
        const el_recipe r = {el_qmix_find(mixes[mi]), false, false, false, 30, 3};
        cr_assert(r.mix, "%s", mixes[mi]);
        int n = 0;
        for (char *save = NULL, *line = strtok_r(golden, "\n", &save); line; line = strtok_r(NULL, "\n", &save), n++) {
            char name[64], want[16];
            cr_assert_eq(sscanf(line, "%63s %15s", name, want), 2, "%s", line);
            const bool norm = strstr(name, "_norm.weight") != NULL;
            const int64_t ne0 = strstr(name, "ffn_down") ? 1536 : 576;
            uint32_t got = EL_TYPE_F32; /* norms stay as the F16 conversion wrote them: F32 */
            if (el_recipe_quantizable(name, norm ? 1 : 2))
                got = el_recipe_fallback(el_recipe_type(&r, name, ne0), ne0);
            cr_assert(!strcasecmp(el_type_name(got), want), "%s %s: %s, llama-quantize %s", mixes[mi], name, el_type_name(got),
                      want);
        }
        cr_assert_eq(n, 272, "%s", path);
        free(golden);
    }
}

/* A 32-layer model with rows of 4096 (all fit), worked by hand per layer from llama.cpp's
 * llama_tensor_get_type (b4748; docs/quantize.md 1.2). use_more_bits(i, 32): the first and last eighth
 * (0-3, 28-31) and every third between ((i - 4) % 3 == 2: 6, 9, ..., 27). */
static const int more_bits_32[] = {0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31};

static bool in_list(int i, const int *l, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (l[k] == i)
            return true;
    return false;
}

enum { R_MB, R_LT2, R_LT4, R_ALL }; /* which layers get `hi`: use_more_bits, i < 2, i < 4, every layer */

typedef struct role_rule {
    const char *role;  /* "attn_v" ... */
    int when;
    uint32_t hi, lo;
} role_rule;

static void check_mix(const char *mixname, bool imatrix, int n_gqa, const role_rule *rules, size_t n_rules, uint32_t output,
                      uint32_t other)
{
    const el_recipe r = {el_qmix_find(mixname), false, true, imatrix, 32, n_gqa};
    cr_assert(r.mix);
    cr_assert_eq(el_recipe_type(&r, "output.weight", 4096), output, "%s output: %s", mixname,
                 el_type_name(el_recipe_type(&r, "output.weight", 4096)));
    cr_assert_eq(el_recipe_type(&r, "token_embd.weight", 4096), other, "%s token_embd (output.weight exists)", mixname);
    static const char *const roles[] = {"attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"};
    for (int i = 0; i < 32; i++)
        for (size_t k = 0; k < N_OF(roles); k++) {
            uint32_t want = other;
            for (size_t q = 0; q < n_rules; q++)
                if (!strcmp(rules[q].role, roles[k])) {
                    const bool hi = rules[q].when == R_MB    ? in_list(i, more_bits_32, N_OF(more_bits_32))
                                    : rules[q].when == R_LT2 ? i < 2
                                    : rules[q].when == R_LT4 ? i < 4
                                                             : true;
                    want = hi ? rules[q].hi : rules[q].lo;
                }
            char name[64];
            snprintf(name, sizeof name, "blk.%d.%s.weight", i, roles[k]);
            const uint32_t got = el_recipe_type(&r, name, 4096);
            cr_assert_eq(got, want, "%s%s n_gqa %d %s: %s, want %s", mixname, imatrix ? " +imatrix" : "", n_gqa, name,
                         el_type_name(got), el_type_name(want));
        }
}

Test(recipe, per_layer_tables_by_hand)
{
    const uint32_t Q2 = EL_TYPE_Q2_K, Q3 = EL_TYPE_Q3_K, Q4 = EL_TYPE_Q4_K, Q5 = EL_TYPE_Q5_K, Q6 = EL_TYPE_Q6_K;
    check_mix("Q4_K_M", false, 4, (role_rule[]){{"attn_v", R_MB, Q6, Q4}, {"ffn_down", R_MB, Q6, Q4}}, 2, Q6, Q4);
    check_mix("Q5_K_M", false, 4, (role_rule[]){{"attn_v", R_MB, Q6, Q5}, {"ffn_down", R_MB, Q6, Q5}}, 2, Q6, Q5);
    check_mix("Q4_K_S", false, 4, (role_rule[]){{"attn_v", R_LT4, Q5, Q4}, {"ffn_down", R_LT4, Q5, Q4}}, 2, Q6, Q4);
    check_mix("Q5_K_S", false, 4, NULL, 0, Q6, Q5);
    /* Q3_K_M: attn_v Q5_K for the first 2, else Q4_K; ffn_down Q5_K below n/16 = 2, else Q4_K; attn_output Q4_K */
    check_mix("Q3_K_M", false, 4,
              (role_rule[]){{"attn_v", R_LT2, Q5, Q4}, {"ffn_down", R_LT2, Q5, Q4}, {"attn_output", R_ALL, Q4, Q4}}, 3, Q6, Q3);
    check_mix("Q3_K_L", false, 4,
              (role_rule[]){{"attn_v", R_ALL, Q5, Q5}, {"ffn_down", R_ALL, Q5, Q5}, {"attn_output", R_ALL, Q5, Q5}}, 3, Q6, Q3);
    check_mix("Q3_K_S", false, 4, NULL, 0, Q6, Q3);
    /* Q2_K: attn_v Q4_K with GQA >= 4, else Q3_K; ffn_down and attn_output Q3_K */
    check_mix("Q2_K", false, 4,
              (role_rule[]){{"attn_v", R_ALL, Q4, Q4}, {"ffn_down", R_ALL, Q3, Q3}, {"attn_output", R_ALL, Q3, Q3}}, 3, Q6, Q2);
    check_mix("Q2_K", false, 1,
              (role_rule[]){{"attn_v", R_ALL, Q3, Q3}, {"ffn_down", R_ALL, Q3, Q3}, {"attn_output", R_ALL, Q3, Q3}}, 3, Q6, Q2);
    /* Q2_K_S: attn_v Q4_K with GQA >= 4; ffn_down Q4_K in the first eighth */
    check_mix("Q2_K_S", false, 4, (role_rule[]){{"attn_v", R_ALL, Q4, Q4}, {"ffn_down", R_LT4, Q4, Q2}}, 2, Q6, Q2);
    check_mix("Q2_K_S", false, 1, (role_rule[]){{"ffn_down", R_LT4, Q4, Q2}}, 1, Q6, Q2);
    /* legacy types: Q6_K output; with an imatrix the first eighth of ffn_down one step up */
    check_mix("Q4_0", false, 4, NULL, 0, Q6, EL_TYPE_Q4_0);
    check_mix("Q4_0", true, 4, (role_rule[]){{"ffn_down", R_LT4, EL_TYPE_Q4_1, EL_TYPE_Q4_0}}, 1, Q6, EL_TYPE_Q4_0);
    check_mix("Q5_0", true, 4, (role_rule[]){{"ffn_down", R_LT4, EL_TYPE_Q5_1, EL_TYPE_Q5_0}}, 1, Q6, EL_TYPE_Q5_0);
    check_mix("Q4_1", true, 4, NULL, 0, Q6, EL_TYPE_Q4_1);
    check_mix("Q8_0", false, 4, NULL, 0, EL_TYPE_Q8_0, EL_TYPE_Q8_0);
    check_mix("Q6_K", false, 4, NULL, 0, Q6, Q6);
    check_mix("F16", false, 4, NULL, 0, EL_TYPE_F16, EL_TYPE_F16);
    /* the output matrix whose rows don't fit the base's blocks: Q8_0 (llama.cpp: nx % block != 0) */
    const el_recipe r = {el_qmix_find("Q4_K_M"), false, true, false, 32, 4};
    cr_assert_eq(el_recipe_type(&r, "output.weight", 576), EL_TYPE_Q8_0);
    /* --pure: the base everywhere, output included */
    const el_recipe p = {el_qmix_find("Q4_K_M"), true, true, false, 32, 4};
    cr_assert_eq(el_recipe_type(&p, "output.weight", 4096), Q4);
    cr_assert_eq(el_recipe_type(&p, "blk.0.attn_v.weight", 4096), Q4);
    cr_assert_eq(el_recipe_type(&p, "blk.31.ffn_down.weight", 4096), Q4);
}

/* ---- quant/quantize.c: the row writer ---------------------------------------------------------------- */

static uint64_t q_rng = 0x9e3779b97f4a7c15ull;
static float gauss(void)
{
    double s = 0;
    for (int k = 0; k < 4; k++) {
        q_rng ^= q_rng << 13;
        q_rng ^= q_rng >> 7;
        q_rng ^= q_rng << 17;
        s += (double)(q_rng >> 11) / 9007199254740992.0;
    }
    return (float)(s - 2.0);
}

static const struct {
    const char *name;
    uint32_t n_dims;
    int64_t ne0, ne1;
    uint32_t want; /* docs/quantize.md for Q4_K_M on a 2-layer model with output.weight */
} qt[] = {
    {"token_embd.weight", 2, 256, 6, EL_TYPE_Q4_K},      /* not the output (output.weight exists): the base */
    {"blk.0.attn_norm.weight", 1, 256, 1, EL_TYPE_F32},  /* a norm: copied */
    {"blk.0.attn_v.weight", 2, 256, 3, EL_TYPE_Q4_K},    /* layer 0 of 2: 0 < 2/8 is false, not the last eighth */
    {"blk.1.attn_v.weight", 2, 256, 3, EL_TYPE_Q6_K},    /* layer 1 >= 7 x 2/8: the last eighth, more bits */
    {"blk.0.ffn_down.weight", 2, 64, 5, EL_TYPE_Q5_0},   /* rows of 64 don't fit Q4_K's 256: Q5_0 */
    {"output.weight", 2, 256, 6, EL_TYPE_Q6_K},          /* the output matrix: Q6_K */
};

static void write_f32_model(const char *path, float **data)
{
    gguf_writer *w;
    el_error e;
    el_error_clear(&e);
    cr_assert_eq(gguf_writer_open(&w, path, &e), 0, "%s", e.msg);
    cr_assert_eq(gguf_add_str(w, "general.architecture", "llama", &e), 0);
    cr_assert_eq(gguf_add_u32(w, "llama.block_count", 2, &e), 0);
    cr_assert_eq(gguf_add_u32(w, "llama.attention.head_count", 4, &e), 0);
    cr_assert_eq(gguf_add_u32(w, "llama.attention.head_count_kv", 4, &e), 0);
    for (size_t i = 0; i < N_OF(qt); i++) {
        const int64_t ne[2] = {qt[i].ne0, qt[i].ne1};
        cr_assert_eq(gguf_add_tensor(w, qt[i].name, EL_TYPE_F32, qt[i].n_dims, ne, &e), 0, "%s", e.msg);
    }
    cr_assert_eq(gguf_writer_begin_data(w, &e), 0);
    for (size_t i = 0; i < N_OF(qt); i++) {
        const size_t n = (size_t)(qt[i].ne0 * qt[i].ne1);
        data[i] = malloc(n * sizeof(float));
        for (size_t j = 0; j < n; j++) /* rows of their own magnitude, a few outliers */
            data[i][j] = (float)(0.02 * (1 + (int64_t)j / qt[i].ne0) * gauss() * (j % 97 == 0 ? 25 : 1));
        cr_assert_eq(gguf_writer_write(w, data[i], n * sizeof(float), &e), 0);
    }
    cr_assert_eq(gguf_writer_finish(w, &e), 0, "%s", e.msg);
}

static double row_sse(const float *x, const float *d, int64_t n)
{
    double s = 0;
    for (int64_t j = 0; j < n; j++)
        s += ((double)x[j] - d[j]) * ((double)x[j] - d[j]);
    return s;
}

Test(quant_rows, written_rows_against_the_reference_quantizers)
{
    char *dir = KT("qrows"), *in = KF("%s/f32.gguf", dir), *out1 = KF("%s/q1.gguf", dir), *out2 = KF("%s/q2.gguf", dir);
    float *data[N_OF(qt)];
    write_f32_model(in, data);
    el_error e;
    el_error_clear(&e);
    el_quantize_opts o = {.in_path = in, .out_path = out1, .mix = el_qmix_find("Q4_K_M"), .output_type = -1, .embd_type = -1,
                          .threads = 1};
    el_quantize_result r1, r2;
    cr_assert_eq(el_quantize(&o, &r1, &e), 0, "%s", e.msg);
    o.out_path = out2;
    o.threads = 2;
    cr_assert_eq(el_quantize(&o, &r2, &e), 0, "%s", e.msg);
    cr_assert(tu_files_equal(out1, out2), "1 and 2 threads wrote different files");
    cr_assert_eq(r1.n_tensors, N_OF(qt));
    cr_assert_eq(r1.n_quantized, N_OF(qt) - 1);
    cr_assert_eq(r1.n_fallback, 1);
    gguf_file *g;
    cr_assert_eq(gguf_open(&g, out1, &e), 0, "%s", e.msg);
    uint32_t ft = 0;
    cr_assert_eq(gguf_get_u32(g, "general.file_type", &ft), 1);
    cr_assert_eq(ft, 15, "LLAMA_FTYPE_MOSTLY_Q4_K_M");
    uint64_t bytes_out = 0;
    for (size_t i = 0; i < N_OF(qt); i++) {
        const gguf_tensor *t = gguf_find_tensor(g, qt[i].name);
        cr_assert(t, "%s", qt[i].name);
        cr_assert_eq(t->type, qt[i].want, "%s: %s, want %s", qt[i].name, el_type_name(t->type), el_type_name(qt[i].want));
        cr_assert_eq(r1.tensors[i].type, qt[i].want);
        cr_assert_eq(t->ne[0], qt[i].ne0);
        bytes_out += t->size;
        const int64_t n0 = qt[i].ne0;
        if (qt[i].want == EL_TYPE_F32) {
            cr_assert_eq(t->size, (uint64_t)(n0 * qt[i].ne1) * 4);
            cr_assert(memcmp(t->data, data[i], t->size) == 0, "%s: not copied as it was", qt[i].name);
            cr_assert_eq(r1.tensors[i].rmse, 0);
            continue;
        }
        uint64_t rb = 0;
        cr_assert(el_type_row_bytes(t->type, (uint64_t)n0, &rb));
        cr_assert_eq(t->size, rb * (uint64_t)qt[i].ne1);
        const el_qtraits *q = el_qtraits_get(t->type);
        float *dq = malloc((size_t)n0 * 4), *dr = malloc((size_t)n0 * 4);
        uint8_t *yr = malloc(rb);
        double sse = 0, mx = 0;
        for (int64_t row = 0; row < qt[i].ne1; row++) {
            const float *x = data[i] + row * n0;
            cr_assert(el_dequantize_row(t->type, t->data + (uint64_t)row * rb, dq, n0));
            q->from_float_ref(x, yr, n0); /* the scalar reference quantizer (quant_ref.c) of the same row */
            q->to_float(yr, dr, n0);
            const double eb = row_sse(x, dq, n0), er = row_sse(x, dr, n0);
            cr_assert_leq(eb, er * (1 + 1e-5) + 1e-30, "%s row %lld: written %g > reference %g", qt[i].name, (long long)row, eb, er);
            sse += eb;
            for (int64_t j = 0; j < n0; j++)
                mx = fmax(mx, fabs((double)x[j] - dq[j]));
        }
        const double rmse = sqrt(sse / (double)(n0 * qt[i].ne1));
        cr_assert(fabs(r1.tensors[i].rmse - rmse) <= 1e-6 * rmse, "%s: report RMSE %.9g, decoded rows %.9g", qt[i].name,
                  r1.tensors[i].rmse, rmse);
        cr_assert(fabs(r1.tensors[i].max_abs - mx) <= 1e-6 * mx, "%s: report max %.9g, decoded rows %.9g", qt[i].name,
                  r1.tensors[i].max_abs, mx);
        cr_assert_eq(r1.tensors[i].bytes, t->size);
        free(dq);
        free(dr);
        free(yr);
    }
    cr_assert_eq(r1.bytes_out, bytes_out);
    gguf_close(g);
    for (size_t i = 0; i < N_OF(qt); i++)
        free(data[i]);
    el_quantize_result_free(&r1);
    el_quantize_result_free(&r2);
    tu_rmtree(dir);
    tu_release();
}

/* ---- distill/merge.c -------------------------------------------------------------------------------- */

/* The lines of a file, as a JSON array of strings. */
static json_t *lines_of(const char *path)
{
    size_t n;
    char *s = (char *)tu_read(path, &n);
    cr_assert(s, "%s", path);
    json_t *a = json_array();
    for (char *p = s, *e; *p; p = e + 1) {
        e = strchr(p, '\n');
        cr_assert(e, "%s: last line unterminated", path);
        json_array_append_new(a, json_stringn(p, (size_t)(e - p)));
    }
    free(s);
    return a;
}

static void same_files(const char *a, const char *b)
{
    DIR *d = opendir(a);
    cr_assert(d, "%s", a);
    int n = 0;
    for (struct dirent *de; (de = readdir(d));) {
        if (de->d_name[0] == '.')
            continue;
        n++;
        cr_assert(tu_files_equal(KF("%s/%s", a, de->d_name), KF("%s/%s", b, de->d_name)), "%s differs from %s's", de->d_name, b);
    }
    closedir(d);
    d = opendir(b);
    for (struct dirent *de; (de = readdir(d));)
        n -= de->d_name[0] != '.';
    closedir(d);
    cr_assert_eq(n, 0, "%s and %s hold different files", a, b);
}

static int merge(const char *const *dirs, int n, const char *out, el_error *e)
{
    json_t *man = NULL;
    el_error_clear(e);
    const int rc = el_distill_merge(dirs, n, out, NULL, &man, e);
    json_decref(man);
    return rc;
}

Test(merge, shards_into_the_one_run_folder, .timeout = 60)
{
    char *src = KS("models/stories260K");
    if (!src)
        cr_skip_test("../shared is absent");
    char *dir = KT("merge"), *t = KF("%s/t.gguf", dir), *p = KF("%s/p.jsonl", dir);
    tu_ok("convert", "-q", src, "-o", t, "--outtype", "f32", NULL);
    const char *recs = "{\"prompt\": \"Once upon a time\"}\n{\"prompt\": \"The cat\"}\n{\"prompt\": \"Lily had\"}\n"
                       "{\"prompt\": \"One day\"}\n{\"prompt\": \"Tom\"}\n";
    cr_assert(tu_write(p, recs, strlen(recs)));
    /* the shards and the one run (the oracle: distill/merge.h promises its bytes), with logits files of 16
     * tokens so merging regroups them */
    const char *one = KF("%s/one", dir), *s[3];
    tu_ok("distill", "gen", "-q", "--teacher", t, "--prompts", p, "-o", one, "--max-new", "6", "--samples", "2",
          "--shard-tokens", "16", "-t", "1", NULL);
    for (int i = 0; i < 3; i++) {
        s[i] = KF("%s/s%d", dir, i);
        tu_ok("distill", "gen", "-q", "--teacher", t, "--prompts", p, "-o", s[i], "--max-new", "6", "--samples", "2",
              "--shard-tokens", "16", "--shard", KF("%d/3", i), "-t", "1", NULL);
    }
    /* given in any order */
    const char *order[3] = {s[2], s[0], s[1]};
    const char *out = KF("%s/merged", dir);
    el_error e;
    cr_assert_eq(merge(order, 3, out, &e), 0, "%s", e.msg);
    same_files(one, out);
    cr_assert(access(KF("%s/logits-00001.safetensors", out), F_OK) == 0, "the test should regroup several logits files");
    /* the merged lines are the shards' lines, ordered by (record, sample) */
    json_t *all = json_array(), *merged = lines_of(KF("%s/completions.jsonl", out));
    for (int i = 0; i < 3; i++) {
        json_t *l = lines_of(KF("%s/completions.jsonl", s[i]));
        json_array_extend(all, l);
        json_decref(l);
    }
    cr_assert_eq(json_array_size(merged), 10, "5 records x 2 samples");
    cr_assert_eq(json_array_size(all), 10);
    for (int64_t id = 0, k = 0; id < 5; id++)
        for (int64_t smp = 0; smp < 2; smp++, k++) {
            const char *want = NULL;
            for (size_t i = 0; i < json_array_size(all); i++) {
                json_t *j = json_loads(json_string_value(json_array_get(all, i)), 0, NULL);
                if (json_integer_value(json_object_get(j, "id")) == id && json_integer_value(json_object_get(j, "sample")) == smp)
                    want = json_string_value(json_array_get(all, i));
                json_decref(j);
            }
            cr_assert(want, "no shard line for record %lld sample %lld", (long long)id, (long long)smp);
            cr_assert_str_eq(json_string_value(json_array_get(merged, (size_t)k)), want, "line %lld", (long long)k);
        }
    json_decref(all);
    json_decref(merged);
    /* refused: a shard missing, a shard twice, a shard of another run; nothing is left at the output */
    const char *other = KF("%s/other", dir);
    tu_ok("distill", "gen", "-q", "--teacher", t, "--prompts", p, "-o", other, "--max-new", "5", "--samples", "2",
          "--shard-tokens", "16", "--shard", "1/3", "-t", "1", NULL);
    const struct {
        const char *d[3];
        int n;
        const char *needle;
    } bad[] = {{{s[0], s[1], NULL}, 2, "folders are merged"},
               {{s[0], s[1], s[1]}, 3, "also comes from"},
               {{s[0], other, s[2]}, 3, "not shards of one run"}};
    for (size_t k = 0; k < N_OF(bad); k++) {
        const char *o2 = KF("%s/bad%zu", dir, k);
        const int rc = merge(bad[k].d, bad[k].n, o2, &e);
        cr_assert_eq(rc, EL_EUSAGE, "case %zu: %d %s", k, rc, e.msg);
        cr_assert(strstr(e.msg, bad[k].needle), "case %zu: %s", k, e.msg);
        cr_assert(strstr(e.path, "/manifest.json"), "case %zu: err.path '%s' should name a manifest", k, e.path);
        cr_assert(!strchr(e.msg, '\n'));
        cr_assert(access(o2, F_OK) != 0, "case %zu left %s", k, o2);
    }
    tu_rmtree(dir);
    tu_release();
}

/* ---- the module boundaries (tests/layers.sh) ----------------------------------------------------------- */

/* The tree keeps its layers: formats/ never includes quant/ (the tensor stream takes quantizers as functions), no
 * two modules of a folder include each other. The checker itself is shown to fail on a small tree with both faults:
 * an include across the layers, and quant.c / search.c including each other as they did before issue 18. */
Test(layers, hold_and_the_check_finds_breaks)
{
    const char *ok[] = {"sh", "tests/layers.sh", NULL};
    tu_run r = tu_exec(ok, NULL, NULL);
    cr_assert_eq(r.status, 0, "tests/layers.sh on the tree:\n%s%s", r.out, r.err);
    tu_run_free(&r);

    char *dir = tu_tmpdir("layers");
    char *p = tu_fmt("%s/formats", dir), *q = tu_fmt("%s/quant", dir);
    cr_assert(mkdir(p, 0755) == 0 && mkdir(q, 0755) == 0);
    static const char conv[] = "#include \"formats/convert.h\"\n#include \"quant/quant_ref.h\"\n";
    static const char quant[] = "#include \"quant/quant.h\"\n#include \"quant/search.h\"\n";
    static const char search[] = "#include \"quant/search.h\"\n#include \"formats/ggml_type.h\"\n#include \"quant/quant.h\"\n";
    cr_assert(tu_write(tu_keep(tu_fmt("%s/convert.c", p)), conv, strlen(conv)));
    cr_assert(tu_write(tu_keep(tu_fmt("%s/quant.c", q)), quant, strlen(quant)));
    cr_assert(tu_write(tu_keep(tu_fmt("%s/search.c", q)), search, strlen(search)));
    const char *bad[] = {"sh", "tests/layers.sh", dir, NULL};
    r = tu_exec(bad, NULL, NULL);
    cr_assert_eq(r.status, 1, "exit %d:\n%s", r.status, r.out);
    cr_assert(strstr(r.out, "formats/convert.c includes quant/quant_ref.h: formats/ may include only core"), "%s", r.out);
    cr_assert(strstr(r.out, "modules that include each other") && strstr(r.out, "quant/search") && strstr(r.out, "quant/quant"),
              "%s", r.out);
    cr_assert(!strstr(r.out, "ggml_type"), "an allowed include was reported:\n%s", r.out);
    tu_run_free(&r);
    tu_rmtree(dir);
    free(dir);
    free(p);
    free(q);
    tu_release();
}
