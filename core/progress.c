/*
 * core/progress.c - TTY progress bar.
 */
#include "core/progress.h"

#include <time.h>
#include <unistd.h>

double el_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

bool el_progress_tty(void) { return isatty(STDERR_FILENO) == 1; }

void el_progress_begin(el_progress *p, const char *label, const char *unit, uint64_t total)
{
    if (!p)
        return;
    p->label = label;
    p->unit = unit ? unit : "";
    p->total = total;
    p->done = 0;
    p->t_start = el_now();
    p->t_drawn = 0;
    p->drawn = false;
    if (!p->stream)
        p->stream = stderr;
}

static void draw(el_progress *p, bool force)
{
    if (!p->enabled)
        return;
    double now = el_now();
    if (!force && now - p->t_drawn < 0.1)
        return;
    p->t_drawn = now;
    double el = now - p->t_start;
    bool bytes = p->unit[0] == 'B' && p->unit[1] == '\0';
    double scale = bytes ? 1.0 / (1024.0 * 1024.0) : 1.0;
    const char *u = bytes ? "MiB" : p->unit;
    char bar[31];
    int width = 30;
    int fill = 0;
    if (p->total > 0) {
        double f = (double)p->done / (double)p->total;
        if (f > 1)
            f = 1;
        fill = (int)(f * width);
    }
    for (int i = 0; i < width; i++)
        bar[i] = i < fill ? '#' : (p->total ? '.' : ' ');
    bar[width] = '\0';
    double rate = el > 0 ? (double)p->done * scale / el : 0;
    if (p->total > 0) {
        double eta = p->done > 0 ? el * ((double)p->total / (double)p->done - 1.0) : 0;
        fprintf(p->stream, "\r%-20.20s [%s] %5.1f%% %.1f/%.1f %s %.1f %s/s eta %.0fs ", p->label, bar,
                100.0 * (double)p->done / (double)p->total, (double)p->done * scale,
                (double)p->total * scale, u, rate, u, eta);
    } else {
        fprintf(p->stream, "\r%-20.20s %.1f %s %.1f %s/s ", p->label, (double)p->done * scale, u, rate, u);
    }
    fflush(p->stream);
    p->drawn = true;
}

void el_progress_add(el_progress *p, uint64_t n)
{
    if (!p)
        return;
    p->done += n;
    draw(p, false);
}

void el_progress_set(el_progress *p, uint64_t done)
{
    if (!p)
        return;
    p->done = done;
    draw(p, false);
}

void el_progress_end(el_progress *p)
{
    if (!p || !p->enabled || !p->drawn)
        return;
    fputs("\r\033[K", p->stream);
    fflush(p->stream);
    p->drawn = false;
}
