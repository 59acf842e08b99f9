/*
 * tests/oracle/chat_golden.c - golden chat prompts from llama.cpp itself: llama_chat_apply_template
 * with each named template on one conversation, printed as JSON lines {"name", "gen", "messages", "text"}
 * (the test reads the conversation from the file, so the two cannot drift apart).
 * Built and run by tests/oracle/chat_golden.sh against a llama.cpp build (not part of edgelm).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llama.h"

static void json_str(const char *s, int n)
{
    putchar('"');
    for (int i = 0; i < n; i++) {
        const unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c == '\n')
            printf("\\n");
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

int main(void)
{
    static const llama_chat_message conv[] = {
        {"system", "You are a helpful assistant"},
        {"user", "Hello"},
        {"assistant", "  Hi there  "},
        {"user", "Who are you"},
        {"assistant", "   I am an assistant   "},
        {"user", "Another question"},
    };
    static const char *const names[] = {"chatml", "llama3", "gemma", "phi3", "zephyr", "mistral-v1", "mistral-v3",
                                        "mistral-v3-tekken", "mistral-v7", "llama2", "llama2-sys", "llama2-sys-bos",
                                        "llama2-sys-strip"};
    static char buf[1 << 16];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        for (int gen = 0; gen < 2; gen++) {
            const int n = llama_chat_apply_template(names[i], conv, 6, gen, buf, sizeof buf);
            if (n < 0 || n >= (int)sizeof buf)
                return 1;
            printf("{\"name\": \"%s\", \"gen\": %s, \"messages\": [", names[i], gen ? "true" : "false");
            for (int m = 0; m < 6; m++) {
                printf("%s{\"role\": ", m ? ", " : "");
                json_str(conv[m].role, (int)strlen(conv[m].role));
                printf(", \"content\": ");
                json_str(conv[m].content, (int)strlen(conv[m].content));
                printf("}");
            }
            printf("], \"text\": ");
            json_str(buf, n);
            printf("}\n");
        }
    return 0;
}
