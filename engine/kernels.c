/*
 * engine/kernels.c - choosing a kernel table from what this CPU runs.
 *
 * The SIMD tables are compiled with their instruction sets enabled
 * (kernels_avx2.c, kernels_avx512.c; see the Makefile), so nothing of theirs
 * may run before the check here. __builtin_cpu_supports reads CPUID once (and
 * checks that the OS saves the wide registers).
 */
#include <string.h>

#include "engine/kernels.h"

const el_kernels *el_kernels_avx2(void)
{
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c"))
        return el_kernels_avx2_table();
#endif
    return NULL;
}

const el_kernels *el_kernels_avx512(void)
{
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512vbmi") &&
        __builtin_cpu_supports("f16c") && __builtin_cpu_supports("fma"))
        return el_kernels_avx512_table();
#endif
    return NULL;
}

const el_kernels *el_kernels_best(void)
{
    const el_kernels *k = el_kernels_avx512();
    if (!k)
        k = el_kernels_avx2();
    if (!k)
        k = el_kernels_neon();
    return k ? k : el_kernels_ref();
}

const el_kernels *el_kernels_by_name(const char *name)
{
    if (strcmp(name, "ref") == 0)
        return el_kernels_ref();
    if (strcmp(name, "avx2") == 0)
        return el_kernels_avx2();
    if (strcmp(name, "avx512") == 0)
        return el_kernels_avx512();
    if (strcmp(name, "neon") == 0)
        return el_kernels_neon();
    if (strcmp(name, "best") == 0)
        return el_kernels_best();
    return NULL;
}
