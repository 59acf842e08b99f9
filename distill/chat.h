/*
 * distill/chat.h - chat templates without a Jinja engine: the common families are recognised from the
 * model's `tokenizer.chat_template` (or named) and applied as llama.cpp's llama_chat_apply_template
 * applies them (src/llama-chat.cpp, b4748), so `distill gen --chat` prompts the teacher exactly as
 * llama.cpp would. An unknown template is an error naming what is recognised, never a guess.
 *
 *   chatml      <|im_start|>ROLE\nCONTENT<|im_end|>\n ... <|im_start|>assistant\n
 *   llama3      <|start_header_id|>ROLE<|end_header_id|>\n\nTRIM(CONTENT)<|eot_id|> ...
 *   gemma       <start_of_turn>ROLE\n (assistant -> model; a system message is prefixed to the first
 *               user turn + "\n\n") TRIM(CONTENT)<end_of_turn>\n ... <start_of_turn>model\n
 *   phi3        <|ROLE|>\nCONTENT<|end|>\n ... <|assistant|>\n
 *   zephyr      <|ROLE|>\nCONTENT<|endoftext|>\n ... <|assistant|>\n
 *   mistral-v1, mistral-v3, mistral-v3-tekken, mistral-v7, llama2 (and its -sys, -sys-bos,
 *   -sys-strip variants): [INST] ... [/INST] turns (no generation prompt: the turn is open).
 * BOS is not written: the tokenizer adds it as the model says.
 */
#ifndef EL_DISTILL_CHAT_H
#define EL_DISTILL_CHAT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

typedef enum el_chat_tmpl {
    EL_CHAT_UNKNOWN = 0,
    EL_CHAT_CHATML,
    EL_CHAT_LLAMA3,
    EL_CHAT_GEMMA,
    EL_CHAT_PHI3,
    EL_CHAT_ZEPHYR,
    EL_CHAT_MISTRAL_V1,
    EL_CHAT_MISTRAL_V3,
    EL_CHAT_MISTRAL_V3_TEKKEN,
    EL_CHAT_MISTRAL_V7,
    EL_CHAT_LLAMA2,
    EL_CHAT_LLAMA2_SYS,
    EL_CHAT_LLAMA2_SYS_BOS,
    EL_CHAT_LLAMA2_SYS_STRIP,
} el_chat_tmpl;

typedef struct el_chat_msg {
    const char *role;     /* "system", "user", "assistant" */
    const char *content;
} el_chat_msg;

/* A template by name ("chatml", "llama3", ...) or by the text of a Jinja template; EL_CHAT_UNKNOWN
 * when neither. */
el_chat_tmpl el_chat_detect(const char *name_or_template);
const char *el_chat_name(el_chat_tmpl t);
/* "chatml, llama3, gemma, ..." (static), for messages */
const char *el_chat_known(void);

/* The prompt text for messages (malloc'd into *out), ending with the assistant's turn opened when
 * add_generation_prompt. EL_EUSAGE for an unknown template; EL_EFORMAT for a message without role or
 * content, or a role other than system/user/assistant (bad input: the messages come from a file). */
int el_chat_apply(el_chat_tmpl t, const el_chat_msg *msgs, int n, bool add_generation_prompt, char **out,
                  el_error *err);

#endif
