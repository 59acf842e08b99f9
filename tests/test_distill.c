/*
 * tests/test_distill.c - `edgelm distill` (issue 8, in progress).
 *
 *  - chat templates: for every family edgelm recognises, the prompt for a six-message conversation
 *    (system, user, assistant with spaces around it, ...; the messages are in the golden file) with and without the generation prompt equals
 *    llama.cpp's llama_chat_apply_template (tests/golden/chat/llama_cpp.jsonl, made by
 *    tests/oracle/chat_golden.sh); detection from template texts follows llama.cpp's rules; an unknown
 *    template and a bad role are refused.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "distill/chat.h"

/* The conversation of the golden file's records: its messages, as el_chat_msg (pointing into j). */
static int messages_of(const json_t *j, el_chat_msg *m, int cap)
{
    const json_t *arr = json_object_get(j, "messages");
    cr_assert(json_is_array(arr) && (int)json_array_size(arr) <= cap);
    for (size_t i = 0; i < json_array_size(arr); i++) {
        m[i].role = json_string_value(json_object_get(json_array_get(arr, i), "role"));
        m[i].content = json_string_value(json_object_get(json_array_get(arr, i), "content"));
        cr_assert(m[i].role && m[i].content);
    }
    return (int)json_array_size(arr);
}

Test(distill, chat_templates_equal_llama_cpp)
{
    FILE *f = fopen("tests/golden/chat/llama_cpp.jsonl", "r");
    cr_assert(f, "tests/golden/chat/llama_cpp.jsonl");
    char line[1 << 14];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        json_error_t je;
        json_t *j = json_loads(line, 0, &je);
        cr_assert(j, "%s", je.text);
        const char *name = json_string_value(json_object_get(j, "name"));
        const el_chat_tmpl t = el_chat_detect(name);
        cr_assert_neq(t, EL_CHAT_UNKNOWN, "%s", name);
        cr_assert_str_eq(el_chat_name(t), name);
        el_chat_msg conv[8];
        const int n_msg = messages_of(j, conv, 8);
        cr_assert_eq(n_msg, 6);
        char *out;
        el_error e;
        el_error_clear(&e);
        cr_assert_eq(el_chat_apply(t, conv, n_msg, json_is_true(json_object_get(j, "gen")), &out, &e), 0, "%s", e.msg);
        cr_assert_str_eq(out, json_string_value(json_object_get(j, "text")), "%s (generation prompt: %d)", name,
                         json_is_true(json_object_get(j, "gen")));
        free(out);
        json_decref(j);
        n++;
    }
    fclose(f);
    cr_assert_eq(n, 26);
}

Test(distill, chat_template_detection)
{
    static const struct {
        const char *text;
        el_chat_tmpl want;
    } cases[] = {
        {"{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}",
         EL_CHAT_CHATML},
        {"{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}",
         EL_CHAT_LLAMA3},
        {"{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}", EL_CHAT_GEMMA},
        {"{{'<|user|>' + '\\n' + message['content'] + '<|end|>' + '\\n' + '<|assistant|>' + '\\n'}}", EL_CHAT_PHI3},
        {"{{ '<|user|>\\n' + message['content'] + '<|endoftext|>' }}", EL_CHAT_ZEPHYR},
        {"{{ bos_token }}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}", EL_CHAT_LLAMA2},
        {"{{ '[INST] <<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' }}", EL_CHAT_LLAMA2_SYS},
        {"[SYSTEM_PROMPT] ... [INST]", EL_CHAT_MISTRAL_V7},
        {"{{ '<|im_start|>' + message['role'] + '<|im_sep|>' }}", EL_CHAT_UNKNOWN}, /* phi4: not handled */
        {"{{ message['content'] }}", EL_CHAT_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_assert_eq(el_chat_detect(cases[i].text), cases[i].want, "case %zu: %s", i, el_chat_name(el_chat_detect(cases[i].text)));
    char *out = (char *)1;
    el_error e;
    el_error_clear(&e);
    const el_chat_msg conv[] = {{"user", "Hello"}};
    cr_assert_neq(el_chat_apply(EL_CHAT_UNKNOWN, conv, 1, true, &out, &e), 0);
    cr_assert(strstr(e.msg, "unknown chat template") && strstr(e.msg, "chatml"), "%s", e.msg);
    cr_assert_null(out);
    el_error_clear(&e);
    const el_chat_msg bad[] = {{"tool", "x"}};
    cr_assert_neq(el_chat_apply(EL_CHAT_CHATML, bad, 1, true, &out, &e), 0);
    cr_assert(strstr(e.msg, "role"), "%s", e.msg);
    el_error_clear(&e);
    cr_assert_eq(el_chat_apply(EL_CHAT_CHATML, NULL, 0, true, &out, &e), 0);
    cr_assert_str_eq(out, "<|im_start|>assistant\n");
    free(out);
}
