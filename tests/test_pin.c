/*
 * tests/test_pin.c - everything edgelm writes, pinned by hash (tests/pin/outputs.sh; issue 18):
 * convert to every --outtype, quantize to every type with and without an imatrix, imatrix, eval
 * ppl/kld/mc JSON, tokenize, run, distill gen/logits/merge/score folders and report, on
 * stories260K and synth's tiny model, with the scalar kernels. The pins were made by the code
 * before the refactors of issue 18 (commit message of tests/pin/x86_64.txt), so a refactor that
 * changes any byte of any output fails here, naming the output.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "testutil.h"

Test(pin, every_output_is_the_pinned_bytes, .timeout = 900)
{
    struct utsname u;
    if (uname(&u) != 0 || strcmp(u.machine, "x86_64") != 0)
        cr_skip_test("the pins are x86-64's (tests/pin/outputs.sh)");
    if (!tu_shared())
        cr_skip_test("../shared is absent");
    char *dir = tu_tmpdir("pin");
    char *out = tu_fmt("%s/outputs.txt", dir), *work = tu_fmt("%s/work", dir);
    const char *gen[] = {"sh", "tests/pin/outputs.sh", out, work, tu_bin(), NULL};
    tu_run r = tu_exec(gen, NULL, NULL);
    cr_assert_eq(r.status, 0, "tests/pin/outputs.sh failed: %s", r.err);
    tu_run_free(&r);
    const char *cmp[] = {"sh", "tests/pin/outputs.sh", "--compare", "tests/pin/x86_64.txt", out, NULL};
    r = tu_exec(cmp, NULL, NULL);
    cr_assert_eq(r.status, 0, "outputs differ from tests/pin/x86_64.txt:\n%s", r.out);
    tu_run_free(&r);
    tu_rmtree(dir);
    free(dir);
    free(out);
    free(work);
}
