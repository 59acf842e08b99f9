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
