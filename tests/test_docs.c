/*
 * tests/test_docs.c - the source files cited in docs/ (every .md) and README.md exist (tests/docs_paths.sh),
 * so a file that moves (engine/tokenizer/, engine/kernels/) cannot leave the docs naming its old
 * place; and the check itself finds a missing file and a pattern that matches nothing.
 *
 * The oracle is the file system: each cited path is looked up as written, from the top folder.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "distill/chat.h"
#include "testutil.h"

Test(docs, cited_source_paths_exist)
{
    const char *argv[] = {"sh", "tests/docs_paths.sh", NULL};
    tu_run r = tu_exec(argv, NULL, NULL);
    cr_assert_eq(r.status, 0, "docs cite files that do not exist:\n%s%s", r.out, r.err);
    cr_assert_eq(r.out_len, 0, "tests/docs_paths.sh printed on success: %s", r.out);
    tu_run_free(&r);
}

Test(docs, the_check_names_what_is_missing)
{
    char *dir = tu_tmpdir("docs");
    char *md = tu_fmt("%s/cites.md", dir);
    const char *text = "The forward pass (`engine/forward.c`), the kernels (engine/kernels/gemm*.c),\n"
                       "a file that moved (`engine/tok_pre.c`) and a pattern with no match (core/nothing_*.h).\n";
    cr_assert(tu_write(md, text, strlen(text)));
    const char *argv[] = {"sh", "tests/docs_paths.sh", md, NULL};
    tu_run r = tu_exec(argv, NULL, NULL);
    cr_assert_eq(r.status, 1, "exit %d, want 1 (stdout: %s, stderr: %s)", r.status, r.out, r.err);
    char *want = tu_fmt("%s:2: engine/tok_pre.c\n%s:2: core/nothing_*.h\n", md, md);
    cr_assert_str_eq(r.out, want);
    tu_run_free(&r);
    tu_rmtree(dir);
    free(want);
    free(md);
    free(dir);
}

/* Every ```sh block of README.md runs as written (tests/readme_examples.sh: small stand-ins for the files
 * the examples name, in a scratch folder), exiting 0 or 3. */
Test(docs, readme_examples_run_as_written, .timeout = 300)
{
    if (!tu_shared())
        cr_skip_test("../shared is absent: README's examples use its models and texts");
    const char *argv[] = {"sh", "tests/readme_examples.sh", tu_bin(), tu_shared(), NULL};
    tu_run r = tu_exec(argv, NULL, NULL);
    cr_assert_eq(r.status, 0, "README examples that fail:\n%s%s", r.out, r.err);
    int ok = 0;
    for (const char *p = r.out; (p = strstr(p, ": ok (exit ")); p++)
        ok++;
    /* the examples README has today: a block that stops being found would pass by running nothing */
    cr_assert_geq(ok, 14, "only %d README commands ran:\n%s", ok, r.out);
    cr_assert(strstr(r.out, "README.md:15: block 1: skip: "), "%s", r.out);
    tu_run_free(&r);
}

/* The check fails on an example that fails, naming its line and exit status, and honours a skip mark. */
Test(docs, readme_check_names_the_failing_example, .timeout = 120)
{
    if (!tu_shared())
        cr_skip_test("../shared is absent");
    char *dir = tu_tmpdir("readme");
    char *md = tu_fmt("%s/ex.md", dir);
    const char *text = "# x\n\n```sh\n./edgelm quantize model.gguf out.gguf Q9_9\n./edgelm \\\n  --version\n"
                       "./edgelm eval kld model-q4_k_m.gguf --base model-f16.gguf -f wiki.test.raw --fail-if 'kld_mean<1e9'\n```\n\n"
                       "<!-- readme-test: skip: needs a board -->\n```sh\n./edgelm nope\n```\n";
    cr_assert(tu_write(md, text, strlen(text)));
    char *env = tu_fmt("README=%s", md);
    const char *argv[] = {"env", env, "sh", "tests/readme_examples.sh", tu_bin(), tu_shared(), NULL};
    tu_run r = tu_exec(argv, NULL, NULL);
    cr_assert_eq(r.status, 1, "exit %d: %s%s", r.status, r.out, r.err);
    cr_assert(strstr(r.out, "ex.md:4: ./edgelm quantize model.gguf out.gguf Q9_9: exit 2\n"), "%s", r.out);
    cr_assert(strstr(r.out, "ex.md:5: ok (exit 0): ./edgelm --version"), "%s", r.out);
    cr_assert(strstr(r.out, "ex.md:7: ok (exit 3): "), "a gate met is not a failure: %s", r.out);
    cr_assert(strstr(r.out, "ex.md:11: block 2: skip: needs a board") && !strstr(r.out, "nope"), "%s", r.out);
    tu_run_free(&r);
    tu_rmtree(dir);
    free(env);
    free(md);
    free(dir);
}

/* README's command table and --help name the same options (tests/readme_help.sh), every command has a
 * row, and README's list of chat templates is the one distill/chat.c knows. */
Test(docs, readme_table_and_help_agree)
{
    const char *argv[] = {"sh", "tests/readme_help.sh", tu_bin(), NULL};
    tu_run r = tu_exec(argv, NULL, NULL);
    cr_assert_eq(r.status, 0, "README and --help disagree:\n%s%s", r.out, r.err);
    tu_run_free(&r);
    size_t n;
    char *md = (char *)tu_read("README.md", &n);
    cr_assert(md);
    char *want = tu_fmt("chat templates %s (", el_chat_known());
    cr_assert(strstr(md, want), "README's distill gen row does not list the chat templates as '%s'", want);
    free(want);
    free(md);
}

/* The check names an option README lacks, one it shows that --help has not, and a command with no row. */
Test(docs, readme_help_check_names_the_differences)
{
    char *dir = tu_tmpdir("rh");
    char *md = tu_fmt("%s/r.md", dir);
    const char *text = "| command | what | status |\n|---|---|---|\n"
                       "| `edgelm imatrix MODEL.gguf -f CALIB.txt -o F [-c 512] [--bogus N]` | x | done |\n";
    cr_assert(tu_write(md, text, strlen(text)));
    const char *argv[] = {"sh", "tests/readme_help.sh", tu_bin(), md, NULL};
    tu_run r = tu_exec(argv, NULL, NULL);
    cr_assert_eq(r.status, 1, "exit %d: %s%s", r.status, r.out, r.err);
    cr_assert(strstr(r.out, "r.md:3: imatrix: --chunks in --help, not in README\n"), "%s", r.out);
    cr_assert(strstr(r.out, "r.md:3: imatrix: --threads in --help, not in README\n"), "%s", r.out);
    cr_assert(strstr(r.out, "r.md:3: imatrix: --bogus in README, not in --help\n"), "%s", r.out);
    cr_assert(strstr(r.out, "r.md: quantize: no row in the command table\n"), "%s", r.out);
    cr_assert(strstr(r.out, "r.md: eval ppl: no row in the command table\n"), "%s", r.out);
    cr_assert(!strstr(r.out, "--file") && !strstr(r.out, "--output") && !strstr(r.out, "ctx-size"), "-f/-o/-c map to their long names: %s", r.out);
    tu_run_free(&r);
    tu_rmtree(dir);
    free(md);
    free(dir);
}
