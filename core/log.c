/*
 * core/log.c - leveled messages on stderr.
 */
#include "core/log.h"

#include <stdarg.h>

void el_logf(const el_log *lg, int level, const char *fmt, ...)
{
    if (!lg || level > lg->level)
        return;
    FILE *f = lg->stream ? lg->stream : stderr;
    static const char *tag[] = {"error: ", "warning: ", "", ""};
    if (lg->prog)
        fprintf(f, "%s: ", lg->prog);
    fputs(tag[level < 0 ? 0 : level > 3 ? 3 : level], f);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
}
