/*
 * cmd/cli.c - option parsing from el_opt tables, help text, error reporting.
 *
 * getopt_long does the scanning; the table drives it and the help text, so the
 * two cannot drift apart. Numbers are parsed strictly: "12x", "" and
 * out-of-range values are usage errors (exit 2), never silently 0.
 */
#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/helpfmt.h"
#include "core/json.h"
#include "core/util.h"

/* Global flags every command accepts, appended to its own table. */
enum { G_JSON = 1000, G_QUIET, G_VERBOSE, G_HELP };

static const struct {
    int short_name;
    const char *long_name;
    int id;
    const char *help;
} global_opts[] = {
    {0, "json", G_JSON, "print the result as JSON on stdout (logs stay on stderr)"},
    {'q', "quiet", G_QUIET, "only print errors"},
    {'v', "verbose", G_VERBOSE, "print more detail (repeat for more)"},
    {'h', "help", G_HELP, "show this help"},
};

/* The help as a man page or an option listing (cmd/helpfmt.c) when EDGELM_HELP_FORMAT asks for one. */
static bool help_in_format(FILE *f, const el_cli *cli, const char *usage, const char *summary, const el_opt *opts,
                           const char *const *subs, int n_subs)
{
    const char *format = getenv(EL_HELP_FORMAT_ENV);
    if (!format)
        return false;
    enum { N_GLOB = sizeof global_opts / sizeof global_opts[0] };
    el_opt g[N_GLOB + 1];
    for (size_t i = 0; i < N_GLOB; i++)
        g[i] = (el_opt){global_opts[i].short_name, global_opts[i].long_name, EL_OPT_FLAG, NULL, NULL, global_opts[i].help};
    g[N_GLOB] = (el_opt)EL_OPTS_END;
    return el_help_format(f, format, cli->prog, usage, summary, opts, g, subs, n_subs);
}

bool el_opts_gated(const el_opt *opts)
{
    bool gated = !opts || opts->kind == EL_OPT_END;
    for (const el_opt *o = opts; o && o->kind != EL_OPT_END; o++)
        gated = gated || !strcmp(o->long_name, "fail-if");
    return gated;
}

bool el_opts_unsure(const el_opt *opts)
{
    for (const el_opt *o = opts; o && o->kind != EL_OPT_END; o++)
        if (o->long_name && !strcmp(o->long_name, "min-confidence"))
            return true;
    return false;
}

void el_print_help(FILE *f, const el_cli *cli, const char *usage, const char *summary, const el_opt *opts)
{
    if (help_in_format(f, cli, usage, summary, opts, NULL, 0))
        return;
    fprintf(f, "usage: edgelm %s\n\n%s\n\noptions:\n", usage, summary);
    for (const el_opt *o = opts; o && o->kind != EL_OPT_END; o++) {
        char left[80];
        int n = 0;
        if (o->short_name)
            n = snprintf(left, sizeof left, "-%c, ", o->short_name);
        else
            n = snprintf(left, sizeof left, "    ");
        snprintf(left + n, sizeof left - (size_t)n, "--%s%s%s", o->long_name, o->arg ? " " : "", o->arg ? o->arg : "");
        fprintf(f, "  %-30s %s\n", left, o->help);
    }
    for (size_t i = 0; i < sizeof global_opts / sizeof global_opts[0]; i++) {
        char left[80];
        if (global_opts[i].short_name)
            snprintf(left, sizeof left, "-%c, --%s", global_opts[i].short_name, global_opts[i].long_name);
        else
            snprintf(left, sizeof left, "    --%s", global_opts[i].long_name);
        fprintf(f, "  %-30s %s\n", left, global_opts[i].help);
    }
    (void)cli;
    fprintf(f, "\nexit status: 0 ok, 1 failure, 2 usage error%s%s\n", el_opts_gated(opts) ? ", 3 a --fail-if gate was met" : "",
            el_opts_unsure(opts) ? ", 4 the answer's confidence is below --min-confidence" : "");
}

int el_usage_verror(const el_cli *cli, const char *usage, void (*hint)(FILE *), const char *fmt, va_list ap)
{
    el_error e;
    el_error_clear(&e);
    e.code = EL_EUSAGE;
    vsnprintf(e.msg, sizeof e.msg, fmt, ap);
    fprintf(stderr, "%s: %s\n", cli->prog, e.msg);
    if (usage)
        fprintf(stderr, "usage: edgelm %s\n(see 'edgelm %s --help')\n", usage, cli->cmd);
    if (hint)
        hint(stderr);
    el_cli_json_error(cli, &e);
    return EL_EXIT_USAGE;
}

int el_usage_error(const el_cli *cli, const char *usage, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const int rc = el_usage_verror(cli, usage, NULL, fmt, ap);
    va_end(ap);
    return rc;
}

/* s upper-cased without '_' and '-' into buf (cut at cap) */
static size_t fold_name(const char *s, char *buf, size_t cap)
{
    size_t n = 0;
    for (; *s && n + 1 < cap; s++)
        if (*s != '_' && *s != '-')
            buf[n++] = (char)(*s >= 'a' && *s <= 'z' ? *s - 'a' + 'A' : *s);
    buf[n] = 0;
    return n;
}

const char *el_closest_name(const char *s, const char *const *names, int n)
{
    char a[64], b[64];
    const size_t la = fold_name(s, a, sizeof a);
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (int i = 0; i < n; i++) {
        const size_t lb = fold_name(names[i], b, sizeof b);
        size_t row[64]; /* Levenshtein distance a -> b, one row at a time */
        for (size_t j = 0; j <= lb; j++)
            row[j] = j;
        for (size_t k = 1; k <= la; k++) {
            size_t diag = row[0];
            row[0] = k;
            for (size_t j = 1; j <= lb; j++) {
                const size_t up = row[j];
                const size_t sub_cost = diag + (a[k - 1] != b[j - 1]);
                row[j] = EL_MIN(EL_MIN(row[j - 1] + 1, up + 1), sub_cost);
                diag = up;
            }
        }
        if (row[lb] < best_d && 3 * row[lb] <= lb) {
            best_d = row[lb];
            best = names[i];
        }
    }
    return best;
}

/* "12", "0.05", "1e+09" for range ends; hi at a type's limit reads as no upper end */
static void range_text(char *buf, size_t cap, double lo, double hi)
{
    if (hi >= (double)INT_MAX)
        snprintf(buf, cap, ">= %.10g", lo);
    else
        snprintf(buf, cap, "%.10g..%.10g", lo, hi);
}

bool el_check_ranges(const el_cli *cli, const char *usage, const el_opt *opts, const el_range *ranges, int *exit_code)
{
    for (const el_range *r = ranges; r->dst; r++) {
        const el_opt *o = opts;
        while (o->kind != EL_OPT_END && o->dst != r->dst)
            o++;
        assert(o->kind != EL_OPT_END);
        double v;
        char val[32];
        switch (o->kind) {
        case EL_OPT_INT: v = *(const int *)o->dst; snprintf(val, sizeof val, "%d", *(const int *)o->dst); break;
        case EL_OPT_I64: v = (double)*(const int64_t *)o->dst; snprintf(val, sizeof val, "%" PRId64, *(const int64_t *)o->dst); break;
        case EL_OPT_U64: v = (double)*(const uint64_t *)o->dst; snprintf(val, sizeof val, "%" PRIu64, *(const uint64_t *)o->dst); break;
        case EL_OPT_DOUBLE: v = *(const double *)o->dst; snprintf(val, sizeof val, "%.10g", v); break;
        default: assert(!"el_check_ranges: not a number option"); v = 0; val[0] = 0; break;
        }
        if (v >= r->lo && v <= r->hi) /* false for NaN */
            continue;
        char name[48], range[64];
        if (o->short_name)
            snprintf(name, sizeof name, "-%c/--%s", o->short_name, o->long_name);
        else
            snprintf(name, sizeof name, "--%s", o->long_name);
        range_text(range, sizeof range, r->lo, r->hi);
        *exit_code = el_usage_error(cli, usage, "%s: %s is out of range (%s)", name, val, range);
        return false;
    }
    return true;
}

bool el_pick_sub(el_cli *cli, const char *usage, const char *summary, const char *const *names, int n, const char *noun,
                 int argc, char **argv, int *which, int *exit_code)
{
    char list[256] = "", alt[256] = ""; /* "a, b, c" and "a, b or c" */
    for (int i = 0; i < n; i++) {
        const size_t l = strlen(list), a = strlen(alt);
        snprintf(list + l, sizeof list - l, "%s%s", i ? ", " : "", names[i]);
        snprintf(alt + a, sizeof alt - a, "%s%s", i == 0 ? "" : i == n - 1 ? " or " : ", ", names[i]);
    }
    *which = -1;
    for (int i = 0; argc >= 2 && i < n; i++)
        if (!strcmp(argv[1], names[i]))
            *which = i;
    if (*which >= 0) {
        snprintf(cli->prog, sizeof cli->prog, "edgelm %s %s", cli->cmd, names[*which]);
        return true;
    }
    if (argc >= 2 && argv[1][0] != '-') {
        *exit_code = el_usage_error(cli, usage, "unknown %s '%s' (%s)", noun, argv[1], list);
        return false;
    }
    /* the man page and the option listing of the command itself name its subcommands too */
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if ((!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) &&
            help_in_format(stdout, cli, usage, summary, NULL, names, n)) {
            *exit_code = EL_EXIT_OK;
            return false;
        }
    const el_opt none[] = {EL_OPTS_END};
    char **pos;
    int npos;
    if (!el_parse(cli, usage, summary, none, 0, 0, argc, argv, &pos, &npos, exit_code))
        return false;
    free(pos);
    *exit_code = el_usage_error(cli, usage, "missing %s", alt);
    return false;
}

static bool parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    if (!s || !*s)
        return false;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 0);
    if (errno || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static bool parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-')
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

static bool parse_double(const char *s, double *out)
{
    if (!s || !*s)
        return false;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (errno || *end || v != v)
        return false;
    *out = v;
    return true;
}

bool el_parse(el_cli *cli, const char *usage, const char *summary, const el_opt *opts, int min_pos, int max_pos,
              int argc, char **argv, char ***pos, int *npos, int *exit_code)
{
    *pos = NULL;
    *npos = 0;
    size_t n_own = 0;
    while (opts && opts[n_own].kind != EL_OPT_END)
        n_own++;
    size_t n_glob = sizeof global_opts / sizeof global_opts[0];
    struct option *lo = calloc(n_own + n_glob + 1, sizeof *lo);
    char *so = malloc(3 * (n_own + n_glob) + 3);
    char **positional = malloc((size_t)(argc + 1) * sizeof *positional);
    if (!lo || !so || !positional) {
        free(lo);
        free(so);
        free(positional);
        fprintf(stderr, "%s: error: out of memory\n", cli->prog);
        *exit_code = EL_EXIT_FAIL;
        return false;
    }
    /* Leading '-': positionals come back as option 1, in order, wherever they are. */
    size_t k = 0;
    so[k++] = '-';
    so[k++] = ':';
    for (size_t i = 0; i < n_own; i++) {
        lo[i].name = opts[i].long_name;
        lo[i].has_arg = opts[i].kind == EL_OPT_FLAG ? no_argument : required_argument;
        lo[i].val = 2000 + (int)i;
        if (opts[i].short_name) {
            so[k++] = (char)opts[i].short_name;
            if (opts[i].kind != EL_OPT_FLAG)
                so[k++] = ':';
        }
    }
    for (size_t i = 0; i < n_glob; i++) {
        lo[n_own + i].name = global_opts[i].long_name;
        lo[n_own + i].has_arg = no_argument;
        lo[n_own + i].val = global_opts[i].id;
        if (global_opts[i].short_name)
            so[k++] = (char)global_opts[i].short_name;
    }
    so[k] = '\0';

    bool ok = true;
    *exit_code = EL_EXIT_OK;
    optind = 0; /* glibc: full re-initialisation */
    opterr = 0;
    int c;
    while (ok && (c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
        if (c == 1) {
            positional[(*npos)++] = optarg;
            continue;
        }
        const el_opt *o = NULL;
        if (c >= 2000 && c < 2000 + (int)n_own)
            o = &opts[c - 2000];
        else
            for (size_t i = 0; i < n_own; i++)
                if (opts[i].short_name && opts[i].short_name == c)
                    o = &opts[i];
        if (o) {
            const char *a = optarg;
            switch (o->kind) {
            case EL_OPT_FLAG:
                *(bool *)o->dst = true;
                break;
            case EL_OPT_STR:
                *(const char **)o->dst = a;
                break;
            case EL_OPT_INT: {
                int64_t v;
                if (!parse_i64(a, INT_MIN, INT_MAX, &v)) {
                    *exit_code = el_usage_error(cli, usage, "--%s needs an integer, got '%s'", o->long_name, a);
                    ok = false;
                } else {
                    *(int *)o->dst = (int)v;
                }
                break;
            }
            case EL_OPT_I64:
                if (!parse_i64(a, INT64_MIN, INT64_MAX, (int64_t *)o->dst)) {
                    *exit_code = el_usage_error(cli, usage, "--%s needs an integer, got '%s'", o->long_name, a);
                    ok = false;
                }
                break;
            case EL_OPT_U64:
                if (!parse_u64(a, (uint64_t *)o->dst)) {
                    *exit_code =
                        el_usage_error(cli, usage, "--%s needs a non-negative integer, got '%s'", o->long_name, a);
                    ok = false;
                }
                break;
            case EL_OPT_DOUBLE:
                if (!parse_double(a, (double *)o->dst)) {
                    *exit_code = el_usage_error(cli, usage, "--%s needs a number, got '%s'", o->long_name, a);
                    ok = false;
                }
                break;
            case EL_OPT_LIST: {
                el_strlist *l = o->dst;
                const char **nv = realloc(l->v, (size_t)(l->n + 1) * sizeof *nv);
                if (!nv) {
                    fprintf(stderr, "%s: error: out of memory\n", cli->prog);
                    *exit_code = EL_EXIT_FAIL;
                    ok = false;
                    break;
                }
                l->v = nv;
                l->v[l->n++] = a;
                break;
            }
            case EL_OPT_END:
                break;
            }
            continue;
        }
        switch (c) {
        case G_JSON: cli->json = true; break;
        case 'q': case G_QUIET: cli->verbosity = -1; break;
        case 'v': case G_VERBOSE: cli->verbosity = cli->verbosity < 0 ? 1 : cli->verbosity + 1; break;
        case 'h': case G_HELP:
            el_print_help(stdout, cli, usage, summary, opts);
            *exit_code = EL_EXIT_OK;
            ok = false;
            break;
        case ':':
            if (optopt >= 2000 && optopt < 2000 + (int)n_own)
                *exit_code = el_usage_error(cli, usage, "option '--%s' needs an argument", opts[optopt - 2000].long_name);
            else if (optopt > 0 && optopt < 256)
                *exit_code = el_usage_error(cli, usage, "option '-%c' needs an argument", optopt);
            else
                *exit_code = el_usage_error(cli, usage, "option '%s' needs an argument", argv[optind - 1]);
            ok = false;
            break;
        default:
            if (optopt > 0 && optopt < 256)
                *exit_code = el_usage_error(cli, usage, "unknown option '-%c'", optopt);
            else
                *exit_code = el_usage_error(cli, usage, "unknown option '%s'", argv[optind - 1]);
            ok = false;
            break;
        }
    }
    /* Anything after "--" is positional. */
    while (ok && optind < argc)
        positional[(*npos)++] = argv[optind++];
    if (ok && *npos < min_pos) {
        *exit_code = el_usage_error(cli, usage, "missing argument");
        ok = false;
    } else if (ok && max_pos >= 0 && *npos > max_pos) {
        *exit_code = el_usage_error(cli, usage, "unexpected argument '%s'", positional[max_pos]);
        ok = false;
    }
    free(lo);
    free(so);
    if (!ok) {
        free(positional);
        *npos = 0;
        return false;
    }
    /* Logging and progress follow the final flags. */
    cli->log.level = cli->verbosity < 0 ? EL_LOG_ERROR : cli->verbosity == 0 ? EL_LOG_INFO : EL_LOG_DEBUG;
    cli->progress.enabled = cli->verbosity >= 0 && !cli->json && el_progress_tty();
    *pos = positional;
    return true;
}

bool el_parse_args(el_cli *cli, const char *usage, const char *summary, const el_opt *opts, int n, int argc, char **argv,
                   const char **args, int *exit_code)
{
    char **pos;
    int npos;
    if (!el_parse(cli, usage, summary, opts, n, n, argc, argv, &pos, &npos, exit_code))
        return false;
    for (int i = 0; i < n; i++)
        args[i] = pos[i];
    free(pos);
    return true;
}

int el_cli_fail(const el_cli *cli, const el_error *e)
{
    char line[2600];
    el_error_line(e, line, sizeof line);
    fprintf(stderr, "%s: error: %s\n", cli->prog, line);
    if (cli->verbosity > 0 && e->where)
        fprintf(stderr, "%s: (raised at %s, code %s)\n", cli->prog, e->where, el_code_name(e->code));
    el_cli_json_error(cli, e);
    /* 60-69, the command line's group (a bad flag, an output that is one of the inputs): usage */
    return e->code >= EL_EUSAGE && e->code < EL_EUSAGE + 10 ? EL_EXIT_USAGE : EL_EXIT_FAIL;
}

void el_cli_json_error(const el_cli *cli, const el_error *e)
{
    if (!cli->json && !cli->json_errors)
        return;
    json_t *j = json_pack("{s:{s:i, s:s, s:o}}", "error", "code", e->code, "name", el_code_name(e->code), "message",
                          el_json_str(e->msg, strlen(e->msg)));
    if (j) {
        json_t *o = json_object_get(j, "error");
        if (e->path[0])
            json_object_set_new(o, "file", el_json_str(e->path, strlen(e->path)));
        if (e->offset >= 0)
            json_object_set_new(o, "offset", json_integer(e->offset));
        el_json_print(stdout, j);
        json_decref(j);
    }
}

int el_cli_json(const el_cli *cli, json_t *j)
{
    if (!j) {
        fprintf(stderr, "%s: error: out of memory building the JSON result\n", cli->prog);
        return EL_EXIT_FAIL;
    }
    int rc = el_json_print_digits(stdout, j, cli->json_digits ? cli->json_digits : 9);
    json_decref(j);
    return rc ? EL_EXIT_FAIL : EL_EXIT_OK;
}

int el_cli_result(const el_cli *cli, json_t *j)
{
    if (cli->json)
        return el_cli_json(cli, j);
    json_decref(j);
    return EL_EXIT_OK;
}

int el_cli_gated(const el_cli *cli, json_t *j, const el_gates *g)
{
    if (!j)
        return el_cli_json(cli, NULL);
    int rc = EL_EXIT_OK;
    if (cli->json && el_json_print_digits(stdout, j, cli->json_digits ? cli->json_digits : 9))
        rc = EL_EXIT_FAIL;
    if (!rc)
        rc = el_cli_gate(cli, g, j, NULL);
    json_decref(j);
    return rc;
}

bool el_name_lookup(const el_name_int *t, const char *s, int *value)
{
    for (; t->name; t++)
        if (strcmp(t->name, s) == 0) {
            *value = t->value;
            return true;
        }
    return false;
}

const char *el_fmt_bytes(uint64_t n, char *buf, size_t cap)
{
    static const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)n;
    int i = 0;
    while (v >= 1024 && i < 4) {
        v /= 1024;
        i++;
    }
    if (i == 0)
        snprintf(buf, cap, "%llu B", (unsigned long long)n);
    else
        snprintf(buf, cap, "%.2f %s", v, u[i]);
    return buf;
}

const char *el_fmt_count(uint64_t n, char *buf, size_t cap)
{
    if (n >= 1000000000ull)
        snprintf(buf, cap, "%.2fB", (double)n / 1e9);
    else if (n >= 1000000ull)
        snprintf(buf, cap, "%.2fM", (double)n / 1e6);
    else if (n >= 1000ull)
        snprintf(buf, cap, "%.2fK", (double)n / 1e3);
    else
        snprintf(buf, cap, "%llu", (unsigned long long)n);
    return buf;
}

int el_cli_gate(const el_cli *cli, const el_gates *g, const json_t *result, const char *label_key)
{
    if (!g->n)
        return EL_EXIT_OK;
    el_error err;
    el_error_clear(&err);
    int met;
    char *msgs;
    if (el_gates_check(g, result, label_key, &met, &msgs, &err))
        return el_cli_fail(cli, &err);
    if (msgs)
        fprintf(stderr, "%s", msgs);
    free(msgs);
    return met ? EL_EXIT_GATE : EL_EXIT_OK;
}
