/*
 * cmd/tokenize.c - `edgelm tokenize MODEL -p TEXT | -f FILE`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/file.h"
#include "core/json.h"
#include "engine/tokenizer/tokenizer.h"

static const char usage[] = "tokenize MODEL.gguf|MODEL_DIR (-p TEXT | -f FILE) [--ids] [--no-bos] [--special] [--json]";
static const char summary[] =
    "Tokenize text with a model's tokenizer (GGUF metadata, or tokenizer.json /\n"
    "tokenizer.model in a Hugging Face folder). Prints one 'id -> piece' line per\n"
    "token; --ids prints the ids as one JSON array on one line. BOS/EOS are added as\n"
    "the model says unless --no-bos; --special turns control-token texts such as\n"
    "<|im_start|> into those tokens. -f - reads standard input.";

int cmd_tokenize(int argc, char **argv, el_cli *cli)
{
    const char *prompt = NULL, *file = NULL;
    bool ids_only = false, no_bos = false, special = false;
    const el_opt opts[] = {
        {'p', "prompt", EL_OPT_STR, &prompt, "TEXT", "text to tokenize"},
        {'f', "file", EL_OPT_STR, &file, "FILE", "read the text from a file (- for standard input)"},
        {0, "ids", EL_OPT_FLAG, &ids_only, NULL, "print only the ids, as a JSON array on one line"},
        {0, "no-bos", EL_OPT_FLAG, &no_bos, NULL, "do not add the BOS token"},
        {0, "special", EL_OPT_FLAG, &special, NULL, "parse special-token texts in the input"},
        EL_OPTS_END,
    };
    const char *model;
    int code;
    if (!el_parse_args(cli, usage, summary, opts, 1, argc, argv, &model, &code))
        return code;
    if (!prompt == !file)
        return el_usage_error(cli, usage, "give exactly one of -p TEXT and -f FILE");
    el_error err;
    el_error_clear(&err);
    char *text = NULL;
    size_t len = 0;
    if (file && strcmp(file, "-") == 0) {
        size_t cap = 0;
        for (;;) {
            if (len + 65536 > cap) {
                cap = (len + 65536) * 2;
                char *t = realloc(text, cap);
                if (!t) {
                    free(text);
                    fprintf(stderr, "%s: error: out of memory\n", cli->prog);
                    return EL_EXIT_FAIL;
                }
                text = t;
            }
            size_t r = fread(text + len, 1, cap - len, stdin);
            len += r;
            if (r == 0 && ferror(stdin)) {
                free(text);
                fprintf(stderr, "%s: error: standard input: %s\n", cli->prog, strerror(errno));
                return EL_EXIT_FAIL;
            }
            if (r == 0)
                break;
        }
    } else if (file) {
        uint64_t n;
        if (el_read_file(file, 1ull << 32, &text, &n, &err))
            return el_cli_fail(cli, &err);
        len = (size_t)n;
    } else {
        len = strlen(prompt);
    }
    el_tokenizer *tok = NULL;
    if (el_tok_load(&tok, model, &err)) {
        free(text);
        return el_cli_fail(cli, &err);
    }
    el_tokens ids = {0};
    int flags = EL_TOK_ADD_SPECIAL | (no_bos ? EL_TOK_NO_BOS : 0) | (special ? EL_TOK_PARSE_SPECIAL : 0);
    int rc = el_tok_encode(tok, NULL, text ? text : prompt, len, flags, &ids, &err);
    free(text);
    if (rc) {
        el_tok_free(tok);
        return el_cli_fail(cli, &err);
    }
    if (cli->json) {
        json_t *a = json_array(), *p = json_array();
        for (size_t i = 0; i < ids.n; i++) {
            json_array_append_new(a, json_integer(ids.ids[i]));
            char buf[256];
            size_t n = el_tok_decode(tok, &ids.ids[i], 1, true, buf, sizeof buf);
            if (n == EL_TOK_DECODE_NOMEM)
                break;
            json_array_append_new(p, el_json_str(buf, n < sizeof buf ? n : sizeof buf - 1));
        }
        if (json_array_size(p) != ids.n) {
            json_decref(a);
            json_decref(p);
            el_tokens_free(&ids);
            el_tok_free(tok);
            EL_NOMEM(&err);
            return el_cli_fail(cli, &err);
        }
        el_tokens_free(&ids);
        el_tok_free(tok);
        return el_cli_json(cli, json_pack("{s:o, s:o, s:I}", "ids", a, "pieces", p, "n_tokens", (json_int_t)json_array_size(a)));
    }
    if (ids_only) {
        putchar('[');
        for (size_t i = 0; i < ids.n; i++)
            printf("%s%d", i ? ", " : "", ids.ids[i]);
        printf("]\n");
    } else {
        for (size_t i = 0; i < ids.n; i++) {
            char buf[512];
            size_t n = el_tok_decode(tok, &ids.ids[i], 1, true, buf, sizeof buf);
            if (n == EL_TOK_DECODE_NOMEM) {
                el_tokens_free(&ids);
                el_tok_free(tok);
                EL_NOMEM(&err);
                return el_cli_fail(cli, &err);
            }
            printf("%6d -> '%.*s'\n", ids.ids[i], (int)(n < sizeof buf ? n : sizeof buf - 1), buf);
        }
    }
    el_tokens_free(&ids);
    el_tok_free(tok);
    return EL_EXIT_OK;
}
