/*
 * tests/fuzz/fuzz_hf_config.c - libFuzzer target for config.json: hf_config_load, the architecture
 * table's shapes for what it accepts, and `convert --vocab-only` of a folder holding it (the
 * metadata convert derives from the config: RoPE dimensions from partial_rotary_factor, rope_scaling,
 * soft-caps, windows), with a fixed tokenizer beside it.
 * Build and run: make fuzz FUZZ_TARGETS=hf_config (needs clang and ../shared).
 *
 * The input is the config.json. The tokenizer is ../shared/models/stories260K's (or the folder in
 * EDGELM_FUZZ_TOKENIZER_DIR): tokenizer.json, tokenizer.model, tokenizer_config.json.
 *
 * Bounded: convert runs only for vocab_size <= 65536. A larger one pads the vocabulary with
 * "[PADn]" tokens before anything is checked (issue 16 item 14: 2^24 takes 1.2 GB and seconds), which
 * would make every such input a slow one; hf_config_load itself sees every input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/arch.h"
#include "formats/convert.h"
#include "formats/hf_config.h"
#include "tests/fuzz/fuzz_util.h"

static char dir[600], cfg_path[700], out_path[700];

static void copy_in(const char *src_dir, const char *name)
{
    char src[1024], dst[1024];
    fz_copy_file(fz_path(src, sizeof src, src_dir, name), fz_path(dst, sizeof dst, dir, name));
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *root = fz_tmpdir("hf_config");
    fz_path(dir, sizeof dir, root, "model");
    fz_mkdir(dir);
    const char *tok = getenv("EDGELM_FUZZ_TOKENIZER_DIR");
    if (!tok || !*tok)
        tok = fz_shared("hf_config", "models/stories260K");
    copy_in(tok, "tokenizer.json");
    copy_in(tok, "tokenizer.model");
    copy_in(tok, "tokenizer_config.json");
    fz_path(cfg_path, sizeof cfg_path, dir, "config.json");
    fz_path(out_path, sizeof out_path, root, "out.gguf");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_write(cfg_path, data, size);
    hf_config c;
    if (fz_rc(hf_config_load(&c, cfg_path, fz_err())))
        return 0;
    if (!c.root || c.hidden_size <= 0 || c.n_heads <= 0 || c.n_kv_heads <= 0 || c.head_dim <= 0 || c.vocab_size <= 0)
        FZ_BUG("an accepted config.json lacks a required size");
    const el_arch *a = el_arch_from_hf(c.arch);
    if (a) {
        volatile int64_t sink = 0;
        for (int i = 0; i < a->n_tensors; i++) {
            int64_t shape[2] = {0, 0};
            if (!el_tensor_present(&a->tensors[i], &c))
                continue;
            int nd = el_tensor_shape(&a->tensors[i], &c, shape);
            if (nd < 1 || nd > 2)
                FZ_BUG("tensor template %d has %d dims", i, nd);
            sink += shape[0] + shape[1];
        }
        (void)sink;
    }
    const bool small = c.vocab_size <= 65536;
    hf_config_free(&c);
    if (a && small) {
        el_convert_opts o = {.model_dir = dir, .out_path = out_path, .outtype = EL_OUTTYPE_AUTO, .vocab_only = true,
                             .threads = 1};
        el_convert_result r;
        fz_rc(el_convert(&o, &r, fz_err()));
        remove(out_path);
    }
    return 0;
}
