/*
 * tests/fuzz/fuzz_chat.c - libFuzzer target for chat templates (distill/chat.c, `distill gen --chat`):
 * el_chat_detect on a model's tokenizer.chat_template (or a name), then el_chat_apply of messages
 * with the template detected and with every known one.
 * Build and run: make fuzz FUZZ_TARGETS=chat (needs clang).
 *
 * Input: byte 0, bit 0: add the generation prompt; the rest is NUL-separated strings: the template
 * text (or name), then role, content, role, content, ... (at most 16 messages; an odd last string is
 * a role with empty content).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "distill/chat.h"
#include "tests/fuzz/fuzz_util.h"

enum { MAX_MSGS = 16 };

static void apply(el_chat_tmpl t, const el_chat_msg *m, int n, bool gen)
{
    char *out = NULL;
    const int rc = fz_rc(el_chat_apply(t, m, n, gen, &out, fz_err()));
    if (rc == 0 && !out)
        FZ_BUG("el_chat_apply(%s) succeeded without a text", el_chat_name(t));
    if (rc != 0 && out)
        FZ_BUG("el_chat_apply(%s) failed and left a text", el_chat_name(t));
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const bool gen = data[0] & 1;
    char *buf = fz_str((fz_part){data + 1, size - 1}); /* the strings, each NUL-terminated */
    const char *strs[1 + 2 * MAX_MSGS];
    int n_str = 0;
    for (size_t i = 0; n_str < (int)(sizeof strs / sizeof *strs);) {
        strs[n_str++] = buf + i;
        i += strlen(buf + i) + 1;
        if (i >= size - 1) /* buf[size - 1] is the NUL added here */
            break;
    }
    el_chat_msg m[MAX_MSGS];
    int n = 0;
    for (int i = 1; i < n_str; i += 2)
        m[n++] = (el_chat_msg){strs[i], i + 1 < n_str ? strs[i + 1] : ""};
    const el_chat_tmpl t = el_chat_detect(strs[0]);
    if (t != EL_CHAT_UNKNOWN && el_chat_detect(el_chat_name(t)) != t)
        FZ_BUG("template %d is named '%s', which detects as another", (int)t, el_chat_name(t));
    apply(t, m, n, gen);
    for (int k = EL_CHAT_CHATML; k <= EL_CHAT_LLAMA2_SYS_STRIP; k++)
        apply((el_chat_tmpl)k, m, n, gen);
    free(buf);
    return 0;
}
