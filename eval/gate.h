/*
 * eval/gate.h - `--fail-if 'kld_mean>0.01,avg_ts<50'`: conditions on a result's numbers, so a CI
 * script can fail a build on a regression (exit 3, EL_EXIT_GATE) without parsing the JSON itself.
 *
 * A condition is KEY OP NUMBER with OP one of < <= > >= == !=, NUMBER a finite decimal ([+-]D[.D][e[+-]D];
 * not nan, inf, hex or out of range: a gate against NaN is never met); KEY names a number in the result
 * object (a dotted path reaches into nested objects: "kld_quantiles.99"). When the result is a list
 * of records (bench: one per model, thread count and test) a condition applies to every record that
 * has the key. A key that no record has is a usage error, not a silent pass.
 */
#ifndef EL_EVAL_GATE_H
#define EL_EVAL_GATE_H

#include <jansson.h>

#include "core/error.h"

typedef struct el_gate {
    char key[64];
    int op;          /* EL_GATE_LT ... */
    double value;
    char text[112];  /* the condition as written, for messages */
} el_gate;

enum { EL_GATE_LT, EL_GATE_LE, EL_GATE_GT, EL_GATE_GE, EL_GATE_EQ, EL_GATE_NE };

typedef struct el_gates {
    el_gate *g;
    int n;
} el_gates;

/* Parse a comma-separated list (NULL or "" gives none). EL_EUSAGE naming the bad condition. */
int el_gates_parse(const char *spec, el_gates *out, el_error *err);
void el_gates_free(el_gates *g);

/*
 * Check result (an object, or an array of objects). For every condition met, a line
 * "KEY OP VALUE met: KEY = ACTUAL[ (RECORD)]" is appended to *msgs (malloc'd, may be NULL when
 * none). *met counts them. label_key: comma-separated fields that identify a record in messages
 * ("model_name,test"), or NULL.
 */
int el_gates_check(const el_gates *g, const json_t *result, const char *label_key, int *met, char **msgs,
                   el_error *err);

#endif
