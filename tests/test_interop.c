/*
 * tests/test_interop.c - edgelm's files against llama.cpp's own reader.
 *
 * node-llama-cpp (npm, pinned in tests/interop/package.json, installed by
 * tests/interop/setup.sh into a git-ignored folder) wraps llama.cpp. These
 * tests write GGUF files with edgelm and check that:
 *   - `node-llama-cpp inspect gguf FILE` reads them (exit 0, our keys shown);
 *   - its reader's view of every key, value and tensor equals `edgelm inspect
 *     --json` (tests/interop/gguf_compare.mjs) - and, the other way round, that
 *     edgelm reads llama.cpp's own vocab GGUFs exactly as node-llama-cpp does.
 * Skipped with a message when node/npm are not installed.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fixtures.h"
#include "tests/testutil.h"

static void need_node(void)
{
    if (!tu_node_ready())
        cr_skip_test("node/npm not installed: interop tests skipped");
}

/* Compare llama.cpp's reading of `gguf` with edgelm's. */
static void compare(const char *gguf, const char *dir)
{
    tu_run r = tu_edgelm("inspect", gguf, "--tensors", "--json", NULL);
    cr_assert_eq(r.status, 0, "edgelm inspect failed: %s", r.err);
    char *ours = tu_fmt("%s/ours.json", dir);
    cr_assert(tu_write(ours, r.out, r.out_len));
    tu_run_free(&r);
    const char *argv[] = {"node", "tests/interop/gguf_compare.mjs", gguf, ours, NULL};
    r = tu_exec(argv, NULL, NULL);
    cr_assert_eq(r.status, 0, "%s: llama.cpp and edgelm disagree:\n%s%s", gguf, r.out, r.err);
    cr_assert(strstr(r.out, "agree") != NULL);
    tu_run_free(&r);
    free(ours);
}

Test(interop, node_llama_cpp_reads_our_gguf, .timeout = 600)
{
    need_node();
    char *dir = tu_tmpdir("interop");
    char *path = tu_fmt("%s/fixture.gguf", dir);
    fx_write_gguf(path, 0, true);
    /* the CLI named in the issue: it must read the whole file and exit 0 */
    const char *argv[] = {"node", "tests/interop/node_modules/.bin/node-llama-cpp", "inspect", "gguf", path, NULL};
    tu_run r = tu_exec(argv, NULL, NULL);
    cr_assert_eq(r.status, 0, "node-llama-cpp inspect gguf failed:\n%s%s", r.out, r.err);
    cr_assert(strstr(r.out, "Tensor count: 7") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "héllo wörld ✓") != NULL, "%s", r.out);
    tu_run_free(&r);
    compare(path, dir);
    /* and with a non-default alignment */
    char *p64 = tu_fmt("%s/fixture64.gguf", dir);
    fx_write_gguf(p64, 64, false);
    compare(p64, dir);
    free(p64);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

Test(interop, we_read_llama_cpp_vocab_files_as_it_does, .timeout = 600)
{
    if (!tu_shared())
        cr_skip_test("../shared is absent");
    need_node();
    static const char *const names[] = {
        "ggml-vocab-deepseek-coder.gguf", "ggml-vocab-deepseek-llm.gguf", "ggml-vocab-falcon.gguf",
        "ggml-vocab-gpt-2.gguf", "ggml-vocab-llama-spm.gguf", "ggml-vocab-phi-3.gguf",
        "ggml-vocab-refact.gguf", "ggml-vocab-starcoder.gguf",
    };
    char *dir = tu_tmpdir("interop");
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char *rel = tu_fmt("golden/vocab/%s", names[i]);
        char *p = tu_shared_path(rel);
        cr_assert(p != NULL, "%s missing", rel);
        compare(p, dir);
        free(p);
        free(rel);
    }
    tu_rmtree(dir);
    free(dir);
}
