/*
 * tests/cross/shim.c - a minimal test runner for criterion/criterion.h's
 * shim: runs every registered test (suite init first), reports failures with
 * file, line and message, prints Criterion's summary line, exits 1 on any
 * failure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "criterion/criterion.h"

#define MAX_TESTS 256

static struct {
    const char *suite, *name;
    void (*fn)(void);
    const struct shim_suite *s;
} tests[MAX_TESTS];
static int n_tests;
static jmp_buf env;

void shim_register(const char *suite, const char *name, void (*fn)(void), const struct shim_suite *s)
{
    if (n_tests == MAX_TESTS) {
        fprintf(stderr, "shim: more than %d tests\n", MAX_TESTS);
        exit(2);
    }
    tests[n_tests].suite = suite;
    tests[n_tests].name = name;
    tests[n_tests].fn = fn;
    tests[n_tests].s = s;
    n_tests++;
}

void shim_fail(const char *file, int line, const char *expr, const char *fmt, ...)
{
    fprintf(stderr, "%s:%d: assertion failed: %s\n  ", file, line, expr);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    longjmp(env, 1);
}

void shim_skip(const char *fmt, ...)
{
    fputs("  skipped: ", stderr);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    longjmp(env, 2);
}

/* 0 passed, 1 failed, 2 skipped (the value longjmp brings back) */
static int run(int i)
{
    volatile int outcome = 0;
    switch (setjmp(env)) {
    case 0:
        if (tests[i].s->init)
            tests[i].s->init();
        tests[i].fn();
        break;
    case 1: outcome = 1; break;
    default: outcome = 2; break;
    }
    if (tests[i].s->fini)
        tests[i].s->fini();
    return outcome;
}

int main(void)
{
    int passed = 0, failed = 0, skipped = 0;
    for (int i = 0; i < n_tests; i++) {
        const int outcome = run(i);
        fprintf(stderr, "[%s] %s::%s\n", outcome == 0 ? "PASS" : outcome == 1 ? "FAIL" : "SKIP", tests[i].suite, tests[i].name);
        passed += outcome == 0;
        failed += outcome == 1;
        skipped += outcome == 2;
    }
    printf("[====] Synthesis: Tested: %d | Passing: %d | Failing: %d | Skipped: %d\n", n_tests, passed, failed, skipped);
    return failed ? 1 : 0;
}
