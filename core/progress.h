/*
 * core/progress.h - a one-line progress bar, shown only on an interactive terminal.
 *
 * Library loops take an `el_progress *` (NULL: none) and call el_progress_add()
 * as work completes. The bar draws on stderr at most ten times a second and
 * only when `enabled` (cmd/ sets it when stderr is a TTY and neither -q nor
 * --json was given), so CI logs stay clean. Not thread-safe: update it from the
 * thread that owns the loop.
 */
#ifndef EL_CORE_PROGRESS_H
#define EL_CORE_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct el_progress {
    bool enabled;       /* draw at all */
    FILE *stream;       /* stderr */
    const char *label;  /* short text before the bar */
    const char *unit;   /* "B" shows sizes (MiB), anything else counts */
    uint64_t total;     /* 0: unknown */
    uint64_t done;
    double t_start;     /* seconds (monotonic) */
    double t_drawn;     /* last draw time */
    bool drawn;         /* something is on the line and needs clearing */
} el_progress;

/* True when progress should be drawn for this process (stderr is a TTY). */
bool el_progress_tty(void);

void el_progress_begin(el_progress *p, const char *label, const char *unit, uint64_t total);
void el_progress_add(el_progress *p, uint64_t n);
void el_progress_set(el_progress *p, uint64_t done);
/* Clear the line (the caller prints its own summary). */
void el_progress_end(el_progress *p);

/* Monotonic clock in seconds. */
double el_now(void);

#endif
