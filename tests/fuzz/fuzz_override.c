/*
 * tests/fuzz/fuzz_override.c - libFuzzer target for `edgelm quantize --override 'REGEX=TYPE'`: the
 * command's own parsing (cmd/quantize.c: the split at the last '=', the type name, the count limit)
 * and the library's (quant/quantize.c: each REGEX compiled by PCRE2 and matched against every tensor
 * name), run through cmd_quantize on a fixed small model so that what parses is also applied.
 * Build and run: make fuzz FUZZ_TARGETS=override (needs clang; run from the top folder).
 *
 * Input: byte 0 picks options (bit 0 --imatrix with a matching imatrix, bit 1 --pure, bit 2
 * --strict); the rest is NUL-separated strings: TYPE (the mix: Q4_K_M, q8_0, ...), then one
 * --override value each (at most 40, so the limit of 32 is reached).
 * The model is tests/fuzz/corpus/model/llama-f16.gguf (or EDGELM_FUZZ_MODEL), the imatrix
 * tests/fuzz/corpus/imatrix/llama.gguf (or EDGELM_FUZZ_IMATRIX).
 *
 * cmd_quantize prints every usage error on stderr, so `make fuzz` runs this target with
 * -close_fd_mask=2 (libFuzzer's and the sanitizers' reports still appear; this file's own FZ_BUG line
 * does not, replay the input without the flag to see it).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "tests/fuzz/fuzz_util.h"

enum { MAX_OVERRIDES = 40 };

static char model[700], imatrix[700], out[700];

static void copy(const char *env, const char *def, char *dst, size_t cap, const char *name)
{
    const char *src = getenv(env);
    fz_copy_file(src && *src ? src : def, fz_path(dst, cap, fz_tmpdir("override"), name));
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    setenv("OMP_NUM_THREADS", "1", 1);
    copy("EDGELM_FUZZ_MODEL", "tests/fuzz/corpus/model/llama-f16.gguf", model, sizeof model, "in.gguf");
    copy("EDGELM_FUZZ_IMATRIX", "tests/fuzz/corpus/imatrix/llama.gguf", imatrix, sizeof imatrix, "imatrix.gguf");
    fz_path(out, sizeof out, fz_tmpdir("override"), "out.gguf");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    char *buf = fz_str((fz_part){data + 1, size - 1}); /* the strings, each NUL-terminated */
    char *argv[16 + 2 * MAX_OVERRIDES];
    int argc = 0;
    argv[argc++] = "quantize";
    argv[argc++] = model;
    argv[argc++] = out;
    argv[argc++] = buf; /* TYPE */
    size_t i = strlen(buf) + 1;
    for (int k = 0; k < MAX_OVERRIDES && i < size - 1; k++) { /* buf[size - 1] is the NUL added here */
        argv[argc++] = "--override";
        argv[argc++] = buf + i;
        i += strlen(buf + i) + 1;
    }
    if (data[0] & 1) {
        argv[argc++] = "--imatrix";
        argv[argc++] = imatrix;
    }
    if (data[0] & 2)
        argv[argc++] = "--pure";
    if (data[0] & 4)
        argv[argc++] = "--strict";
    argv[argc++] = "-t";
    argv[argc++] = "1";
    argv[argc++] = "-q";
    argv[argc] = NULL;
    el_cli cli;
    memset(&cli, 0, sizeof cli);
    snprintf(cli.prog, sizeof cli.prog, "edgelm quantize");
    cli.cmd = "quantize";
    cli.log.level = EL_LOG_ERROR;
    cli.log.prog = cli.prog;
    int rc = cmd_quantize(argc, argv, &cli);
    if (rc != EL_EXIT_OK && rc != EL_EXIT_FAIL && rc != EL_EXIT_USAGE)
        FZ_BUG("cmd_quantize returned %d", rc);
    remove(out);
    free(buf);
    return 0;
}
