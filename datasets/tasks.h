/*
 * datasets/tasks.h - multiple-choice tasks in their standard files, turned into (context,
 * continuation) pairs per choice, the way lm-evaluation-harness builds them:
 *
 *   hellaswag   jsonl: ctx (or ctx_a + ctx_b), endings[4], label; activity_label when present.
 *               context = preprocess(activity_label + ": " + ctx), choice = " " + preprocess(ending)
 *               (preprocess: " [title]" -> ". ", other [tags] dropped, double spaces collapsed)
 *   arc         jsonl: question.stem, question.choices[{text,label}], answerKey (AI2's files), or the
 *               Hugging Face layout question, choices{text[],label[]}, answerKey.
 *               context = "Question: " + stem + "\nAnswer:", choice = " " + text
 *   piqa        jsonl: goal, sol1, sol2, label (0/1).  context = "Question: " + goal + "\nAnswer:"
 *   winogrande  jsonl: sentence with one "_", option1, option2, answer ("1"/"2"). The choices differ
 *               in their contexts: sentence up to "_" + option; the continuation, shared, is " " + the
 *               rest of the sentence (trimmed).
 *   mmlu        csv (Hendrycks' files, no header): question, A, B, C, D, answer letter. context =
 *               "The following are multiple choice questions (with answers) about SUBJECT.\n\n" +
 *               question + "\nA. ..\nB. ..\nC. ..\nD. ..\nAnswer:", choices " A" .. " D"; SUBJECT from
 *               the file name (abstract_algebra_test.csv -> abstract algebra).
 * A record that lacks a field or has a wrong one fails with the file and its line.
 */
#ifndef EL_DATASETS_TASKS_H
#define EL_DATASETS_TASKS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"

typedef enum el_mc_task { EL_MC_HELLASWAG, EL_MC_ARC, EL_MC_PIQA, EL_MC_WINOGRANDE, EL_MC_MMLU } el_mc_task;

enum { EL_MC_MAX_CHOICES = 8 };

typedef struct el_mc_item {
    int n_choices;
    char *context[EL_MC_MAX_CHOICES];  /* malloc'd, one per choice (most tasks: equal strings) */
    char *cont[EL_MC_MAX_CHOICES];     /* the continuation scored for each choice */
    int label;                         /* index of the right choice */
    int64_t line;
} el_mc_item;

typedef struct el_mc_set {
    el_mc_item *items;
    int n;
} el_mc_set;

bool el_mc_task_from_name(const char *name, el_mc_task *out);
const char *el_mc_task_name(el_mc_task t);

/* Load at most limit items (0: all) of a task's file (any spec datasets/source.h reads). */
int el_mc_load(el_mc_task task, const char *spec, int limit, el_mc_set *out, el_error *err);
void el_mc_set_free(el_mc_set *s);

#endif
