/*
 * engine/kernels/kernels.c - choosing a kernel table from what this CPU runs.
 *
 * The SIMD tables are compiled with their instruction sets enabled
 * (kernels_avx2.c, kernels_avx512.c; see the Makefile), so nothing of theirs
 * may run before the check here. __builtin_cpu_supports reads CPUID once (and
 * checks that the OS saves the wide registers). On aarch64 every CPU has
 * Advanced SIMD ("neon"); the dot product table needs SDOT, which the kernel
 * reports in the auxiliary vector (getauxval(AT_HWCAP) & HWCAP_ASIMDDP), and the int8 matrix
 * multiply table SMMLA as well (getauxval(AT_HWCAP2) & HWCAP2_I8MM).
 */
#include <string.h>

#include "engine/kernels/kernels.h"

#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1UL << 20) /* the kernel's uapi values */
#endif
#ifndef HWCAP2_I8MM
#define HWCAP2_I8MM (1UL << 13)
#endif
#endif

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

const el_kernels *el_kernels_neon(void) { return el_kernels_neon_table(); }

const el_kernels *el_kernels_neon_dotprod(void)
{
#if defined(__aarch64__) && defined(__linux__)
    if (getauxval(AT_HWCAP) & HWCAP_ASIMDDP)
        return el_kernels_neon_dotprod_table();
#endif
    return NULL;
}

const el_kernels *el_kernels_neon_i8mm(void)
{
#if defined(__aarch64__) && defined(__linux__)
    if ((getauxval(AT_HWCAP) & HWCAP_ASIMDDP) && (getauxval(AT_HWCAP2) & HWCAP2_I8MM))
        return el_kernels_neon_i8mm_table();
#endif
    return NULL;
}

const char *const *el_kernels_compiled(void)
{
    static const char *const names[] = {
        "ref",
#if defined(__x86_64__)
        "avx2", "avx512",
#endif
#if defined(__aarch64__)
        "neon", "neon_dotprod", "neon_i8mm",
#endif
        NULL,
    };
    return names;
}

const el_kernels *el_kernels_best(void)
{
    const el_kernels *k = el_kernels_avx512();
    if (!k)
        k = el_kernels_avx2();
    if (!k)
        k = el_kernels_neon_i8mm();
    if (!k)
        k = el_kernels_neon_dotprod();
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
    if (strcmp(name, "neon_dotprod") == 0)
        return el_kernels_neon_dotprod();
    if (strcmp(name, "neon_i8mm") == 0)
        return el_kernels_neon_i8mm();
    if (strcmp(name, "best") == 0)
        return el_kernels_best();
    return NULL;
}
