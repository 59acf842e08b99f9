/*
 * cmd/inspect.c - `edgelm inspect FILE|DIR [--tensors] [--json]`.
 */
#include <limits.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/json.h"
#include "eval/memfit.h"
#include "formats/inspect.h"

static const char usage[] = "inspect FILE.gguf|FILE.safetensors|MODEL_DIR [--tensors] [--ctx N] [--json]";
static const char summary[] =
    "Show a model's metadata (GGUF key-values, or config.json for a Hugging Face\n"
    "checkpoint), its tensors and totals: parameters, bytes, bits per weight.\n"
    "Long arrays are summarised in text; --json prints everything. --ctx N (a GGUF model): the\n"
    "memory it needs to run at a context of N positions on this machine: weights + KV cache and\n"
    "scratch + tokenizer + this process (docs/targets.md), within 10% of the measured peak RSS.";

/* A short rendering of a JSON value for the text view. */
static void print_value(const json_t *v)
{
    if (json_is_array(v)) {
        size_t n = json_array_size(v);
        printf("[%zu items] ", n);
        size_t show = n < 6 ? n : 6;
        for (size_t i = 0; i < show; i++) {
            char *s = el_json_dumps(json_array_get(v, i), JSON_ENCODE_ANY | JSON_COMPACT);
            if (s && strlen(s) > 40)
                strcpy(s + 37, "...");
            printf("%s%s", i ? ", " : "", s ? s : "?");
            free(s);
        }
        if (n > show)
            printf(", ... %zu more", n - show);
        printf("\n");
        return;
    }
    char *s = el_json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    if (s && strlen(s) > 200)
        strcpy(s + 197, "...");
    printf("%s\n", s ? s : "?");
    free(s);
}

static void print_text(const json_t *j)
{
    char b1[32], b2[32];
    const char *fmt = json_string_value(json_object_get(j, "format"));
    const json_t *tot = json_object_get(j, "totals");
    printf("file       %s\n", json_string_value(json_object_get(j, "file")));
    if (strcmp(fmt, "gguf") == 0) {
        printf("format     GGUF v%lld, alignment %lld, %s%s\n",
               (long long)json_integer_value(json_object_get(j, "version")),
               (long long)json_integer_value(json_object_get(j, "alignment")),
               el_fmt_bytes((uint64_t)json_integer_value(json_object_get(j, "file_size")), b1, sizeof b1),
               json_is_true(json_object_get(j, "llama_cpp_layout")) ? "" : " (tensor layout not packed as llama.cpp expects)");
        const json_t *meta = json_object_get(j, "metadata"), *types = json_object_get(j, "metadata_types");
        printf("metadata   %zu keys\n", json_object_size(meta));
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)meta, k, v) {
            printf("  %-44s %-9s ", k, json_string_value(json_object_get(types, k)));
            print_value(v);
        }
    } else {
        const json_t *shards = json_object_get(j, "shards");
        printf("format     safetensors, %zu file%s\n", json_array_size(shards), json_array_size(shards) == 1 ? "" : "s");
        const json_t *cfg = json_object_get(j, "config");
        if (cfg) {
            printf("config     %zu keys\n", json_object_size(cfg));
            const char *k;
            json_t *v;
            json_object_foreach((json_t *)cfg, k, v) {
                printf("  %-44s ", k);
                print_value(v);
            }
        }
    }
    const json_t *tensors = json_object_get(j, "tensors");
    if (tensors) {
        printf("tensors\n");
        size_t i;
        json_t *t;
        json_array_foreach(tensors, i, t) {
            char shape[96] = "";
            size_t d;
            json_t *x;
            int n = 0;
            json_array_foreach(json_object_get(t, "shape"), d, x)
                n += snprintf(shape + n, sizeof shape - (size_t)n, "%s%lld", d ? " x " : "", (long long)json_integer_value(x));
            const json_t *ty = json_object_get(t, "type") ? json_object_get(t, "type") : json_object_get(t, "dtype");
            printf("  %-48s %-22s %-7s offset %-12lld %s\n", json_string_value(json_object_get(t, "name")), shape,
                   json_string_value(ty), (long long)json_integer_value(json_object_get(t, "offset")),
                   el_fmt_bytes((uint64_t)json_integer_value(json_object_get(t, "bytes")), b1, sizeof b1));
        }
    }
    char types[256] = "";
    int n = 0;
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(tot, "types"), k, v)
        n += snprintf(types + n, sizeof types - (size_t)n, "%s%s %lld", n ? ", " : "", k, (long long)json_integer_value(v));
    printf("tensors    %lld (%s)%s\n", (long long)json_integer_value(json_object_get(tot, "tensors")), types,
           tensors ? "" : "; --tensors lists them");
    printf("totals     %s parameters, %s, %.2f bits per weight\n",
           el_fmt_count((uint64_t)json_integer_value(json_object_get(tot, "parameters")), b1, sizeof b1),
           el_fmt_bytes((uint64_t)json_integer_value(json_object_get(tot, "bytes")), b2, sizeof b2),
           json_real_value(json_object_get(tot, "bits_per_weight")));
}

int cmd_inspect(int argc, char **argv, el_cli *cli)
{
    bool tensors = false;
    int n_ctx = 0;
    const el_opt opts[] = {
        {'t', "tensors", EL_OPT_FLAG, &tensors, NULL, "list every tensor (name, shape, type, offset, bytes)"},
        {0, "ctx", EL_OPT_INT, &n_ctx, "N", "the memory needed to run at a context of N positions"},
        EL_OPTS_END,
    };
    const char *path;
    int code;
    if (!el_parse_args(cli, usage, summary, opts, 1, argc, argv, &path, &code))
        return code;
    const el_range ranges[] = {{&n_ctx, 0, 1 << 24}, {NULL, 0, 0}};
    if (!el_check_ranges(cli, usage, opts, ranges, &code))
        return code;
    el_error err;
    el_error_clear(&err);
    json_t *j = NULL;
    el_memfit fit;
    /* the memory first: el_inspect's JSON of every key would count as this process's own memory */
    int rc = n_ctx ? el_memfit_of(path, n_ctx, &fit, &err) : EL_OK;
    if (!rc)
        rc = el_inspect(path, tensors, &j, &err);
    if (rc) {
        json_decref(j);
        return el_cli_fail(cli, &err);
    }
    if (n_ctx && json_object_set_new(j, "memory", json_pack("{s:i, s:i, s:i, s:I, s:I, s:I, s:I, s:I, s:I}", "n_ctx", fit.n_ctx,
                                                            "n_batch", fit.n_batch, "n_threads", fit.n_threads,
                                                            "weights", (json_int_t)fit.weights, "context", (json_int_t)fit.context,
                                                            "kv_cache", (json_int_t)fit.kv, "tokenizer", (json_int_t)fit.tokenizer,
                                                            "process", (json_int_t)fit.process, "total", (json_int_t)fit.total))) {
        json_decref(j);
        return el_cli_json(cli, NULL);
    }
    if (cli->json)
        return el_cli_json(cli, j);
    print_text(j);
    if (n_ctx) {
        char b[5][32];
        printf("memory     %s at a context of %d (weights %s, KV cache and scratch %s, tokenizer %s, process %s)\n",
               el_fmt_bytes(fit.total, b[0], sizeof b[0]), n_ctx, el_fmt_bytes(fit.weights, b[1], sizeof b[1]),
               el_fmt_bytes(fit.context, b[2], sizeof b[2]), el_fmt_bytes(fit.tokenizer, b[3], sizeof b[3]),
               el_fmt_bytes(fit.process, b[4], sizeof b[4]));
    }
    json_decref(j);
    return EL_EXIT_OK;
}
