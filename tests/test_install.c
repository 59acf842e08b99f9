/*
 * tests/test_install.c - installs like a Debian tool: `make install` and `make uninstall` into a scratch
 * DESTDIR (tests/install.sh: every file in its place, the installed man page renders without a warning,
 * the installed bash completion completes, uninstall leaves only what was there before), and the
 * generated completion and man pages against the option tables they come from.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

Test(install, make_install_then_uninstall_leaves_the_tree_as_it_was, .timeout = 120)
{
    if (access("./edgelm", X_OK) != 0)
        cr_skip_test("./edgelm is not built (make install installs it)");
    const char *argv[] = {"sh", "tests/install.sh", NULL};
    tu_run r = tu_exec(argv, NULL, NULL);
    cr_assert_eq(r.status, 0, "tests/install.sh:\n%s%s", r.out, r.err);
    cr_assert_eq(r.out_len, 0, "tests/install.sh printed on success: %s", r.out);
    tu_run_free(&r);
}

/* What the bash completion offers for the words typed so far (the last one being completed). */
static char *complete(const char *script, const char *words)
{
    char *cmd = tu_fmt(". %s; COMP_WORDS=(%s); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _edgelm; echo \"${COMPREPLY[*]}\"",
                       script, words);
    const char *argv[] = {"bash", "-c", cmd, NULL};
    tu_run r = tu_exec(argv, NULL, NULL);
    cr_assert_eq(r.status, 0, "bash -c '%s': %s", cmd, r.err);
    char *out = strdup(r.out);
    cr_assert_not_null(out);
    tu_run_free(&r);
    free(cmd);
    return out;
}

Test(install, bash_completion_from_the_option_tables, .timeout = 60)
{
    if (access("./edgelm", X_OK) != 0)
        cr_skip_test("./edgelm is not built");
    char *dir = tu_tmpdir("compl");
    const char *gen[] = {"sh", "scripts/completion.sh", "./edgelm", dir, NULL};
    tu_run g = tu_exec(gen, NULL, NULL);
    cr_assert_eq(g.status, 0, "scripts/completion.sh: %s%s", g.out, g.err);
    tu_run_free(&g);
    char *script = tu_fmt("%s/edgelm.bash", dir);
    static const struct {
        const char *words, *want;
    } cases[] = {
        {"edgelm qu", "quantize\n"},
        {"edgelm quantize --im", "--imatrix\n"},
        {"edgelm --json i", "imatrix inspect\n"},
        {"edgelm help ev", "eval\n"},
        {"edgelm eval ''", "ppl kld mc route\n"},
        {"edgelm distill s", "score\n"},
        {"edgelm eval ppl --save", "--save-logits\n"},
        {"edgelm eval mc --t", "--task --target-acc --threads\n"},
        {"edgelm distill gen --te", "--teacher --temp\n"},
        {"edgelm distill merge -", "-o --output --json -q --quiet -v --verbose -h --help\n"},
        {"edgelm run -p hi --kv", "--kv-f32\n"},
        {"edgelm quantize --nope", "\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = complete(script, cases[i].words);
        cr_expect_str_eq(got, cases[i].want, "%s<TAB>: '%s', want '%s'", cases[i].words, got, cases[i].want);
        free(got);
    }
    /* zsh and fish files are written too, with the same flags */
    const char *files[] = {"_edgelm", "edgelm.fish"};
    for (size_t i = 0; i < 2; i++) {
        char *p = tu_fmt("%s/%s", dir, files[i]);
        size_t n;
        char *text = (char *)tu_read(p, &n);
        cr_assert_not_null(text, "%s not written", p);
        cr_expect(strstr(text, files[i][0] == '_' ? "'--imatrix:FILE: importance matrix" : "-l imatrix -r -F"),
                  "%s has no --imatrix row", p);
        free(text);
        free(p);
    }
    free(script);
    tu_rmtree(dir);
    free(dir);
}

static bool starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* `EDGELM_HELP_FORMAT=F edgelm ARGS...`: its stdout (exit 0 asserted). */
static char *help_as(const char *format, const char *a1, const char *a2)
{
    char *env = tu_fmt("EDGELM_HELP_FORMAT=%s", format);
    const char *argv[] = {"env", env, "./edgelm", a1, a2, a2 ? "--help" : NULL, NULL};
    if (!a2)
        argv[4] = "--help";
    tu_run r = tu_exec(argv, NULL, NULL);
    cr_assert_eq(r.status, 0, "%s ./edgelm %s %s --help: exit %d: %s", env, a1, a2 ? a2 : "", r.status, r.err);
    char *out = strdup(r.out);
    cr_assert_not_null(out);
    tu_run_free(&r);
    free(env);
    return out;
}

Test(install, help_formats_come_from_the_option_tables, .timeout = 60)
{
    if (access("./edgelm", X_OK) != 0)
        cr_skip_test("./edgelm is not built");
    /* the option listing: quantize's rows as its table has them, then the global flags */
    char *q = help_as("opts", "quantize", NULL);
    cr_expect(starts(q, "command\tedgelm quantize\noption\t\t--imatrix\tFILE\timportance matrix (edgelm imatrix .gguf, "
                         "or llama-imatrix .dat)\noption\t\t--pure\t\tTYPE for every matrix (no mix)\n"),
              "quantize's listing starts: %.200s", q);
    cr_expect(strstr(q, "\noption\t-t\t--threads\tN\tthreads (default and 0: all cores)\n") != NULL, "%s", q);
    const char *tail = "option\t-h\t--help\t\tshow this help\n";
    cr_expect(strlen(q) > strlen(tail) && strcmp(q + strlen(q) - strlen(tail), tail) == 0, "listing ends: %s", q);
    free(q);
    /* a command of subcommands lists them; a subcommand has its own rows and name */
    char *e = help_as("opts", "eval", NULL);
    cr_expect(starts(e, "command\tedgelm eval\nsubcommand\tppl\nsubcommand\tkld\nsubcommand\tmc\nsubcommand\troute\noption\t\t--json\t"),
              "eval's listing: %s", e);
    free(e);
    char *mc = help_as("opts", "eval", "mc");
    cr_expect(starts(mc, "command\tedgelm eval mc\noption\t\t--task\t"), "eval mc's listing: %s", mc);
    free(mc);
    /* the man page: the usage as SYNOPSIS, each option a .TP with its help */
    char *m = help_as("man", "distill", "merge");
    cr_expect(strstr(m, "\n.TH EDGELM\\-DISTILL\\-MERGE 1 ") != NULL, "%s", m);
    cr_expect(strstr(m, "\n.SH SYNOPSIS\n\\fBedgelm\\fR distill merge OUTDIR... \\-o OUTDIR\n") != NULL, "%s", m);
    cr_expect(strstr(m, "\n.TP\n\\fB\\-o\\fR, \\fB\\-\\-output\\fR \\fIOUTDIR\\fR\nthe merged folder (created)\n") != NULL,
              "%s", m);
    cr_expect(strstr(m, "\n.SH SEE ALSO\n\\fBedgelm\\fR(1), \\fBedgelm\\-distill\\fR(1)\n") != NULL, "%s", m);
    free(m);
    /* any other value: the text help, unchanged */
    char *t = help_as("text", "distill", "merge");
    cr_expect(starts(t, "usage: edgelm distill merge OUTDIR... -o OUTDIR\n\n"), "%s", t);
    free(t);
}
