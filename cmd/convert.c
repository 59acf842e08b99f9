/*
 * cmd/convert.c - `edgelm convert MODEL_DIR -o OUT.gguf`.
 */

#include "cmd/cmd.h"
#include "formats/convert.h"
#include "formats/ggml_type.h"
#include "quant/quantize.h"

static const char usage[] =
    "convert MODEL_DIR -o OUT.gguf [--outtype f32|f16|bf16|q8_0|auto] [--name NAME] [--vocab-only] [-t N]";
static const char summary[] =
    "Convert a Hugging Face checkpoint (config.json, safetensors, tokenizer.json or\n"
    "tokenizer.model) to GGUF with llama.cpp's metadata and tensor names. Supported:\n"
    "Llama (SmolLM, Llama 2/3.x, Mistral), Qwen2/2.5, Qwen3, Phi-3/3.5/4-mini, Gemma 2.\n"
    "--outtype auto (the default) keeps the checkpoint's float type; vectors and norms\n"
    "are always F32; q8_0 falls back to F16 for rows that are not a multiple of 32.";

int cmd_convert(int argc, char **argv, el_cli *cli)
{
    const char *out = NULL, *outtype = "auto", *name = NULL;
    bool vocab_only = false;
    int threads = 0;
    const el_opt opts[] = {
        {'o', "output", EL_OPT_STR, &out, "OUT.gguf", "output file (written atomically)"},
        {0, "outtype", EL_OPT_STR, &outtype, "TYPE", "f32, f16, bf16, q8_0 or auto (default auto)"},
        {0, "name", EL_OPT_STR, &name, "NAME", "general.name (default: the folder's name)"},
        {0, "vocab-only", EL_OPT_FLAG, &vocab_only, NULL, "write metadata and tokenizer only, no tensors"},
        EL_OPT_THREADS(&threads),
        EL_OPTS_END,
    };
    const char *dir;
    int code;
    if (!el_parse_args(cli, usage, summary, opts, 1, argc, argv, &dir, &code))
        return code;
    if (!out)
        return el_usage_error(cli, usage, "missing -o OUT.gguf");
    static const el_name_int outtypes[] = {{"auto", EL_OUTTYPE_AUTO}, {"f32", EL_TYPE_F32}, {"f16", EL_TYPE_F16},
                                           {"bf16", EL_TYPE_BF16}, {"q8_0", EL_TYPE_Q8_0}, {NULL, 0}};
    int ot;
    if (!el_name_lookup(outtypes, outtype, &ot))
        return el_usage_error(cli, usage, "--outtype must be f32, f16, bf16, q8_0 or auto, not '%s'", outtype);
    const el_range ranges[] = {EL_RANGE_THREADS(&threads), {NULL, 0, 0}};
    if (!el_check_ranges(cli, usage, opts, ranges, &code))
        return code;
    el_convert_opts o = {
        .model_dir = dir, .out_path = out, .outtype = ot, .name = name, .vocab_only = vocab_only,
        .threads = threads, .progress = &cli->progress, .log = &cli->log,
    };
    el_convert_result r;
    el_error err;
    el_error_clear(&err);
    double t0 = el_now();
    /* q8_0 is a quantization plan: quant/ makes it, formats/ writes it */
    int rc = ot == EL_TYPE_Q8_0 ? el_convert_q8_0(&o, &r, &err) : el_convert(&o, &r, &err);
    double secs = el_now() - t0;
    if (rc)
        return el_cli_fail(cli, &err);
    static const char *ft_names[] = {[0] = "F32", [1] = "F16", [7] = "Q8_0", [32] = "BF16"};
    const char *ft = r.file_type < sizeof ft_names / sizeof ft_names[0] && ft_names[r.file_type] ? ft_names[r.file_type] : "?";
    if (cli->json) {
        json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:I, s:I, s:I, s:s, s:i, s:f}", "output", out,
                              "architecture", r.arch, "tokenizer", r.tokenizer, "pre", r.pre, "file_type", ft,
                              "vocab", (int)r.n_vocab, "tensors", (json_int_t)r.n_tensors, "parameters",
                              (json_int_t)r.n_params, "bytes", (json_int_t)r.bytes, "fallbacks", r.fallbacks,
                              "n_fallbacks", (int)r.n_fallbacks, "seconds", secs);
        return el_cli_json(cli, j);
    }
    if (cli->verbosity >= 0) {
        char b1[32], b2[32];
        printf("%s: %s (%s), %s tokenizer '%s' with %u tokens, %llu tensors, %s parameters, %s, %.2f s\n", out, r.arch,
               ft, r.tokenizer, r.pre, r.n_vocab, (unsigned long long)r.n_tensors, el_fmt_count(r.n_params, b1, sizeof b1),
               el_fmt_bytes(r.bytes, b2, sizeof b2), secs);
        if (r.n_fallbacks)
            printf("  %u tensor%s written as F16 (rows not a multiple of 32): %s\n", r.n_fallbacks,
                   r.n_fallbacks == 1 ? "" : "s", r.fallbacks);
    }
    return EL_EXIT_OK;
}
