/*
 * tests/cross/criterion/criterion.h - the few Criterion macros the kernel
 * tests use, for builds where Criterion itself is not available (the aarch64
 * cross build of tests/test_kernels.c run under qemu: `make check-neon`).
 * Same names and meaning; the runner is tests/cross/shim.c.
 */
#ifndef EL_CRITERION_SHIM_H
#define EL_CRITERION_SHIM_H

#include <math.h>

struct shim_suite {
    void (*init)(void);
    void (*fini)(void);
};

void shim_register(const char *suite, const char *name, void (*fn)(void), const struct shim_suite *s);
_Noreturn void shim_fail(const char *file, int line, const char *expr, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
_Noreturn void shim_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define TestSuite(s, ...) static const struct shim_suite shim_suite_##s = {__VA_ARGS__}

#define Test(s, n, ...)                                                                                   \
    static void s##_##n(void);                                                                            \
    __attribute__((constructor)) static void shim_reg_##s##_##n(void)                                     \
    {                                                                                                     \
        shim_register(#s, #n, s##_##n, &shim_suite_##s);                                                  \
    }                                                                                                     \
    static void s##_##n(void)

/* " " ahead of the message makes an absent one a (non-empty) format */
#define cr_assert(c, ...)                                                                                 \
    do {                                                                                                  \
        if (!(c))                                                                                         \
            shim_fail(__FILE__, __LINE__, #c, " " __VA_ARGS__);                                            \
    } while (0)
#define cr_assert_eq(a, b, ...) cr_assert((a) == (b), __VA_ARGS__)
#define cr_assert_float_eq(a, b, eps, ...) cr_assert(fabs((double)(a) - (double)(b)) <= (double)(eps), __VA_ARGS__)
#define cr_skip_test(...) shim_skip(__VA_ARGS__)

#endif
