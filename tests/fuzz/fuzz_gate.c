/*
 * tests/fuzz/fuzz_gate.c - libFuzzer target for `--fail-if` (eval/gate.c): el_gates_parse of the
 * condition list, then el_gates_check of the conditions against a result (an object, or a list of
 * records as bench gives), with the record labels its messages use.
 * Build and run: make fuzz FUZZ_TARGETS=gate (needs clang).
 *
 * Input: the --fail-if text FZ_SEP the result JSON FZ_SEP the label keys (e.g. "model_name,test";
 * absent: none). A result that is not JSON is not checked.
 *
 * Found: a message line longer than el_gates_check's 320-byte buffer was copied at its untruncated
 * length (fixed; tests/test_hostile.c).
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eval/gate.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_part parts[FZ_MAX_PARTS];
    const int n = fz_split(data, size, parts, 3);
    char *spec = fz_str(parts[0]);
    el_gates g;
    const int parsed = fz_rc(el_gates_parse(spec, &g, fz_err()));
    if (parsed == 0 && n > 1) {
        for (int i = 0; i < g.n; i++)
            if (!g.g[i].key[0] || g.g[i].op < EL_GATE_LT || g.g[i].op > EL_GATE_NE)
                FZ_BUG("condition %d parsed without a key or with op %d", i, g.g[i].op);
        json_t *result = json_loadb((const char *)parts[1].p, parts[1].n, JSON_DECODE_ANY, NULL);
        char *label = n > 2 ? fz_str(parts[2]) : NULL;
        if (result) {
            int met = -1;
            char *msgs = NULL;
            if (fz_rc(el_gates_check(&g, result, label, &met, &msgs, fz_err())) == 0 &&
                (met < 0 || (met > 0) != (msgs != NULL)))
                FZ_BUG("%d conditions met, messages %s", met, msgs ? "given" : "absent");
            free(msgs);
        }
        json_decref(result);
        free(label);
    }
    if (parsed == 0)
        el_gates_free(&g);
    free(spec);
    return 0;
}
