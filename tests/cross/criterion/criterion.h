/*
 * tests/cross/criterion/criterion.h - the Criterion macros the aarch64 test builds use, for builds
 * where Criterion itself is not available (its arm64 package cannot be installed beside the host's:
 * docs/targets.md). Same names and meaning; the runner is tests/cross/shim.c (one process, tests in
 * order, a failed assertion ends its test). Test options (.timeout, .init, .fini, .disabled) are
 * accepted; .timeout is not enforced (qemu is slower than any budget).
 */
#ifndef EL_CRITERION_SHIM_H
#define EL_CRITERION_SHIM_H

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct shim_opts {
    void (*init)(void);
    void (*fini)(void);
    double timeout;
    bool disabled;
    const char *description;
};

void shim_register(const char *suite, const char *name, void (*fn)(void), const struct shim_opts *o);
void shim_register_suite(const char *suite, const struct shim_opts *o);
_Noreturn void shim_fail(const char *file, int line, const char *expr, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
_Noreturn void shim_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void shim_log(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define TestSuite(s, ...)                                                                                 \
    static const struct shim_opts shim_suite_opts_##s = {__VA_ARGS__};                                     \
    __attribute__((constructor)) static void shim_reg_suite_##s(void) { shim_register_suite(#s, &shim_suite_opts_##s); }

#define Test(s, n, ...)                                                                                   \
    static void s##_##n(void);                                                                            \
    static const struct shim_opts shim_opts_##s##_##n = {__VA_ARGS__};                                     \
    __attribute__((constructor)) static void shim_reg_##s##_##n(void)                                     \
    {                                                                                                     \
        shim_register(#s, #n, s##_##n, &shim_opts_##s##_##n);                                              \
    }                                                                                                     \
    static void s##_##n(void)

/* " " ahead of the message makes an absent one a (non-empty) format */
#define cr_assert(c, ...)                                                                                 \
    do {                                                                                                  \
        if (!(c))                                                                                         \
            shim_fail(__FILE__, __LINE__, #c, " " __VA_ARGS__);                                            \
    } while (0)
#define cr_assert_not(c, ...) cr_assert(!(c), __VA_ARGS__)
#define cr_assert_eq(a, b, ...) cr_assert((a) == (b), __VA_ARGS__)
#define cr_assert_neq(a, b, ...) cr_assert((a) != (b), __VA_ARGS__)
#define cr_assert_lt(a, b, ...) cr_assert((a) < (b), __VA_ARGS__)
#define cr_assert_leq(a, b, ...) cr_assert((a) <= (b), __VA_ARGS__)
#define cr_assert_gt(a, b, ...) cr_assert((a) > (b), __VA_ARGS__)
#define cr_assert_geq(a, b, ...) cr_assert((a) >= (b), __VA_ARGS__)
#define cr_assert_null(a, ...) cr_assert((a) == NULL, __VA_ARGS__)
#define cr_assert_not_null(a, ...) cr_assert((a) != NULL, __VA_ARGS__)
#define cr_assert_str_eq(a, b, ...) cr_assert(strcmp((a), (b)) == 0, __VA_ARGS__)
#define cr_assert_str_neq(a, b, ...) cr_assert(strcmp((a), (b)) != 0, __VA_ARGS__)
#define cr_assert_float_eq(a, b, eps, ...) cr_assert(fabs((double)(a) - (double)(b)) <= (double)(eps), __VA_ARGS__)
#define cr_assert_fail(...) shim_fail(__FILE__, __LINE__, "cr_assert_fail", " " __VA_ARGS__)
#define cr_skip_test(...) shim_skip(__VA_ARGS__)
#define cr_log_info(...) shim_log("info", __VA_ARGS__)
#define cr_log_warn(...) shim_log("warn", __VA_ARGS__)
#define cr_log_error(...) shim_log("error", __VA_ARGS__)

#endif
