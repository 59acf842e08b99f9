/*
 * core/log.h - messages for people, on stderr.
 *
 * A logger is a small struct owned by the command (cmd/main.c builds it from
 * -q/-v); library code that has something to say takes a `const el_log *`
 * (NULL means silent). stdout is reserved for results, so `--json` output can
 * be piped while logs still reach the terminal.
 */
#ifndef EL_CORE_LOG_H
#define EL_CORE_LOG_H

#include <stdbool.h>
#include <stdio.h>

enum { EL_LOG_ERROR = 0, EL_LOG_WARN = 1, EL_LOG_INFO = 2, EL_LOG_DEBUG = 3 };

typedef struct el_log {
    int level;      /* messages above this level are dropped */
    FILE *stream;   /* stderr unless a test redirects it; NULL = stderr */
    const char *prog; /* prefix, e.g. "edgelm convert" */
} el_log;

void el_logf(const el_log *lg, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define el_warn(lg, ...) el_logf((lg), EL_LOG_WARN, __VA_ARGS__)
#define el_info(lg, ...) el_logf((lg), EL_LOG_INFO, __VA_ARGS__)
#define el_debug(lg, ...) el_logf((lg), EL_LOG_DEBUG, __VA_ARGS__)

#endif
