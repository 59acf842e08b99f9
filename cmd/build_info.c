/*
 * cmd/build_info.c - what this binary is (edgelm --version, and the build fields of every bench
 * record): version and commit, the target it was compiled for and whether it is static, the
 * compiler, the kernel tables compiled in and the one this CPU runs, OpenMP.
 */
#include <omp.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/json.h"
#include "el_version.h"
#include "engine/kernels/kernels.h"

#if defined(__x86_64__)
#define EL_TARGET_CPU "x86_64"
#elif defined(__aarch64__)
#define EL_TARGET_CPU "aarch64"
#else
#define EL_TARGET_CPU "unknown"
#endif
#if defined(__ANDROID__)
#define EL_TARGET_OS "linux-android"
#elif defined(__linux__)
#define EL_TARGET_OS "linux-gnu"
#else
#define EL_TARGET_OS "unknown"
#endif
#if defined(__clang__)
#define EL_COMPILER "clang " __clang_version__
#elif defined(__GNUC__)
#define EL_COMPILER "gcc " __VERSION__
#else
#define EL_COMPILER "unknown"
#endif

static const char *openmp_version(void)
{
    /* _OPENMP is the date of the specification the compiler implements */
    switch (_OPENMP) {
    case 201107: return "3.1";
    case 201307: return "4.0";
    case 201511: return "4.5";
    case 201811: return "5.0";
    case 202011: return "5.1";
    default: return _OPENMP > 202011 ? "5.1+" : "3.0-";
    }
}

json_t *el_build_info(void)
{
    json_t *compiled = json_array();
    for (const char *const *n = el_kernels_compiled(); compiled && *n; n++)
        if (json_array_append_new(compiled, json_string(*n))) {
            json_decref(compiled);
            return NULL;
        }
    const char *env = getenv("EDGELM_KERNELS");
    const el_kernels *k = env && *env ? el_kernels_by_name(env) : el_kernels_best();
#if defined(EL_STATIC)
    const int is_static = 1;
#else
    const int is_static = 0;
#endif
    return json_pack("{s:s, s:s, s:s, s:b, s:s, s:o, s:s?, s:s?, s:{s:s, s:i}}", "version", EL_VERSION, "git", EL_GIT,
                     "target", EL_TARGET_CPU "-" EL_TARGET_OS, "static", is_static, "compiler", EL_COMPILER,
                     "kernels_compiled", compiled, "kernels", k ? k->name : NULL, "kernels_env", env && *env ? env : NULL,
                     "openmp", "version", openmp_version(), "max_threads", omp_get_max_threads());
}

int el_print_version(const el_cli *cli)
{
    json_t *b = el_build_info();
    if (!b) {
        fprintf(stderr, "%s: error: out of memory\n", cli->prog);
        return EL_EXIT_FAIL;
    }
    if (cli->json || cli->json_errors)
        return el_cli_json(cli, b);
    printf("edgelm %s (git %s)\n", el_json_get_str(b, "version"), el_json_get_str(b, "git"));
    printf("target    %s%s\n", el_json_get_str(b, "target"), json_is_true(json_object_get(b, "static")) ? ", static" : "");
    printf("compiler  %s\n", el_json_get_str(b, "compiler"));
    printf("kernels  ");
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(b, "kernels_compiled"), i, v)
        printf(" %s", json_string_value(v));
    const char *k = el_json_get_str(b, "kernels");
    printf(" (this CPU runs: %s%s)\n", k ? k : "none", el_json_get_str(b, "kernels_env") ? ", from EDGELM_KERNELS" : "");
    const json_t *omp = json_object_get(b, "openmp");
    printf("openmp    %s, %d threads\n", el_json_get_str(omp, "version"), (int)json_integer_value(json_object_get(omp, "max_threads")));
    json_decref(b);
    return EL_EXIT_OK;
}
