/*
 * tests/cross/shim.c - a minimal test runner for criterion/criterion.h's shim: runs every registered
 * test (or those matching --filter GLOB, "suite/name" as Criterion spells it), suite init first,
 * reports failures with file, line and message, prints Criterion's summary line, exits 1 on any
 * failure.
 */
#include <fnmatch.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "criterion/criterion.h"

#define MAX_TESTS 512
#define MAX_SUITES 64

static struct {
    const char *suite, *name;
    void (*fn)(void);
    const struct shim_opts *o;
} tests[MAX_TESTS];
static int n_tests;
static struct {
    const char *name;
    const struct shim_opts *o;
} suites[MAX_SUITES];
static int n_suites;
static jmp_buf env;

void shim_register(const char *suite, const char *name, void (*fn)(void), const struct shim_opts *o)
{
    if (n_tests == MAX_TESTS) {
        fprintf(stderr, "shim: more than %d tests\n", MAX_TESTS);
        exit(2);
    }
    tests[n_tests].suite = suite;
    tests[n_tests].name = name;
    tests[n_tests].fn = fn;
    tests[n_tests].o = o;
    n_tests++;
}

void shim_register_suite(const char *suite, const struct shim_opts *o)
{
    if (n_suites == MAX_SUITES) {
        fprintf(stderr, "shim: more than %d suites\n", MAX_SUITES);
        exit(2);
    }
    suites[n_suites].name = suite;
    suites[n_suites].o = o;
    n_suites++;
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

void shim_log(const char *level, const char *fmt, ...)
{
    fprintf(stderr, "  [%s] ", level);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static const struct shim_opts *suite_of(const char *name)
{
    for (int i = 0; i < n_suites; i++)
        if (strcmp(suites[i].name, name) == 0)
            return suites[i].o;
    return NULL;
}

/* 0 passed, 1 failed, 2 skipped (the value longjmp brings back) */
static int run(int i)
{
    const struct shim_opts *s = suite_of(tests[i].suite), *o = tests[i].o;
    void (*volatile init)(void) = o->init ? o->init : s ? s->init : NULL;
    void (*volatile fini)(void) = o->fini ? o->fini : s ? s->fini : NULL;
    if (o->disabled)
        return 2;
    volatile int outcome = 0;
    switch (setjmp(env)) {
    case 0:
        if (init)
            init();
        tests[i].fn();
        break;
    case 1: outcome = 1; break;
    default: outcome = 2; break;
    }
    if (fini)
        fini();
    return outcome;
}

int main(int argc, char **argv)
{
    const char *filter = NULL;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--filter") == 0 && i + 1 < argc)
            filter = argv[++i];
        else if (strncmp(argv[i], "--filter=", 9) == 0)
            filter = argv[i] + 9;
    int passed = 0, failed = 0, skipped = 0, tested = 0;
    for (int i = 0; i < n_tests; i++) {
        char full[256];
        snprintf(full, sizeof full, "%s/%s", tests[i].suite, tests[i].name);
        if (filter && fnmatch(filter, full, 0) != 0)
            continue;
        tested++;
        const int outcome = run(i);
        fprintf(stderr, "[%s] %s::%s\n", outcome == 0 ? "PASS" : outcome == 1 ? "FAIL" : "SKIP", tests[i].suite, tests[i].name);
        passed += outcome == 0;
        failed += outcome == 1;
        skipped += outcome == 2;
    }
    printf("[====] Synthesis: Tested: %d | Passing: %d | Failing: %d | Skipped: %d\n", tested, passed, failed, skipped);
    return failed ? 1 : 0;
}
