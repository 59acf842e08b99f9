/*
 * cmd/synth.c - `edgelm synth`: a random-weight Hugging Face checkpoint.
 */
#include <string.h>

#include "cmd/cmd.h"
#include "core/json.h"
#include "formats/safetensors.h"
#include "formats/synth.h"

static const char usage[] =
    "synth (--config config.json | --preset tiny) [--tokenizer tokenizer.json|DIR] -o DIR\n"
    "             [--dtype bf16|f16|f32] [--seed N] [--shards N] [--set KEY=VALUE ...]";
static const char summary[] =
    "Write a random-weight Hugging Face checkpoint (config.json, model.safetensors or\n"
    "shards, tokenizer files) for the llama, qwen2, qwen3, phi3 and gemma2 layouts.\n"
    "Deterministic per --seed. --set overrides config.json keys (VALUE is JSON, or a\n"
    "plain string), e.g. --set num_hidden_layers=2 --set vocab_size=128256.";

int cmd_synth(int argc, char **argv, el_cli *cli)
{
    const char *config = NULL, *preset = NULL, *tokenizer = NULL, *out = NULL, *dtype = NULL;
    uint64_t seed = 1;
    int shards = 1;
    el_strlist sets = {0};
    const el_opt opts[] = {
        {0, "config", EL_OPT_STR, &config, "FILE", "config.json to follow"},
        {0, "preset", EL_OPT_STR, &preset, "NAME", "built-in config and tokenizer: tiny"},
        {0, "tokenizer", EL_OPT_STR, &tokenizer, "FILE|DIR", "tokenizer.json (its sibling tokenizer files are copied too)"},
        {'o', "output", EL_OPT_STR, &out, "DIR", "output folder (created if missing)"},
        {0, "dtype", EL_OPT_STR, &dtype, "TYPE", "bf16, f16 or f32 (default: config's torch_dtype, else bf16)"},
        {0, "seed", EL_OPT_U64, &seed, "N", "random seed (default 1)"},
        {0, "shards", EL_OPT_INT, &shards, "N", "write N safetensors shards plus an index (default 1)"},
        {0, "set", EL_OPT_LIST, &sets, "KEY=VALUE", "override a config.json key (repeatable)"},
        EL_OPTS_END,
    };
    int code;
    if (!el_parse_args(cli, usage, summary, opts, 0, argc, argv, NULL, &code)) {
        free(sets.v);
        return code;
    }
    int rc = EL_EXIT_OK;
    json_t *over = NULL;
    if (!out)
        rc = el_usage_error(cli, usage, "missing -o DIR");
    else if (!config == !preset)
        rc = el_usage_error(cli, usage, "give exactly one of --config and --preset");
    else if (shards < 1 || shards > 4096)
        rc = el_usage_error(cli, usage, "--shards: %d is out of range (1..4096)", shards);
    static const el_name_int dtypes[] = {{"bf16", ST_BF16}, {"f16", ST_F16}, {"f32", ST_F32}, {NULL, 0}};
    int dt = -1;
    if (!rc && dtype && !el_name_lookup(dtypes, dtype, &dt))
        rc = el_usage_error(cli, usage, "--dtype must be bf16, f16 or f32, not '%s'", dtype);
    if (!rc && sets.n) {
        over = json_object();
        for (int i = 0; i < sets.n && !rc; i++) {
            const char *eq = strchr(sets.v[i], '=');
            if (!eq || eq == sets.v[i]) {
                rc = el_usage_error(cli, usage, "--set needs KEY=VALUE, got '%s'", sets.v[i]);
                break;
            }
            char *key = strndup(sets.v[i], (size_t)(eq - sets.v[i]));
            json_t *v = json_loads(eq + 1, JSON_DECODE_ANY, NULL);
            if (!v)
                v = json_string(eq + 1);
            json_object_set_new(over, key, v);
            free(key);
        }
    }
    free(sets.v);
    if (rc) {
        json_decref(over);
        return rc;
    }
    el_synth_opts o = {
        .config_path = config, .preset = preset, .tokenizer_path = tokenizer, .out_dir = out,
        .dtype = dt, .seed = seed, .shards = shards, .overrides = over, .progress = &cli->progress,
    };
    el_synth_result r;
    el_error err;
    el_error_clear(&err);
    double t0 = el_now();
    int lrc = el_synth(&o, &r, &err);
    double secs = el_now() - t0;
    json_decref(over);
    if (lrc)
        return el_cli_fail(cli, &err);
    if (cli->json)
        return el_cli_json(cli, json_pack("{s:s, s:s, s:I, s:I, s:I, s:i, s:I, s:i, s:f}", "output", out,
                                          "architecture", r.arch, "tensors", (json_int_t)r.n_tensors,
                                          "parameters", (json_int_t)r.n_params, "bytes", (json_int_t)r.bytes,
                                          "shards", r.n_shards, "vocab_size", (json_int_t)r.vocab_size,
                                          "tokenizer_files", r.tokenizer_files, "seconds", secs));
    char b1[32], b2[32];
    if (cli->verbosity >= 0)
        printf("%s: %s, %llu tensors, %s parameters, %s in %d file%s, %d tokenizer file%s, %.2f s\n", out, r.arch,
               (unsigned long long)r.n_tensors, el_fmt_count(r.n_params, b1, sizeof b1),
               el_fmt_bytes(r.bytes, b2, sizeof b2), r.n_shards, r.n_shards == 1 ? "" : "s", r.tokenizer_files,
               r.tokenizer_files == 1 ? "" : "s", secs);
    return EL_EXIT_OK;
}
