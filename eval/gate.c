/*
 * eval/gate.c - --fail-if conditions (see gate.h).
 */
#include "eval/gate.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* [+-] digits [. digits] [(e|E) [+-] digits], at least one digit before the exponent: the only
 * thresholds (strtod reads this grammar exactly as written). */
static int is_decimal(const char *p)
{
    int digits = 0;
    if (*p == '+' || *p == '-')
        p++;
    for (; isdigit((unsigned char)*p); p++)
        digits++;
    if (*p == '.')
        for (p++; isdigit((unsigned char)*p); p++)
            digits++;
    if (!digits)
        return 0;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!isdigit((unsigned char)*p))
            return 0;
        while (isdigit((unsigned char)*p))
            p++;
    }
    return *p == 0;
}

static int parse_one(const char *s, size_t len, el_gate *g, el_error *err)
{
    memset(g, 0, sizeof *g);
    snprintf(g->text, sizeof g->text, "%.*s", (int)len, s);
    size_t k = 0;
    while (k < len && (isalnum((unsigned char)s[k]) || s[k] == '_' || s[k] == '.'))
        k++;
    if (k == 0 || k >= sizeof g->key)
        goto bad;
    memcpy(g->key, s, k);
    size_t j = k;
    if (j + 1 < len && s[j + 1] == '=') {
        switch (s[j]) {
        case '<': g->op = EL_GATE_LE; break;
        case '>': g->op = EL_GATE_GE; break;
        case '=': g->op = EL_GATE_EQ; break;
        case '!': g->op = EL_GATE_NE; break;
        default: goto bad;
        }
        j += 2;
    } else if (j < len && (s[j] == '<' || s[j] == '>')) {
        g->op = s[j] == '<' ? EL_GATE_LT : EL_GATE_GT;
        j++;
    } else {
        goto bad;
    }
    char num[64];
    if (len - j == 0 || len - j >= sizeof num)
        goto bad;
    memcpy(num, s + j, len - j);
    num[len - j] = 0;
    /* strtod alone would also take nan, inf, hex floats and leading blanks, and round 1e999 to inf;
     * a gate against nan is never met, so 'ppl>nan' would pass silently */
    if (is_decimal(num))
        g->value = strtod(num, NULL);
    if (!is_decimal(num) || !isfinite(g->value))
        return EL_FAIL(err, EL_EUSAGE, NULL, -1, "--fail-if: '%.*s': threshold '%s' is not a finite decimal number", (int)len,
                       s, num);
    return 0;
bad:
    return EL_FAIL(err, EL_EUSAGE, NULL, -1, "--fail-if: '%.*s' is not KEY<OP>NUMBER (OP: < <= > >= == !=)", (int)len, s);
}

int el_gates_parse(const char *spec, el_gates *out, el_error *err)
{
    memset(out, 0, sizeof *out);
    if (!spec || !*spec)
        return 0;
    int n = 1;
    for (const char *p = spec; *p; p++)
        n += *p == ',';
    out->g = calloc((size_t)n, sizeof *out->g);
    if (!out->g)
        return EL_NOMEM(err);
    for (const char *p = spec;;) {
        const char *e = strchr(p, ',');
        const size_t len = e ? (size_t)(e - p) : strlen(p);
        int rc = parse_one(p, len, &out->g[out->n], err);
        if (rc) {
            el_gates_free(out);
            return rc;
        }
        out->n++;
        if (!e)
            break;
        p = e + 1;
    }
    return 0;
}

void el_gates_free(el_gates *g)
{
    free(g->g);
    memset(g, 0, sizeof *g);
}

/* The number at a dotted path in obj; 0 when absent or not a number. */
static int lookup(const json_t *obj, const char *key, double *v)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", key);
    const json_t *j = obj;
    for (char *save = NULL, *part = strtok_r(buf, ".", &save); part && j; part = strtok_r(NULL, ".", &save))
        j = json_is_object(j) ? json_object_get(j, part) : NULL;
    if (!j || !json_is_number(j))
        return 0;
    *v = json_number_value(j);
    return 1;
}

/* The values of the comma-separated keys, space-separated ("q4_0.gguf tg128 2"). */
static void label_of(const json_t *rec, const char *keys, char *out, size_t cap)
{
    out[0] = 0;
    size_t n = 0;
    for (const char *p = keys; p && *p && n < cap;) {
        const char *e = strchr(p, ',');
        char key[64];
        snprintf(key, sizeof key, "%.*s", (int)(e ? (size_t)(e - p) : strlen(p)), p);
        const json_t *v = json_object_get(rec, key);
        if (json_is_string(v))
            n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? " " : "", json_string_value(v));
        else if (json_is_number(v))
            n += (size_t)snprintf(out + n, cap - n, "%s%s=%g", n ? " " : "", key, json_number_value(v));
        p = e ? e + 1 : NULL;
    }
}

static int holds(int op, double a, double b)
{
    switch (op) {
    case EL_GATE_LT: return a < b;
    case EL_GATE_LE: return a <= b;
    case EL_GATE_GT: return a > b;
    case EL_GATE_GE: return a >= b;
    case EL_GATE_EQ: return a == b;
    default: return a != b;
    }
}

int el_gates_check(const el_gates *g, const json_t *result, const char *label_key, int *met, char **msgs,
                   el_error *err)
{
    *met = 0;
    *msgs = NULL;
    size_t len = 0;
    const size_t n_rec = json_is_array(result) ? json_array_size(result) : 1;
    for (int i = 0; i < g->n; i++) {
        int seen = 0;
        for (size_t r = 0; r < n_rec; r++) {
            const json_t *rec = json_is_array(result) ? json_array_get(result, r) : result;
            double v;
            if (!lookup(rec, g->g[i].key, &v))
                continue;
            seen++;
            if (!holds(g->g[i].op, v, g->g[i].value))
                continue;
            (*met)++;
            char label[200];
            label_of(rec, label_key, label, sizeof label);
            char line[320];
            int k = snprintf(line, sizeof line, "--fail-if %s met: %s = %.6g%s%s%s\n", g->g[i].text, g->g[i].key, v,
                             label[0] ? " (" : "", label, label[0] ? ")" : "");
            if (k < 0)
                k = 0;
            if ((size_t)k >= sizeof line) { /* snprintf says what it would have written: keep what fits, and the newline */
                k = (int)sizeof line - 1;
                line[k - 1] = '\n';
            }
            char *m = realloc(*msgs, len + (size_t)k + 1);
            if (!m) {
                free(*msgs);
                *msgs = NULL;
                return EL_NOMEM(err);
            }
            memcpy(m + len, line, (size_t)k + 1);
            len += (size_t)k;
            *msgs = m;
        }
        if (!seen) {
            free(*msgs);
            *msgs = NULL;
            return EL_FAIL(err, EL_EUSAGE, NULL, -1, "--fail-if %s: the result has no number '%s'", g->g[i].text,
                           g->g[i].key);
        }
    }
    return 0;
}
