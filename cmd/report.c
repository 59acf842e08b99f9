/*
 * cmd/report.c - `edgelm report RESULT.json... -o DIR`.
 */
#include <stdlib.h>

#include "cmd/cmd.h"
#include "core/file.h"
#include "eval/report.h"

static const char usage[] = "report RESULT.json... -o DIR";
static const char summary[] =
    "Join results of `edgelm eval ... --json` and `edgelm bench --json` (any number of files, json or\n"
    "jsonl) into DIR/report.md: one row per model variant (type, size, bits/weight, PPL, KLD, accuracy\n"
    "per task, prefill, decode, time to first token, peak RSS), and the SVG charts it links: size vs\n"
    "KL divergence with the Pareto front marked (size_kld.svg), decode tokens/s (decode.svg).";

int cmd_report(int argc, char **argv, el_cli *cli)
{
    const char *out = NULL;
    const el_opt opts[] = {
        {'o', "output", EL_OPT_STR, &out, "DIR", "folder for report.md and the charts"},
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
    el_report_summary s;
    el_error err;
    el_error_clear(&err);
    const int rc = el_report_write((const char *const *)pos, npos, out, &s, &err);
    free(pos);
    if (rc)
        return el_cli_fail(cli, &err);
    char *md = el_path_join(out, "report.md");
    int ec = EL_EXIT_OK;
    if (cli->json)
        ec = el_cli_json(cli, json_pack("{s:s?, s:i, s:i, s:i}", "report", md, "variants", s.n_variants, "records",
                                        s.n_records, "pareto", s.n_pareto));
    else if (cli->verbosity >= 0)
        printf("%s: %d variants from %d results\n", md ? md : out, s.n_variants, s.n_records);
    free(md);
    return ec;
}
