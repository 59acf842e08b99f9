/*
 * engine/kernels.c - choosing a kernel table.
 *
 * The SIMD tables (kernels_avx2.c, kernels_avx512.c) start from the scalar
 * table and replace what they implement. They are built on first use; the
 * compiler's CPUID cache (__builtin_cpu_supports) decides what this CPU runs.
 */
#include <string.h>

#include "engine/kernels.h"

const el_kernels *el_kernels_best(void)
{
    const el_kernels *k = el_kernels_avx512();
    if (!k)
        k = el_kernels_avx2();
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
    if (strcmp(name, "best") == 0)
        return el_kernels_best();
    return NULL;
}
