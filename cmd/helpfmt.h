/*
 * cmd/helpfmt.h - a command's help as a man page or an option listing (cmd/helpfmt.c), for
 * `make man` and the shell completions; chosen by EDGELM_HELP_FORMAT (man, opts) at --help.
 */
#ifndef EL_CMD_HELPFMT_H
#define EL_CMD_HELPFMT_H

#include <stdbool.h>
#include <stdio.h>

#include "cmd/cmd.h"

/* The environment variable that selects the form. */
#define EL_HELP_FORMAT_ENV "EDGELM_HELP_FORMAT"

/*
 * The help of `prog` ("edgelm eval ppl") in the form `format` names to f: "man" (roff, man(7)) or
 * "opts" (tab-separated lines: "command\tPROG", "subcommand\tNAME" for each of subs, and
 * "option\t-S\t--LONG\tARG\tHELP" for each of opts then globals, -S and ARG empty when there are none).
 * False, printing nothing, when format is NULL or names neither.
 */
bool el_help_format(FILE *f, const char *format, const char *prog, const char *usage, const char *summary,
                    const el_opt *opts, const el_opt *globals, const char *const *subs, int n_subs);

#endif
