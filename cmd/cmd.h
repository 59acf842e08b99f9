/*
 * cmd/cmd.h - what every subcommand shares: the CLI context, the declarative
 * option table and the exit codes.
 *
 * Adding a command (as git's builtin.h lists it):
 *   1. write cmd/NAME.c with `int cmd_NAME(int argc, char **argv, el_cli *cli)`:
 *      a usage string, an el_opt table pointing into an options struct,
 *      el_parse(), one library call, then print text or JSON (el_cli_json);
 *   2. declare it below;
 *   3. add a row to commands[] in cmd/main.c (alphabetical);
 *   4. the Makefile picks up the file; tests/test_cli.c runs every command with --help.
 */
#ifndef EL_CMD_CMD_H
#define EL_CMD_CMD_H

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/error.h"
#include "core/log.h"
#include "core/progress.h"
#include "eval/gate.h"

/* Exit codes (stable; documented in README.md). */
enum {
    EL_EXIT_OK = 0,     /* success */
    EL_EXIT_FAIL = 1,   /* the command failed (bad input file, I/O error, ...) */
    EL_EXIT_USAGE = 2,  /* bad command line */
    EL_EXIT_GATE = 3,   /* ran fine, but a --fail-if condition was met */
    EL_EXIT_UNSURE = 4, /* run: answered, but with confidence below --min-confidence */
};

typedef struct el_cli {
    const char *cmd;    /* command name ("inspect") */
    char prog[64];      /* "edgelm inspect", message prefix */
    bool json;          /* --json: result as JSON on stdout */
    bool json_errors;   /* "--json" anywhere on the command line (before "--"), even where it is not yet
                           parsed or is an option's argument: usage errors print their JSON object too */
    int verbosity;      /* -1 quiet, 0 normal, 1+ verbose */
    el_log log;         /* stderr logger for this level */
    el_progress progress; /* enabled on a TTY unless quiet/json */
    int json_digits;    /* significant digits of the reals in the JSON result; 0: 9 */
} el_cli;

typedef int (*el_cmd_fn)(int argc, char **argv, el_cli *cli);

int cmd_bench(int argc, char **argv, el_cli *cli);
int cmd_convert(int argc, char **argv, el_cli *cli);
int cmd_distill(int argc, char **argv, el_cli *cli);
int cmd_eval(int argc, char **argv, el_cli *cli);
int cmd_imatrix(int argc, char **argv, el_cli *cli);
int cmd_inspect(int argc, char **argv, el_cli *cli);
int cmd_quantize(int argc, char **argv, el_cli *cli);
int cmd_report(int argc, char **argv, el_cli *cli);
int cmd_run(int argc, char **argv, el_cli *cli);
int cmd_synth(int argc, char **argv, el_cli *cli);
int cmd_tokenize(int argc, char **argv, el_cli *cli);

/* ---- options ------------------------------------------------------------------- */

typedef enum el_opt_kind {
    EL_OPT_END = 0,
    EL_OPT_FLAG,     /* bool, no argument */
    EL_OPT_STR,      /* const char * */
    EL_OPT_INT,      /* int */
    EL_OPT_I64,      /* int64_t */
    EL_OPT_U64,      /* uint64_t */
    EL_OPT_DOUBLE,   /* double */
    EL_OPT_LIST,     /* el_strlist: repeatable, each occurrence appended */
} el_opt_kind;

typedef struct el_strlist {
    const char **v;  /* points into argv */
    int n;
} el_strlist;

typedef struct el_opt {
    int short_name;        /* 0 when none */
    const char *long_name; /* without the dashes */
    el_opt_kind kind;
    void *dst;             /* field in the command's options struct */
    const char *arg;       /* argument name in help ("FILE"), NULL for flags */
    const char *help;      /* one line */
} el_opt;

#define EL_OPTS_END {0, NULL, EL_OPT_END, NULL, NULL, NULL}

/*
 * Parse argv (argv[0] is the command name) against `opts` plus the global
 * flags (--json, -q/--quiet, -v/--verbose, -h/--help), GNU style: options and
 * positionals in any order, "--" ends options. Positional arguments are
 * returned in *pos / *npos (pointers into argv; *pos is heap, free it).
 * Returns true to go on; false when the command must exit now with *exit_code:
 * EL_EXIT_OK after --help was printed, EL_EXIT_USAGE after a usage error
 * (unknown option, bad number, wrong count of positionals) was printed.
 */
bool el_parse(el_cli *cli, const char *usage, const char *summary, const el_opt *opts, int min_pos, int max_pos,
              int argc, char **argv, char ***pos, int *npos, int *exit_code);

/* el_parse for a command of exactly n positional arguments: they come back in args[0..n) (pointers
 * into argv, nothing to free). */
bool el_parse_args(el_cli *cli, const char *usage, const char *summary, const el_opt *opts, int n, int argc, char **argv,
                   const char **args, int *exit_code);

/* The -t/--threads row most commands' tables share (dst: an int, 0 = all cores). */
#define EL_OPT_THREADS(dst) {'t', "threads", EL_OPT_INT, (dst), "N", "threads (default and 0: all cores)"}
/* The --fail-if row of the commands with CI gates (dst: a const char *; example: a condition, in quotes). */
#define EL_OPT_FAIL_IF(dst, example) {0, "fail-if", EL_OPT_STR, (dst), "EXPR", "exit 3 when e.g. '" example "' holds"}

/* The range an option's value must lie in: dst is the option's field (as in its el_opt row), lo..hi inclusive. */
typedef struct el_range {
    const void *dst;
    double lo, hi;
} el_range;
/* The largest thread count -t takes; 0 means all cores, for every command. */
#define EL_MAX_THREADS 4096
#define EL_RANGE_THREADS(dst) {(dst), 0, EL_MAX_THREADS}
/*
 * After el_parse: each option of ranges[0..) (ended by a NULL dst) whose value lies outside its range is a
 * usage error naming that option ("-c/--ctx-size: 4 is out of range (8..1048576)"). True when all are in
 * range; else false with *exit_code set. An option not in opts is a bug (asserted).
 */
bool el_check_ranges(const el_cli *cli, const char *usage, const el_opt *opts, const el_range *ranges, int *exit_code);

/*
 * The name of names[0..n) closest to s, for "did you mean" hints: case, '_' and '-' ignored, then the
 * fewest single-character edits; NULL when even the closest needs more than a third of its letters
 * changed (no hint beats a wrong one).
 */
const char *el_closest_name(const char *s, const char *const *names, int n);

/* A word of the command line and the value it stands for; tables end with a NULL name. */
typedef struct el_name_int {
    const char *name;
    int value;
} el_name_int;
/* The value of the row of t named s into *value; false when no row is. */
bool el_name_lookup(const el_name_int *t, const char *s, int *value);

/*
 * For commands made of subcommands (eval, distill): which of names[0..n) argv[1] is, into *which.
 * False when the command must end now with *exit_code: its help was asked for, or argv[1] is
 * missing or unknown (a usage error naming the `noun`, "evaluation" or "subcommand", and the list).
 * On success cli->prog becomes "edgelm CMD SUB".
 */
bool el_pick_sub(el_cli *cli, const char *usage, const char *summary, const char *const *names, int n, const char *noun,
                 int argc, char **argv, int *which, int *exit_code);
/* Whether a command with these option rows can exit 3: it has a --fail-if row, or no rows at all (the
 * overview of a command made of subcommands, some of which gate). Its help and man page list exit 3 then. */
bool el_opts_gated(const el_opt *opts);
/* Whether the rows have a --min-confidence row: the command can exit 4. */
bool el_opts_unsure(const el_opt *opts);
/* Print the help text of a command (usage, summary, options) to f. */
void el_print_help(FILE *f, const el_cli *cli, const char *usage, const char *summary, const el_opt *opts);

/*
 * Report a usage problem ("edgelm CMD: MSG" + usage hint on stderr; with --json, or json_errors, the
 * {"error": {...}} object of code EL_EUSAGE on stdout) and return EL_EXIT_USAGE.
 */
int el_usage_error(const el_cli *cli, const char *usage, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The same from a va_list, for edgelm's own usage errors too: usage NULL prints no usage line; hint, when
 * not NULL, prints more help to stderr after the message. */
int el_usage_verror(const el_cli *cli, const char *usage, void (*hint)(FILE *), const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

/* The {"error": {"code", "name", "message", "file", "offset"}} object of e on stdout, when cli->json or
 * cli->json_errors ("file" and "offset" only where they apply). */
void el_cli_json_error(const el_cli *cli, const el_error *e);

/*
 * Report a library error: one line on stderr, and with --json an
 * {"error": {...}} object on stdout. Returns the exit code for it
 * (EL_EXIT_USAGE for EL_EUSAGE, else EL_EXIT_FAIL).
 */
int el_cli_fail(const el_cli *cli, const el_error *e);

/* What this binary is (cmd/build_info.c): {"version", "git", "target", "static", "compiler",
 * "kernels_compiled", "kernels", "kernels_env"?, "openmp": {"version", "max_threads"}}; NULL when out
 * of memory. el_print_version prints it (as JSON with --json). */
#define EL_VERSION "0.1.0"
json_t *el_build_info(void);
int el_print_version(const el_cli *cli);

/* Print a JSON result to stdout (takes ownership of j). EL_EXIT_FAIL on write error. */
int el_cli_json(const el_cli *cli, json_t *j);
/* The result j (owned) printed under --json, else dropped: for commands whose text output came first. */
int el_cli_result(const el_cli *cli, json_t *j);
/* The same, then the --fail-if gates g checked against it (el_cli_gate); j NULL is out of memory. */
int el_cli_gated(const el_cli *cli, json_t *j, const el_gates *g);

/*
 * Check --fail-if conditions against a result (not consumed): each condition met is reported on
 * stderr. EL_EXIT_GATE when any is met, EL_EXIT_OK when none, EL_EXIT_USAGE when a condition names
 * a number the result does not have.
 */
int el_cli_gate(const el_cli *cli, const el_gates *g, const json_t *result, const char *label_key);

/* "1.2 MiB" style sizes into buf. */
const char *el_fmt_bytes(uint64_t n, char *buf, size_t cap);
/* "135.1M" style counts into buf. */
const char *el_fmt_count(uint64_t n, char *buf, size_t cap);

#endif
