/*
 * cmd/main.c - the edgelm binary: global flags, the subcommand table, dispatch.
 *
 * `edgelm [--json] [-q|-v] COMMAND [args]`. Global flags may also follow the
 * command. Before main returns (after a command, help, --version or
 * --list-commands), stdout is flushed and checked, so a full disk under
 * `--json > out.json` is a failure, not a silent exit 0 (git's run_builtin()
 * does the same).
 *
 * To add a command, see the steps at the top of cmd/cmd.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd/cmd.h"
#include "core/json.h"

static int cmd_help(int argc, char **argv, el_cli *cli);

/* Alphabetical. */
static const struct el_cmd {
    const char *name;
    el_cmd_fn fn;
    const char *summary;
} commands[] = {
    {"bench", cmd_bench, "speed and memory: prefill/decode t/s, time to first token, peak RSS, roofline"},
    {"convert", cmd_convert, "convert a Hugging Face checkpoint to GGUF (llama.cpp-compatible)"},
    {"distill", cmd_distill, "teacher-student data: completions and top-k logits (gen, logits), score, merge"},
    {"eval", cmd_eval, "accuracy: perplexity, KL divergence, multiple choice and calibration, edge/cloud routing (ppl, kld, mc, route)"},
    {"help", cmd_help, "show help for edgelm or one command"},
    {"imatrix", cmd_imatrix, "collect an importance matrix from calibration text (for quantize --imatrix)"},
    {"inspect", cmd_inspect, "show a GGUF / safetensors model's metadata, tensors and totals"},
    {"quantize", cmd_quantize, "quantize a GGUF (or a Hugging Face folder) to Q8_0 ... Q2_K, mixes like Q4_K_M"},
    {"report", cmd_report, "report.md and SVG charts from eval/bench results, one row per model variant"},
    {"run", cmd_run, "generate text with a GGUF model"},
    {"synth", cmd_synth, "write a random-weight Hugging Face checkpoint (tests, benchmarks, demo)"},
    {"tokenize", cmd_tokenize, "text -> token ids with a model's tokenizer"},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const struct el_cmd *find_cmd(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static void print_usage(FILE *f)
{
    fprintf(f,
            "usage: edgelm [--json] [-q | -v] COMMAND [ARGS]\n"
            "       edgelm --version | --list-commands | help [COMMAND [SUB]]\n\n"
            "edgelm prepares small language models for edge devices: convert, quantize,\n"
            "distill, evaluate and benchmark, with no Python.\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f,
            "\nglobal options (before or after the command):\n"
            "  --json           result as JSON on stdout, logs on stderr\n"
            "  -q, --quiet      only errors\n"
            "  -v, --verbose    more detail\n\n"
            "exit status: 0 ok, 1 failure, 2 usage error, 3 a --fail-if gate was met\n"
            "'edgelm COMMAND --help' shows a command's options.\n");
}

/* cli->cmd and the message prefix for command c. */
static void enter_cmd(const struct el_cmd *c, el_cli *cli)
{
    cli->cmd = c->name;
    snprintf(cli->prog, sizeof cli->prog, "edgelm %s", c->name);
    cli->log.prog = cli->prog;
}

/*
 * After whatever edgelm printed (a result, help, the version): a result that never reached its reader
 * is a failure, so stdout is flushed and checked once here, for every path out of main. Pipes and
 * sockets closed early (EPIPE) are not ours to report.
 */
static int check_stdout(const el_cli *cli, int rc)
{
    struct stat st;
    bool pipe_or_sock = fstat(fileno(stdout), &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
    if (fflush(stdout) != 0 || ferror(stdout)) {
        if (!(pipe_or_sock && errno == EPIPE)) {
            fprintf(stderr, "%s: error: write failure on standard output: %s\n", cli->prog, strerror(errno));
            if (rc == EL_EXIT_OK)
                rc = EL_EXIT_FAIL;
        }
    }
    return rc;
}

/* A usage error of edgelm itself (no command yet): the message, the usage, and under --json the error object. */
static int main_usage_error(const el_cli *cli, bool usage, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int main_usage_error(const el_cli *cli, bool usage, const char *fmt, ...)
{
    el_cli top = *cli; /* "edgelm: ..." also under `edgelm help` */
    snprintf(top.prog, sizeof top.prog, "edgelm");
    va_list ap;
    va_start(ap, fmt);
    const int rc = el_usage_verror(&top, NULL, usage ? print_usage : NULL, fmt, ap);
    va_end(ap);
    return rc;
}

static int cmd_help(int argc, char **argv, el_cli *cli)
{
    (void)cli;
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        print_usage(stdout);
        return EL_EXIT_OK;
    }
    const struct el_cmd *c = find_cmd(argv[1]);
    if (!c || c->fn == cmd_help) {
        if (!c)
            return main_usage_error(cli, false, "unknown command '%s'", argv[1]);
        print_usage(stdout);
        return EL_EXIT_OK;
    }
    /* `edgelm help eval ppl`: the words after the command name its subcommand, whose help is shown */
    char *args[4] = {(char *)c->name, "--help", NULL, NULL};
    int n = 2;
    if (argc >= 3 && argv[2][0] != '-') {
        args[1] = argv[2];
        args[2] = "--help";
        n = 3;
    }
    el_cli sub = *cli;
    enter_cmd(c, &sub);
    return c->fn(n, args, &sub);
}

static int run(int argc, char **argv, el_cli *cli)
{
    /* Global flags before the command. */
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0)
            cli->json = true;
        else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0)
            cli->verbosity = -1;
        else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0)
            cli->verbosity++;
        else if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
            return el_print_version(cli);
        } else if (strcmp(a, "--list-commands") == 0) {
            for (size_t k = 0; k < N_COMMANDS; k++)
                printf("%s\n", commands[k].name);
            return EL_EXIT_OK;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            print_usage(stdout);
            return EL_EXIT_OK;
        } else {
            return main_usage_error(cli, true, "unknown option '%s'", a);
        }
    }
    if (i >= argc)
        return main_usage_error(cli, true, "missing the command");
    const struct el_cmd *c = find_cmd(argv[i]);
    if (!c) {
        const char *names[N_COMMANDS];
        for (size_t k = 0; k < N_COMMANDS; k++)
            names[k] = commands[k].name;
        const char *near = el_closest_name(argv[i], names, (int)N_COMMANDS);
        if (near)
            return main_usage_error(cli, false, "unknown command '%s'; did you mean '%s'? (see 'edgelm help')", argv[i], near);
        return main_usage_error(cli, false, "unknown command '%s' (see 'edgelm help')", argv[i]);
    }
    enter_cmd(c, cli);
    return c->fn(argc - i, argv + i, cli);
}

int main(int argc, char **argv)
{
    el_cli cli;
    memset(&cli, 0, sizeof cli);
    el_json_init();
    snprintf(cli.prog, sizeof cli.prog, "edgelm");
    cli.log.level = EL_LOG_INFO;
    cli.log.prog = cli.prog;
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        cli.json_errors |= strcmp(argv[i], "--json") == 0;
    int rc = run(argc, argv, &cli);
    return check_stdout(&cli, rc);
}
