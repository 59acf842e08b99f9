/*
 * core/error.c - the error record (see error.h for the contract).
 */
#include "core/error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void el_error_clear(el_error *e)
{
    if (!e)
        return;
    e->code = EL_OK;
    e->offset = -1;
    e->where = NULL;
    e->path[0] = '\0';
    e->msg[0] = '\0';
}

int el_fail_at(el_error *e, int code, const char *path, int64_t offset,
               const char *where, const char *fmt, ...)
{
    if (!e || e->code != EL_OK)
        return code;
    e->code = code;
    e->offset = offset;
    e->where = where;
    snprintf(e->path, sizeof e->path, "%s", path ? path : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    /* One line: a message built from file content must not break log parsers. */
    for (char *p = e->msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    return code;
}

int el_code_from_errno(int errnum)
{
    switch (errnum) {
    case ENOENT: case ENOTDIR: return EL_ENOENT;
    case EACCES: case EPERM: case EROFS: return EL_EACCES;
    case ENOSPC: case EDQUOT: case EFBIG: return EL_ENOSPC;
    case ENOMEM: return EL_ENOMEM;
    case EINTR: return EL_EINTR;
    default: return EL_EIO;
    }
}

static const struct {
    int code;
    const char *name;
    const char *text;
} code_table[] = {
    {EL_OK, "OK", "success"},
    {EL_ENOMEM, "ENOMEM", "out of memory"},
    {EL_EINTERNAL, "EINTERNAL", "internal error"},
    {EL_EINTR, "EINTR", "interrupted"},
    {EL_EIO, "EIO", "input/output error"},
    {EL_ENOENT, "ENOENT", "no such file or directory"},
    {EL_EACCES, "EACCES", "permission denied"},
    {EL_ENOSPC, "ENOSPC", "no space left on device"},
    {EL_EFTYPE, "EFTYPE", "not a regular file"},
    {EL_EFORMAT, "EFORMAT", "malformed file"},
    {EL_ETRUNC, "ETRUNC", "truncated file"},
    {EL_EVERSION, "EVERSION", "unsupported format version"},
    {EL_ERANGE, "ERANGE", "value out of range"},
    {EL_EJSON, "EJSON", "malformed JSON"},
    {EL_EUNSUPPORTED, "EUNSUPPORTED", "unsupported"},
    {EL_ESHAPE, "ESHAPE", "wrong tensor shape"},
    {EL_EMISSING, "EMISSING", "missing item"},
    {EL_EDUP, "EDUP", "duplicate item"},
    {EL_ENUMERIC, "ENUMERIC", "non-finite values"},
    {EL_EUSAGE, "EUSAGE", "usage error"},
    {EL_ESAMEFILE, "ESAMEFILE", "output would replace an input"},
};

const char *el_code_name(int code)
{
    for (size_t i = 0; i < sizeof code_table / sizeof code_table[0]; i++)
        if (code_table[i].code == code)
            return code_table[i].name;
    return "EUNKNOWN";
}

const char *el_strerror(int code)
{
    for (size_t i = 0; i < sizeof code_table / sizeof code_table[0]; i++)
        if (code_table[i].code == code)
            return code_table[i].text;
    return "unknown error";
}

char *el_error_line(const el_error *e, char *buf, size_t cap)
{
    if (cap == 0)
        return buf;
    buf[0] = '\0';
    if (!e)
        return buf;
    size_t n = 0;
    if (e->path[0])
        n += (size_t)snprintf(buf + n, cap - n, "%s: ", e->path);
    if (n < cap && e->offset >= 0)
        n += (size_t)snprintf(buf + n, cap - n, "at byte %lld: ", (long long)e->offset);
    if (n < cap)
        snprintf(buf + n, cap - n, "%s", e->msg[0] ? e->msg : el_strerror(e->code));
    return buf;
}
