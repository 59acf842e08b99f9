/*
 * cmd/report.c - `edgelm report RESULT.json... -o DIR`.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/file.h"
#include "eval/report.h"

static const char usage[] = "report RESULT.json... -o DIR [--ram SIZE --ctx N]";
static const char summary[] =
    "Join results of `edgelm eval ... --json` and `edgelm bench --json` (any number of files, json or\n"
    "jsonl) into DIR/report.md: one row per model variant (type, size, bits/weight, PPL, KLD, accuracy\n"
    "per task, prefill, decode, time to first token, peak RSS), and the SVG charts it links: size vs\n"
    "KL divergence with the Pareto front marked (size_kld.svg), decode tokens/s (decode.svg).\n"
    "From eval mc records with calibration: a Calibration section, a reliability diagram\n"
    "(reliability.svg) and accuracy vs coverage (risk_coverage.svg); from eval route records with a\n"
    "sweep: a Routing section and accuracy vs share routed, its Pareto front marked (route.svg).\n"
    "--ram 2GiB --ctx 4096 adds a column: the memory each variant needs at that context (from its\n"
    "bench records) and whether it fits a device with that much free.";

/* "2GiB", "512MiB", "1.5G", "3000000000" -> bytes; false on anything else */
static bool parse_size(const char *s, uint64_t *out)
{
    char *end;
    const double x = strtod(s, &end);
    if (end == s || !(x > 0) || !isfinite(x))
        return false;
    static const struct {
        const char *suffix;
        double mul;
    } units[] = {{"", 1}, {"B", 1}, {"K", 1024}, {"KiB", 1024}, {"KB", 1e3}, {"M", 1048576}, {"MiB", 1048576}, {"MB", 1e6},
                 {"G", 1073741824}, {"GiB", 1073741824}, {"GB", 1e9}, {"T", 1099511627776.0}, {"TiB", 1099511627776.0}, {"TB", 1e12}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(end, units[i].suffix) == 0) {
            const double b = x * units[i].mul;
            if (b >= 1.8e19)
                return false;
            *out = (uint64_t)b;
            return *out > 0;
        }
    return false;
}

int cmd_report(int argc, char **argv, el_cli *cli)
{
    const char *out = NULL, *ram_s = NULL;
    int n_ctx = 0;
    const el_opt opts[] = {
        {'o', "output", EL_OPT_STR, &out, "DIR", "folder for report.md and the charts"},
        {0, "ram", EL_OPT_STR, &ram_s, "SIZE", "a device's free memory (2GiB, 512MiB): which variants fit it"},
        {0, "ctx", EL_OPT_INT, &n_ctx, "N", "the context they must run at there (with --ram)"},
        EL_OPTS_END,
    };
    char **pos;
    int npos, code;
    if (!el_parse(cli, usage, summary, opts, 1, 4096, argc, argv, &pos, &npos, &code))
        return code;
    if (!out) {
        free(pos);
        return el_usage_error(cli, usage, "missing -o DIR");
    }
    el_report_device dev = {0, 0};
    if ((ram_s != NULL) != (n_ctx != 0) || (ram_s && !parse_size(ram_s, &dev.ram)) || n_ctx < 0 || n_ctx > (1 << 24)) {
        free(pos);
        return el_usage_error(cli, usage, "--ram SIZE (e.g. 2GiB) and --ctx N (1..%d) go together", 1 << 24);
    }
    dev.n_ctx = n_ctx;
    el_report_summary s;
    el_error err;
    el_error_clear(&err);
    const int rc = el_report_write((const char *const *)pos, npos, out, &dev, &s, &err);
    free(pos);
    if (rc)
        return el_cli_fail(cli, &err);
    char *md = el_path_join(out, "report.md");
    int ec = EL_EXIT_OK;
    if (cli->json)
        ec = el_cli_json(cli, json_pack("{s:s?, s:i, s:i, s:i, s:o}", "report", md, "variants", s.n_variants, "records",
                                        s.n_records, "pareto", s.n_pareto, "fit", dev.ram ? json_integer(s.n_fit) : json_null()));
    else if (cli->verbosity >= 0)
        printf("%s: %d variants from %d results\n", md ? md : out, s.n_variants, s.n_records);
    free(md);
    return ec;
}
