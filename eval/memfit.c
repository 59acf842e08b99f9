/*
 * eval/memfit.c - the memory a model needs at a context of N positions (eval/memfit.h).
 */
#include "eval/memfit.h"

#include <omp.h>
#include <stdio.h>
#include <unistd.h>

#include "core/util.h"
#include "engine/context.h"
#include "engine/model.h"
#include "engine/tokenizer/tokenizer.h"

uint64_t el_rss_now(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    unsigned long long size, res;
    const int n = fscanf(f, "%llu %llu", &size, &res);
    fclose(f);
    const long page = sysconf(_SC_PAGESIZE);
    return n == 2 && page > 0 ? (uint64_t)res * (uint64_t)page : 0;
}

int el_memfit_of(const char *path, int n_ctx, el_memfit *f, el_error *err)
{
    *f = (el_memfit){0};
    if (n_ctx < 1 || n_ctx > (1 << 24))
        return EL_FAIL(err, EL_EUSAGE, NULL, -1, "--ctx must be 1..%d", 1 << 24);
    f->process = el_rss_now();
    el_model *m = NULL;
    el_context *c = NULL;
    el_tokenizer *t = NULL;
    int rc = el_model_load(&m, path, err);
    if (rc)
        return rc;
    f->weights = m->weight_bytes;
    const uint64_t before = el_rss_now();
    rc = el_tok_load(&t, path, err);
    if (!rc) {
        const uint64_t after = el_rss_now();
        f->tokenizer = after > before ? after - before : 0;
        el_context_params p = el_context_default_params();
        p.n_ctx = n_ctx;
        p.n_batch = EL_MIN(n_ctx, 512); /* run allocates 512 rows; a batch never holds more than the context */
        p.n_threads = omp_get_num_procs();
        f->n_ctx = n_ctx;
        f->n_batch = p.n_batch;
        f->n_threads = p.n_threads;
        rc = el_context_new(&c, m, &p, err);
    }
    if (!rc) {
        f->context = el_context_bytes(c);
        f->kv = el_context_kv_bytes(c);
        f->total = f->process + f->tokenizer + f->weights + f->context;
    }
    el_context_free(c);
    el_tok_free(t);
    el_model_free(m);
    return rc;
}
