/*
 * tests/fuzz/fuzz_tasks.c - libFuzzer target for the multiple-choice task files of `eval mc`
 * (datasets/tasks.c): hellaswag, arc (AI2's and Hugging Face's layouts), piqa, winogrande (jsonl or
 * json) and mmlu (csv or tsv), turned into (context, continuation) pairs per choice.
 * Build and run: make fuzz FUZZ_TARGETS=tasks (needs clang).
 *
 * Input: byte 0 picks the task (% 5), the limit ((/ 5) % 3: all, 1, 2) and, bit 7, the other file
 * format (json for the jsonl tasks, tsv for mmlu); the rest is the file. What loads must keep its
 * promises: 1 .. 8 choices, each with a context and a continuation, the label one of them.
 *
 * Found (fixed; tests/test_hostile.c): a hellaswag record with ctx_a and an empty or absent ctx_b
 * read a byte past an allocation.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "datasets/records.h"
#include "datasets/tasks.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const el_mc_task tasks[] = {EL_MC_HELLASWAG, EL_MC_ARC, EL_MC_PIQA, EL_MC_WINOGRANDE, EL_MC_MMLU};
    static const char *const names[][2] = {{"hellaswag.jsonl", "hellaswag.json"}, {"arc.jsonl", "arc.json"},
                                           {"piqa.jsonl", "piqa.json"},           {"winogrande.jsonl", "winogrande.json"},
                                           {"abstract_algebra_test.csv", "college_physics_dev.tsv"}};
    const int t = (data[0] & 0x7f) % 5, limit = ((data[0] & 0x7f) / 5) % 3, alt = data[0] >> 7;
    const char *path = fz_input("tasks", names[t][alt], data + 1, size - 1);
    el_mc_set s;
    if (fz_rc(el_mc_load(tasks[t], path, limit, &s, fz_err())) == 0) {
        if (s.n < 1 || (limit && s.n > limit))
            FZ_BUG("%d items loaded with limit %d", s.n, limit);
        for (int i = 0; i < s.n; i++) {
            const el_mc_item *it = &s.items[i];
            if (it->n_choices < 1 || it->n_choices > EL_MC_MAX_CHOICES || it->label < 0 || it->label >= it->n_choices)
                FZ_BUG("item %d (line %lld): %d choices, label %d", i, (long long)it->line, it->n_choices, it->label);
            for (int c = 0; c < it->n_choices; c++)
                if (!it->context[c] || !it->cont[c])
                    FZ_BUG("item %d choice %d has no context or continuation", i, c);
        }
        el_mc_set_free(&s);
    }
    remove(path);
    return 0;
}
