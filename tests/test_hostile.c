/*
 * tests/test_hostile.c - crafted files that crashed edgelm, made it read or allocate out of
 * bounds, or were quietly accepted with a wrong meaning (issue 16, items 1-5 and 14). Each case
 * failed before its fix: a crash, a sanitizer report, exit 0, or a defaulted value.
 *
 * The expected values are the file formats' own rules (a NaN logit, a size that overflows 64
 * bits, a float that is not a valid RoPE base), written down here; the files are made from a
 * real model of ours by changing one field.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/file.h"
#include "core/half.h"
#include "datasets/tasks.h"
#include "distill/shard.h"
#include "engine/kernels/kernels.h"
#include "engine/model.h"
#include "eval/gate.h"
#include "eval/logits_file.h"
#include "formats/ggml_type.h"
#include "formats/gguf.h"
#include "quant/blocks.h"
#include "quant/imatrix.h"
#include "tests/testutil.h"

/* ---- helpers -------------------------------------------------------------------------------- */

/* The tiny model as a Hugging Face folder and as an F32 GGUF, in a fresh folder. */
static const char *tiny(const char **hf)
{
    const char *d = KT("hostile");
    *hf = KF("%s/hf", d);
    tu_ok("synth", "--preset", "tiny", "-o", *hf, NULL);
    const char *g = KF("%s/m.gguf", d);
    tu_ok("convert", *hf, "-o", g, "--outtype", "f32", NULL);
    return g;
}

/* The offset just past GGUF string `str` (u64 length, then the bytes) in b, with room for 8 more
 * bytes after it; 0 when absent. */
static size_t after_gguf_string(const uint8_t *b, size_t n, const char *str)
{
    const size_t kl = strlen(str);
    for (size_t i = 8; i + kl + 8 <= n; i++) {
        uint64_t len;
        memcpy(&len, b + i - 8, 8);
        if (len == kl && memcmp(b + i, str, kl) == 0)
            return i + kl;
    }
    return 0;
}

/* Overwrite the value of GGUF metadata key `key` in place (its type must be 4 bytes: u32 or f32). */
static void patch_kv(const char *path, const char *key, const void *val4)
{
    size_t n;
    uint8_t *b = tu_read(path, &n);
    cr_assert(b);
    size_t at = after_gguf_string(b, n, key);
    cr_assert(at, "no key %s in %s", key, path);
    at += 4; /* past its u32 value type */
    memcpy(b + at, val4, 4);
    cr_assert(tu_write(path, b, n));
    free(b);
}

/* Fill tensor `name` of a GGUF with the float v. */
static void fill_tensor(const char *path, const char *name, float v)
{
    gguf_file *f = NULL;
    el_error e;
    el_error_clear(&e);
    cr_assert_eq(gguf_open(&f, path, &e), 0, "%s", e.msg);
    const gguf_tensor *t = gguf_find_tensor(f, name);
    cr_assert(t && t->type == EL_TYPE_F32);
    const uint64_t off = (uint64_t)(t->data - f->map.data), cnt = t->size / 4;
    gguf_close(f);
    el_input_forget(path);
    size_t n;
    uint8_t *b = tu_read(path, &n);
    for (uint64_t i = 0; i < cnt; i++)
        memcpy(b + off + 4 * i, &v, 4);
    cr_assert(tu_write(path, b, n));
    free(b);
}

/* Edit config.json of a folder: set key to the JSON text `value` (NULL: remove it). */
static void set_config(const char *hf, const char *key, const char *value)
{
    const char *p = KF("%s/config.json", hf);
    json_error_t je;
    json_t *c = json_load_file(p, 0, &je);
    cr_assert(c);
    if (value) {
        json_t *v = json_loads(value, JSON_DECODE_ANY, &je);
        cr_assert(v, "bad test value %s", value);
        json_object_set_new(c, key, v);
    } else {
        json_object_del(c, key);
    }
    cr_assert_eq(json_dump_file(c, p, JSON_INDENT(2)), 0);
    json_decref(c);
}

/* The peak RSS a test allows its children: kb, or four times that for the ASan build (make asan),
 * whose shadow memory and quarantine are not edgelm's. */
static long rss_cap_kb(long kb) { return getenv("ASAN_OPTIONS") ? 4 * kb : kb; }

static void fails(tu_run r, int status, const char *want1, const char *want2)
{
    cr_assert_eq(r.status, status, "exit %d (expected %d): %s", r.status, status, r.err);
    cr_assert(strstr(r.err, want1) && (!want2 || strstr(r.err, want2)), "error lacks '%s'/'%s': %s", want1,
              want2 ? want2 : "", r.err);
    tu_run_free(&r);
}

/* ---- 1. NaN logits ---------------------------------------------------------------------------- */

Test(hostile, nan_logits_are_named_not_a_crash, .timeout = 120)
{
    const char *hf;
    const char *g = tiny(&hf);
    fill_tensor(g, "output_norm.weight", NAN);
    /* run with the default sampler segfaulted in the top-k partition */
    fails(tu_edgelm("run", g, "-p", "Once upon a time", "-n", "4", NULL), 1, g, "NaN");
    fails(tu_edgelm("run", g, "-p", "Once upon a time", "-n", "4", "--temp", "0", NULL), 1, g, "NaN");
    /* eval printed "PPL = -nan" and then a misleading error */
    tu_run r = tu_edgelm("eval", "ppl", g, "-f", KF("%s/sample.txt", hf), "-c", "64", NULL);
    cr_assert(!strstr(r.out, "nan"), "printed a NaN figure: %s", r.out);
    fails(r, 1, "NaN", "chunk 1, position 32");
    const char *pr = KF("%s/p.txt", hf);
    cr_assert(tu_write(pr, "Once upon a time\nThe cat\n", 25));
    fails(tu_edgelm("distill", "gen", "--teacher", g, "--prompts", pr, "-o", KF("%s/dist", hf), "--max-new", "4", NULL), 1, g,
          "NaN");
    /* +inf weights: infinite (or NaN) logits, named the same way */
    fill_tensor(g, "output_norm.weight", INFINITY);
    fails(tu_edgelm("run", g, "-p", "Once", "-n", "2", NULL), 1, g, "logits");
    tu_release();
}

Test(hostile, gguf_hyperparameters_out_of_range, .timeout = 60)
{
    const char *hf;
    const char *g = tiny(&hf);
    const char *g2 = KF("%s/b.gguf", hf);
    cr_assert(tu_write(g2, "", 0));
    /* rope.freq_base 0 made every logit NaN */
    float zero = 0.0f;
    patch_kv(g, "llama.rope.freq_base", &zero);
    fails(tu_edgelm("run", g, "-p", "Once", "-n", "2", NULL), 1, g, "rope.freq_base");
    float one = 10000.0f;
    patch_kv(g, "llama.rope.freq_base", &one);
    /* rope.dimension_count 2^31 became negative, passed the checks and asked for a huge context */
    uint32_t big = 1u << 31;
    patch_kv(g, "llama.rope.dimension_count", &big);
    fails(tu_edgelm("run", g, "-p", "Once", "-n", "2", NULL), 1, g, "rope.dimension_count");
    uint32_t odd = 63;
    patch_kv(g, "llama.rope.dimension_count", &odd);
    fails(tu_edgelm("run", g, "-p", "Once", "-n", "2", NULL), 1, g, "rope.dimension_count");
    float eps = -1e-5f;
    uint32_t ok = 64;
    patch_kv(g, "llama.rope.dimension_count", &ok);
    patch_kv(g, "llama.attention.layer_norm_rms_epsilon", &eps);
    fails(tu_edgelm("run", g, "-p", "Once", "-n", "2", NULL), 1, g, "layer_norm_rms_epsilon");
    tu_release();
}

/* ---- 14, 5. config.json values are refused, not defaulted or truncated --------------------------- */

Test(hostile, config_values_are_refused, .timeout = 120)
{
    const char *hf;
    tiny(&hf);
    const char *cfg = KF("%s/config.json", hf), *out = KF("%s/out.gguf", hf);
    size_t n0;
    uint8_t *orig = tu_read(cfg, &n0);
    static const struct {
        const char *key, *value, *phrase;
    } cases[] = {
        {"rope_theta", "0", "rope_theta"},
        {"rope_theta", "-10000", "rope_theta"},
        {"rms_norm_eps", "\"x\"", "rms_norm_eps"},
        {"rms_norm_eps", "-1e-5", "rms_norm_eps"},
        {"rms_norm_eps", "0", "rms_norm_eps"},
        {"max_position_embeddings", "1099511627776", "max_position_embeddings"},
        {"partial_rotary_factor", "-1", "partial_rotary_factor"},
        {"partial_rotary_factor", "1e300", "partial_rotary_factor"},
        {"partial_rotary_factor", "0.3", "even"}, /* 0.3 x 64 = 19 rotated dimensions */
        {"partial_rotary_factor", "\"half\"", "partial_rotary_factor"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_assert(tu_write(cfg, orig, n0));
        set_config(hf, cases[i].key, cases[i].value);
        tu_run r = tu_edgelm("convert", hf, "-o", out, NULL);
        cr_assert_eq(r.status, 1, "%s = %s: exit %d: %s", cases[i].key, cases[i].value, r.status, r.err);
        cr_assert(strstr(r.err, "config.json") && strstr(r.err, cases[i].phrase), "%s = %s: %s", cases[i].key,
                  cases[i].value, r.err);
        cr_assert(access(out, F_OK) != 0, "%s = %s left an output", cases[i].key, cases[i].value);
        tu_run_free(&r);
    }
    /* a rope_scaling whose factor is not a number above 0 */
    cr_assert(tu_write(cfg, orig, n0));
    set_config(hf, "rope_scaling", "{\"rope_type\": \"llama3\", \"factor\": -8, \"low_freq_factor\": 1, \"high_freq_factor\": 4}");
    fails(tu_edgelm("convert", hf, "-o", out, NULL), 1, "config.json", "factor");
    /* vocab_size 2^24: refused by the embedding's shape before a 16M-token vocabulary is padded (420 MB before) */
    cr_assert(tu_write(cfg, orig, n0));
    set_config(hf, "vocab_size", "16777216");
    fails(tu_edgelm("convert", hf, "-o", out, NULL), 1, "embed_tokens", "16777216");
    struct rusage ru;
    cr_assert_eq(getrusage(RUSAGE_CHILDREN, &ru), 0);
    cr_assert(ru.ru_maxrss < rss_cap_kb(100 * 1024), "a child of this test reached %ld KB", ru.ru_maxrss);
    free(orig);
    tu_release();
}

Test(hostile, merges_must_be_a_list, .timeout = 60)
{
    const char *hf;
    tiny(&hf);
    const char *tj = KF("%s/tokenizer.json", hf);
    json_error_t je;
    json_t *t = json_load_file(tj, 0, &je);
    cr_assert(t);
    json_object_set_new(json_object_get(t, "model"), "merges", json_pack("{s:i}", "a b", 1));
    cr_assert_eq(json_dump_file(t, tj, 0), 0);
    json_decref(t);
    fails(tu_edgelm("convert", hf, "-o", KF("%s/x.gguf", hf), NULL), 1, "tokenizer.json", "merges");
    tu_release();
}

/* ---- 2. an index with no tensors ---------------------------------------------------------------- */

Test(hostile, empty_weight_map, .timeout = 60)
{
    const char *hf;
    tiny(&hf);
    const char *idx = KF("%s/model.safetensors.index.json", hf);
    cr_assert(tu_write(idx, "{\"metadata\": {}, \"weight_map\": {}}", 34));
    cr_assert_eq(unlink(KF("%s/model.safetensors", hf)), 0);
    fails(tu_edgelm("inspect", hf, NULL), 1, idx, "weight_map");
    fails(tu_edgelm("convert", hf, "-o", KF("%s/x.gguf", hf), NULL), 1, idx, "weight_map");
    tu_release();
}

/* ---- 3. a .kld header whose size sum wraps 2^64 ------------------------------------------------- */

Test(hostile, kld_header_size_overflow)
{
    /* 20 + n_chunk * (n_ctx * 4 + per * row_len * 2) = 20 (mod 2^64) for these (found by search) */
    const char *d = KT("hostile");
    const char *p = KF("%s/x.kld", d);
    uint8_t h[20] = "_logits_";
    const uint32_t n_ctx = 131072;
    const int32_t n_vocab = 262140, n_chunk = 536870912;
    memcpy(h + 8, &n_ctx, 4);
    memcpy(h + 12, &n_vocab, 4);
    memcpy(h + 16, &n_chunk, 4);
    cr_assert(tu_write(p, h, sizeof h));
    el_kld_file f;
    el_error e;
    el_error_clear(&e);
    cr_assert_neq(el_kld_file_open(&f, p, &e), 0, "a 20-byte file was taken for %d chunks", n_chunk);
    cr_assert(strstr(e.msg, "overflows"), "%s", e.msg);
    tu_rmtree(d);
    tu_release();
}

/* ---- 4. distill shards whose shapes overflow -------------------------------------------------- */

/* A shard file with the given header JSON (tensors over `data`). */
static void write_st(const char *path, json_t *head, const void *data, size_t n)
{
    char *js = json_dumps(head, JSON_COMPACT);
    size_t hl = strlen(js);
    uint8_t *b = malloc(8 + hl + n);
    uint64_t l = hl;
    memcpy(b, &l, 8);
    memcpy(b + 8, js, hl);
    memcpy(b + 8 + hl, data, n);
    cr_assert(tu_write(path, b, 8 + hl + n));
    free(b);
    free(js);
}

/* The five tensors of a shard with one record of one token, k = 2; input_ids stored "compressed"
 * with the element count given. */
static json_t *shard_head(const char *ids_entry, const char *index_entry)
{
    json_t *h = json_pack("{s:{s:s, s:s, s:s, s:s, s:s}}", "__metadata__", "format", "edgelm.distill.logits", "k", "2",
                          "n_vocab", "512", "zlib.input_ids", ids_entry, "zlib.index", index_entry);
    /* offsets: index 48 bytes (u8, "compressed"), input_ids 4 (u8), ids 4 (u16 1x2), lp 4 (f16), tail 2 */
    json_object_set_new(h, "index", json_pack("{s:s, s:[i], s:[i,i]}", "dtype", "U8", "shape", 48, "data_offsets", 0, 48));
    json_object_set_new(h, "input_ids", json_pack("{s:s, s:[i], s:[i,i]}", "dtype", "U8", "shape", 4, "data_offsets", 48, 52));
    json_object_set_new(h, "topk_ids", json_pack("{s:s, s:[i,i], s:[i,i]}", "dtype", "U16", "shape", 1, 2, "data_offsets", 52, 56));
    json_object_set_new(h, "topk_logprobs",
                        json_pack("{s:s, s:[i,i], s:[i,i]}", "dtype", "F16", "shape", 1, 2, "data_offsets", 56, 60));
    json_object_set_new(h, "tail_logprob", json_pack("{s:s, s:[i], s:[i,i]}", "dtype", "F16", "shape", 1, "data_offsets", 60, 62));
    return h;
}

Test(hostile, shard_shapes_overflow)
{
    const char *d = KT("hostile");
    const char *p = KF("%s/logits-00000.safetensors", d);
    uint8_t data[62] = {0};
    static const struct {
        const char *ids, *index;
    } cases[] = {
        /* 2^62 + 1 elements x 4 bytes = 4 (mod 2^64): a 4-byte buffer for 2^62 tokens */
        {"I32 4611686018427387905", "I64 1,6"},
        /* a 2-D shape of 48 TB */
        {"I32 1", "I64 1000000000000,6"},
        /* 2^61 x 6 x 8 wraps */
        {"I32 1", "I64 2305843009213693952,6"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *h = shard_head(cases[i].ids, cases[i].index);
        write_st(p, h, data, sizeof data);
        json_decref(h);
        el_input_forget(p);
        el_dshard *s = NULL;
        el_error e;
        el_error_clear(&e);
        cr_assert_neq(el_dshard_open(&s, p, &e), 0, "case %zu accepted", i);
        cr_assert(strstr(e.path, "logits-00000"), "case %zu: error does not name the shard", i);
        cr_assert(e.code != EL_ENOMEM, "case %zu: tried the allocation (%s)", i, e.msg);
    }
    tu_rmtree(d);
    tu_release();
}

/* ---- 5. a task label that does not fit an int ----------------------------------------------- */

Test(hostile, task_label_out_of_range)
{
    const char *d = KT("hostile");
    const char *p = KF("%s/h.jsonl", d);
    const char *line = "{\"ctx\": \"A man\", \"endings\": [\"runs.\", \"sits.\", \"eats.\", \"naps.\"], \"label\": 4294967296}\n";
    cr_assert(tu_write(p, line, strlen(line)));
    el_mc_set items = {0};
    el_error e;
    el_error_clear(&e);
    int rc = el_mc_load(EL_MC_HELLASWAG, p, 0, &items, &e);
    cr_assert_neq(rc, 0, "label 4294967296 was read as %d", rc == 0 && items.n ? items.items[0].label : -1);
    cr_assert(strstr(e.msg, "label") && strstr(e.path, "h.jsonl"), "%s: %s", e.path, e.msg);
    tu_rmtree(d);
    tu_release();
}

/* ---- 14. imatrix counts -------------------------------------------------------------------------- */

Test(hostile, imatrix_counts_must_be_numbers, .timeout = 60)
{
    const char *hf;
    const char *g = tiny(&hf);
    const char *im = KF("%s/im.gguf", hf);
    tu_ok("imatrix", g, "-f", KF("%s/sample.txt", hf), "-c", "64", "-o", im, NULL);
    static const float bad[] = {NAN, -3.0f};
    for (size_t i = 0; i < 2; i++) {
        /* every ".counts" tensor of the imatrix GGUF */
        gguf_file *f = NULL;
        el_error e;
        el_error_clear(&e);
        cr_assert_eq(gguf_open(&f, im, &e), 0);
        char name[256] = "";
        for (uint64_t t = 0; t < f->n_tensors && !name[0]; t++)
            if (strstr(f->tensors[t].name, ".counts"))
                snprintf(name, sizeof name, "%s", f->tensors[t].name);
        gguf_close(f);
        cr_assert(name[0]);
        fill_tensor(im, name, bad[i]);
        fails(tu_edgelm("quantize", g, KF("%s/q.gguf", hf), "Q4_K_M", "--imatrix", im, NULL), 1, im, "count");
    }
    tu_release();
}

/* ---- found by the fuzz targets (tests/fuzz/): each failed before its fix -------------------------- */

/* fuzz_gate: a met condition whose message passed el_gates_check's 320-byte line was appended at its
 * untruncated length, copying bytes from past the buffer. */
Test(hostile, gate_message_longer_than_its_line)
{
    char key[64], spec[128], label[300];
    memset(key, 'k', sizeof key - 1);
    key[sizeof key - 1] = 0;
    snprintf(spec, sizeof spec, "%s>0", key);
    memset(label, 'L', 199);
    label[199] = 0;
    json_t *res = json_pack("{s:i, s:s}", key, 1, "name", label);
    el_gates g = {0};
    el_error e;
    el_error_clear(&e);
    cr_assert_eq(el_gates_parse(spec, &g, &e), 0, "%s", e.msg);
    int met = 0;
    char *msgs = NULL;
    cr_assert_eq(el_gates_check(&g, res, "name", &met, &msgs, &e), 0, "%s", e.msg);
    cr_assert_eq(met, 1);
    const size_t n = strlen(msgs);
    cr_assert(n < 320 && msgs[n - 1] == '\n' && !strchr(msgs, '\n')[1], "message of %zu bytes: %.400s", n, msgs);
    cr_assert(strncmp(msgs, "--fail-if kkkk", 14) == 0, "%.60s", msgs);
    free(msgs);
    el_gates_free(&g);
    json_decref(res);
}

/* fuzz_tasks: a hellaswag record with ctx_a and an empty ctx_b read the byte after "" when
 * capitalising it. The expected text is HellaSwag's own rule (ctx_a + " " + capitalised ctx_b). */
Test(hostile, hellaswag_empty_ctx_b)
{
    const char *d = KT("hostile");
    const char *p = KF("%s/h.jsonl", d);
    const char *line = "{\"ctx_a\": \"A man\", \"ctx_b\": \"\", \"activity_label\": \"Run\", \"endings\": [\"runs.\", \"sits.\"], "
                       "\"label\": 1}\n";
    cr_assert(tu_write(p, line, strlen(line)));
    el_mc_set items = {0};
    el_error e;
    el_error_clear(&e);
    cr_assert_eq(el_mc_load(EL_MC_HELLASWAG, p, 0, &items, &e), 0, "%s", e.msg);
    cr_assert_eq(items.n, 1);
    cr_assert_eq(items.items[0].label, 1);
    cr_assert(strncmp(items.items[0].context[0], "Run: A man", 10) == 0, "context '%s'", items.items[0].context[0]);
    el_mc_set_free(&items);
    tu_rmtree(d);
    tu_release();
}

/* fuzz_imatrix: a .dat name holding a NUL byte was accepted cut at it (a file edgelm then could not
 * write back); saving a count past int32 to .dat was an undefined cast; a GGUF entry with no values
 * was accepted. */
static size_t dat_file(uint8_t *b, const char *name, int32_t len)
{
    size_t n = 0;
    const int32_t one = 1;
    const float v = 2.0f;
#define PUT(x, k) (memcpy(b + n, (x), (k)), n += (k))
    PUT(&one, 4);
    PUT(&len, 4);
    PUT(name, (size_t)len);
    PUT(&one, 4); /* calls */
    PUT(&one, 4); /* values */
    PUT(&v, 4);
    PUT(&one, 4); /* chunk count */
#undef PUT
    return n;
}

Test(hostile, imatrix_names_counts_and_sizes, .timeout = 60)
{
    const char *d = KT("hostile");
    const char *p = KF("%s/a.dat", d);
    uint8_t b[64];
    el_imatrix m;
    el_error e;
    el_error_clear(&e);
    cr_assert(tu_write(p, b, dat_file(b, "abc", 3)));
    cr_assert_eq(el_imatrix_load(&m, p, &e), 0, "the well-formed file: %s", e.msg);
    el_imatrix_free(&m);
    el_input_forget(p);
    cr_assert(tu_write(p, b, dat_file(b, "a\0c", 3)));
    cr_assert_neq(el_imatrix_load(&m, p, &e), 0, "a name with a NUL byte was accepted");
    cr_assert(strstr(e.msg, "NUL") && strstr(e.path, "a.dat"), "%s: %s", e.path, e.msg);
    el_input_forget(p);

    el_imatrix big = {0};
    el_imatrix_entry *x = el_imatrix_add(&big, "blk.0.ffn_up.weight", 2);
    cr_assert(x);
    x->sum2[0] = x->sum2[1] = 1.0;
    x->count = 3e9;
    cr_assert_eq(el_imatrix_finish(&big, &e), 0, "%s", e.msg);
    const char *out = KF("%s/big.dat", d);
    el_error_clear(&e);
    cr_assert_neq(el_imatrix_save(&big, out, &e), 0, "a count of 3e9 was written as an int32");
    cr_assert(strstr(e.msg, "count") && access(out, F_OK) != 0, "%s", e.msg);
    const char *gg = KF("%s/big.gguf", d);
    cr_assert_eq(el_imatrix_save(&big, gg, &e), 0, "GGUF holds float counts: %s", e.msg);
    el_imatrix_free(&big);

    /* the GGUF with its entry's ne[0] patched to 0 */
    size_t n;
    uint8_t *f = tu_read(gg, &n);
    const char *tn = "blk.0.ffn_up.weight.in_sum2";
    size_t at = after_gguf_string(f, n, tn);
    cr_assert(at && at + 12 <= n, "no tensor %s in %s", tn, gg);
    at += 4; /* past n_dims */
    memset(f + at, 0, 8);
    el_input_forget(gg);
    cr_assert(tu_write(gg, f, n));
    free(f);
    el_error_clear(&e);
    cr_assert_neq(el_imatrix_load(&m, gg, &e), 0, "an entry of no values was accepted");
    cr_assert(strstr(e.path, "big.gguf"), "%s: %s", e.path, e.msg);
    tu_rmtree(d);
    tu_release();
}

/* fuzz_model: the activation quantizers cast NaN and Inf to int8 (undefined), and a NaN in a block
 * vanished (fmaxf skips it) instead of reaching the logits, where el_decode names the model. */
Test(hostile, activation_quantizers_on_nan)
{
    float x[QK8_0];
    for (int j = 0; j < QK8_0; j++)
        x[j] = (float)(j - 16);
    block_q8_0 y;
    el_act_q8_0_ref(x, &y, QK8_0);
    /* finite blocks as ggml: d = amax / 127, q = rint(x * 127 / amax) */
    cr_assert_eq(el_f16_to_f32(y.d), el_f16_to_f32(el_f32_to_f16(16.0f / 127.0f)));
    cr_assert_eq(y.qs[0], -127);
    cr_assert_eq(y.qs[17], (int8_t)rintf(1.0f * (127.0f / 16.0f)));
    x[3] = NAN;
    el_act_q8_0_ref(x, &y, QK8_0);
    cr_assert(isnan(el_f16_to_f32(y.d)), "a NaN in the block gave d = %g", el_f16_to_f32(y.d));
    cr_assert_eq(y.qs[3], 0);
    block_q8_1 y1;
    el_act_q8_1_ref(x, &y1, QK8_1);
    cr_assert(isnan(el_f16_to_f32(y1.d)), "q8_1: d = %g", el_f16_to_f32(y1.d));
    x[3] = INFINITY;
    el_act_q8_0_ref(x, &y, QK8_0);
    cr_assert(isinf(el_f16_to_f32(y.d)));
    for (int j = 0; j < QK8_0; j++)
        cr_assert_eq(y.qs[j], 0, "q[%d] = %d", j, y.qs[j]);
}

/* A finished `distill logits` folder of the tiny model g (top-k `k`) in hf/logits, and its manifest
 * (the caller's to free); *mp its path. */
static json_t *logits_folder(const char *g, const char *hf, const char *k, const char **o, const char **mp)
{
    *o = KF("%s/logits", hf);
    tu_ok("distill", "logits", "--teacher", g, "--data", KF("%s/sample.txt", hf), "-o", *o, "-c", "32", "--topk-logits", k,
          "-t", "1", "-q", NULL);
    *mp = KF("%s/manifest.json", *o);
    json_error_t je;
    json_t *man = json_load_file(*mp, 0, &je);
    cr_assert(man, "%s", je.text);
    return man;
}

/* fuzz_manifest: merge copied every record at the manifest's top-k, not the shard's own, reading
 * past the shard's arrays when the manifest said more. */
Test(hostile, merge_checks_each_shards_topk, .timeout = 120)
{
    const char *hf, *o, *mp;
    const char *g = tiny(&hf);
    json_t *man = logits_folder(g, hf, "8", &o, &mp);
    json_object_set_new(json_object_get(man, "params"), "topk_logits", json_integer(64));
    cr_assert_eq(json_dump_file(man, mp, JSON_INDENT(2)), 0);
    json_decref(man);
    fails(tu_edgelm("distill", "merge", o, "-o", KF("%s/merged", hf), NULL), 1, "logits-00000", "top-k is 8");
    cr_assert(access(KF("%s/merged/manifest.json", hf), F_OK) != 0, "a merged folder was written");
    tu_release();
}

/* ---- 15. a manifest's file list -------------------------------------------------------------- */

/* A shard listed twice was read twice (score counted its tokens twice, merge copied its records
 * twice); a name with "../" was read from outside the folder. */
Test(hostile, manifest_files_once_and_inside, .timeout = 120)
{
    const char *hf, *o, *mp;
    const char *g = tiny(&hf);
    json_t *man = logits_folder(g, hf, "4", &o, &mp);
    json_t *files = json_object_get(man, "files");
    cr_assert(json_array_size(files) == 2, "expected the lines file and one shard");
    /* the outside copy: the same bytes one folder up */
    size_t n;
    uint8_t *b = tu_read(KF("%s/logits-00000.safetensors", o), &n);
    cr_assert(b && tu_write(KF("%s/logits-00000.safetensors", hf), b, n));
    free(b);
    for (int c = 0; c < 2; c++) {
        json_t *m = json_deep_copy(man), *f = json_object_get(m, "files");
        if (c == 0)
            json_array_append_new(f, json_deep_copy(json_array_get(f, 1)));
        else
            json_object_set_new(json_array_get(f, 1), "file", json_string("../logits-00000.safetensors"));
        cr_assert_eq(json_dump_file(m, mp, JSON_INDENT(2)), 0);
        json_decref(m);
        fails(tu_edgelm("distill", "score", "--student", g, "--data", o, NULL), 1, "manifest.json", c ? "in the folder" : "files[2]");
        fails(tu_edgelm("distill", "merge", o, "-o", KF("%s/merged%d", hf, c), NULL), 1, "manifest.json", NULL);
    }
    json_decref(man);
    tu_release();
}

/* ---- 17. datasets cost what a run uses ------------------------------------------------------- */

/* An 80 MB text as a small .gz cost its whole size and more to tokenize, even with --chunks 1; 80 MB
 * of zeros were inflated whole before anything looked at them. Now --chunks reads the prefix it
 * needs (eval/text.h). */
Test(hostile, chunks_read_only_what_they_use, .timeout = 300)
{
    const char *hf;
    const char *g = tiny(&hf);
    const char line[] = "Once upon a time, there was a little cat who liked to sit in the sun.\n";
    const size_t n = 80u << 20, ln = sizeof line - 1;
    char *big = malloc(n);
    cr_assert(big);
    for (size_t i = 0; i < n; i++)
        big[i] = line[i % ln];
    const char *text = KF("%s/big.txt.gz", hf), *zeros = KF("%s/zeros.txt.gz", hf);
    tu_write_gz(text, big, n);
    memset(big, 0, n);
    tu_write_gz(zeros, big, n); /* 80 MB: no line, no space */
    free(big);
    tu_ok("eval", "ppl", g, "-f", text, "-c", "32", "--chunks", "2", "-q", NULL);
    tu_ok("imatrix", g, "-f", text, "-c", "32", "--chunks", "2", "-o", KF("%s/im.gguf", hf), NULL);
    fails(tu_edgelm("eval", "ppl", g, "-f", zeros, "-c", "32", "--chunks", "1", NULL), 1, "zeros.txt.gz", "not a text");
    /* eval mc --limit: the records it uses, not the 80 MB behind them (nor a broken line at the end) */
    size_t hn;
    char *h = (char *)tu_read("tests/data/tasks/hellaswag.jsonl", &hn);
    cr_assert(h);
    char *many = malloc(n + hn + 16);
    size_t m = 0;
    while (m + hn < n)
        memcpy(many + m, h, hn), m += hn;
    memcpy(many + m, "{broken\n", 8), m += 8;
    const char *tasks = KF("%s/hellaswag.jsonl.gz", hf);
    tu_write_gz(tasks, many, m);
    free(many);
    free(h);
    json_t *j = tu_edgelm_json(0, "eval", "mc", g, "--task", "hellaswag", "--data", tasks, "--limit", "8", NULL);
    cr_assert_eq(tu_jnum(j, "n"), 8);
    json_decref(j);
    struct rusage ru;
    cr_assert_eq(getrusage(RUSAGE_CHILDREN, &ru), 0);
    cr_assert(ru.ru_maxrss < rss_cap_kb(200 * 1024), "a child of this test reached %ld KB", ru.ru_maxrss);
    tu_release();
}

/* A fuzzer reproducer under tests/data/hostile/ must be refused as a model, its error naming the file
 * and holding each of the words (NULL-terminated). */
static void model_refused(const char *file, const char *why, ...)
{
    char *path = tu_fmt("tests/data/hostile/%s", file);
    el_model *m = NULL;
    el_error e;
    el_error_clear(&e);
    const int rc = el_model_load(&m, path, &e);
    el_model_free(m);
    cr_assert_neq(rc, 0, "%s loaded", path);
    cr_assert(strstr(e.path, file), "%s: %s", e.path, e.msg);
    va_list ap;
    va_start(ap, why);
    for (const char *w = why; w; w = va_arg(ap, const char *))
        cr_assert(strstr(e.msg, w), "%s: '%s' not in: %s", e.path, w, e.msg);
    va_end(ap);
    free(path);
}

/* fuzz_model (a long run): general.alignment 1 put an F16 tensor at an odd address, which the kernels
 * then read as uint16_t (UBSan: misaligned load). The file is the fuzzer's reproducer. */
Test(hostile, tensor_data_misaligned_for_its_type) { model_refused("f16-misaligned.gguf", "aligned", NULL); }

/* A token_embd.weight of 0 rows loaded as a model of no vocabulary: every token was then "outside the
 * vocabulary (0)" at run time, and a count past INT32_MAX would have been cast to int. The file is the
 * fuzzer's reproducer (fuzz_model: "broken promise: loaded with n_vocab 0"). */
Test(hostile, token_embd_of_no_rows_is_refused) { model_refused("vocab-0-rows.gguf", "token_embd.weight", "0 rows", NULL); }

/* Rewrite the GGUF src as dst: each key/value through edit (false: the key is left out), the tensors as
 * they are */
static void rewrite_gguf(const char *src, const char *dst, bool (*edit)(const char *key, gguf_value *v, void *ctx),
                         void *ctx)
{
    gguf_file *f;
    el_error e;
    el_error_clear(&e);
    cr_assert_eq(gguf_open(&f, src, &e), 0, "%s", e.msg);
    gguf_writer *w;
    cr_assert_eq(gguf_writer_open(&w, dst, &e), 0, "%s", e.msg);
    for (uint64_t i = 0; i < f->n_kv; i++) {
        char *key = strndup(f->kv[i].key.ptr, (size_t)f->kv[i].key.len);
        gguf_value v = f->kv[i].v;
        if (edit(key, &v, ctx))
            cr_assert_eq(gguf_add(w, key, &v, &e), 0, "%s: %s", key, e.msg);
        free(key);
    }
    for (uint64_t i = 0; i < f->n_tensors; i++)
        cr_assert_eq(gguf_add_tensor(w, f->tensors[i].name, f->tensors[i].type, f->tensors[i].n_dims,
                                     f->tensors[i].ne, &e), 0);
    cr_assert_eq(gguf_writer_begin_data(w, &e), 0);
    for (uint64_t i = 0; i < f->n_tensors; i++)
        cr_assert_eq(gguf_writer_write(w, f->tensors[i].data, f->tensors[i].size, &e), 0);
    cr_assert_eq(gguf_writer_finish(w, &e), 0, "%s", e.msg);
    gguf_close(f);
}

/* rewrite_gguf's edits: the three token arrays one short; gemma3.attention.sliding_window left out */
static bool shorten_token_arrays(const char *key, gguf_value *v, void *ctx)
{
    (void)ctx;
    if (!strcmp(key, "tokenizer.ggml.tokens") || !strcmp(key, "tokenizer.ggml.scores") ||
        !strcmp(key, "tokenizer.ggml.token_type"))
        v->arr.n--;
    return true;
}

static bool drop_sliding_window(const char *key, gguf_value *v, void *ctx)
{
    (void)v;
    const bool drop = !strcmp(key, "gemma3.attention.sliding_window");
    *(int *)ctx += drop;
    return !drop;
}

/* A GGUF whose tokenizer holds one token fewer than its output layer has rows: the model and the
 * tokenizer each load alone, and before engine/lm.c run and eval used them together (ids and logits
 * no longer agree on what a token is; only distill checked). llama.cpp refuses such a file when it
 * creates token_embd as {n_embd, n_vocab}. The file is tiny's GGUF rewritten with the three token
 * arrays cut short. */
Test(hostile, tokenizer_smaller_than_output_layer, .timeout = 120)
{
    const char *hf, *g = tiny(&hf);
    char *bad = KF("%s.short.gguf", g);
    rewrite_gguf(g, bad, shorten_token_arrays, NULL);
    const char *txt = KF("%s.txt", g);
    tu_write(txt, "Once upon a time there was a cat. It sat on a mat and looked at the sun all day long.\n", 87);
    fails(tu_edgelm("run", bad, "-p", "Once", "-n", "4", NULL), 1, "short.gguf", "511 tokens but its output layer 512 rows");
    fails(tu_edgelm("eval", "ppl", bad, "-f", txt, "-c", "8", NULL), 1, "short.gguf", "511 tokens");
    fails(tu_edgelm("imatrix", bad, "-f", txt, "-c", "8", "-o", KF("%s.imat", g), NULL), 1, "short.gguf", "511 tokens");
    tu_release();
}

/* tiny's Gemma 3 sibling (tests/data/engine/gemma3.json) converted, then rewritten without
 * gemma3.attention.sliding_window: before, it loaded with no window at all (every layer global: not the
 * model convert wrote). llama.cpp's loader long required the key; the build node-llama-cpp 3.22.1 ships
 * loads such a file as a model without windows, which we no longer do (docs/engine.md). */
Test(hostile, gemma3_without_sliding_window_is_refused, .timeout = 120)
{
    const char *d = KT("hostile");
    const char *tok = KF("%s/tok", d), *hf = KF("%s/hf", d), *g = KF("%s/g3.gguf", d), *bad = KF("%s/g3-noswa.gguf", d);
    tu_ok("synth", "--preset", "tiny", "-o", tok, NULL);
    tu_ok("synth", "--config", "tests/data/engine/gemma3.json", "--tokenizer", tok, "-o", hf, "--dtype", "f32", NULL);
    tu_ok("convert", hf, "-o", g, "--outtype", "f32", NULL);
    int dropped = 0;
    rewrite_gguf(g, bad, drop_sliding_window, &dropped);
    cr_assert_eq(dropped, 1, "convert wrote no gemma3.attention.sliding_window");
    el_error e;
    /* the library: refused, the error naming the file and the key */
    el_model *m = NULL;
    el_error_clear(&e);
    cr_assert_eq(el_model_load(&m, g, &e), 0, "%s: %s", g, e.msg);
    el_model_free(m);
    m = NULL;
    el_error_clear(&e);
    cr_assert_neq(el_model_load(&m, bad, &e), 0, "%s loaded", bad);
    el_model_free(m);
    cr_assert_str_eq(e.path, bad);
    cr_assert(strstr(e.msg, "gemma3.attention.sliding_window"), "%s", e.msg);
    /* the CLI: exit 1, one stderr line naming both */
    tu_run r = tu_edgelm("run", bad, "-p", "Once", "-n", "2", NULL);
    cr_assert_eq(r.status, 1, "exit %d: %s", r.status, r.err);
    const char *nl = strchr(r.err, '\n');
    cr_assert(nl && nl[1] == '\0', "not one line: %s", r.err);
    cr_assert(strstr(r.err, bad) && strstr(r.err, "gemma3.attention.sliding_window"), "%s", r.err);
    tu_run_free(&r);
    tu_release();
}
