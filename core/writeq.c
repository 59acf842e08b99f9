/*
 * core/writeq.c - background writer (see writeq.h): a ring of jobs guarded by
 * one mutex and two condition variables.
 */
#include "core/writeq.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MAX_JOBS 64

typedef struct job {
    const void *data;
    uint64_t n;
    uint8_t *pool_buf;     /* non-NULL: return to the pool after writing */
    el_written_fn done;
    void *arg;
} job;

struct el_writeq {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv_work;   /* jobs queued or stopping */
    pthread_cond_t cv_space;  /* a job slot or a buffer freed */
    job jobs[MAX_JOBS];
    int head, count;          /* ring of queued jobs */
    uint8_t **free_bufs;      /* pool */
    int n_free, n_bufs;
    bool stop;
    int rc;                   /* first write error */
    el_error err;             /* its record */
    el_write_fn write;
    void *ctx;
};

static void *writer_main(void *arg)
{
    el_writeq *q = arg;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        while (q->count == 0 && !q->stop)
            pthread_cond_wait(&q->cv_work, &q->mu);
        if (q->count == 0 && q->stop)
            break;
        job j = q->jobs[q->head];
        pthread_mutex_unlock(&q->mu);
        int rc = EL_OK;
        el_error e;
        el_error_clear(&e);
        if (q->rc == EL_OK) /* after a failure jobs are only drained */
            rc = q->write(q->ctx, j.data, j.n, &e);
        if (j.done)
            j.done(j.arg, j.data, j.n);
        pthread_mutex_lock(&q->mu);
        if (rc && q->rc == EL_OK) {
            q->rc = rc;
            q->err = e;
        }
        q->head = (q->head + 1) % MAX_JOBS;
        q->count--;
        if (j.pool_buf)
            q->free_bufs[q->n_free++] = j.pool_buf;
        pthread_cond_broadcast(&q->cv_space);
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

int el_writeq_start(el_writeq **out, int n_buffers, size_t buf_size, el_write_fn write, void *ctx, el_error *err)
{
    *out = NULL;
    el_writeq *q = calloc(1, sizeof *q);
    if (!q)
        return EL_NOMEM(err);
    q->write = write;
    q->ctx = ctx;
    q->n_bufs = n_buffers;
    q->free_bufs = calloc((size_t)n_buffers, sizeof *q->free_bufs);
    if (!q->free_bufs) {
        free(q);
        return EL_NOMEM(err);
    }
    for (int i = 0; i < n_buffers; i++) {
        q->free_bufs[i] = malloc(buf_size);
        if (!q->free_bufs[i]) {
            for (int k = 0; k < i; k++)
                free(q->free_bufs[k]);
            free(q->free_bufs);
            free(q);
            return EL_NOMEM(err);
        }
    }
    q->n_free = n_buffers;
    el_error_clear(&q->err);
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv_work, NULL);
    pthread_cond_init(&q->cv_space, NULL);
    if (pthread_create(&q->thread, NULL, writer_main, q) != 0) {
        for (int k = 0; k < n_buffers; k++)
            free(q->free_bufs[k]);
        free(q->free_bufs);
        free(q);
        return EL_FAIL(err, EL_EINTERNAL, NULL, -1, "cannot start the writer thread");
    }
    *out = q;
    return EL_OK;
}

uint8_t *el_writeq_get(el_writeq *q)
{
    pthread_mutex_lock(&q->mu);
    while (q->n_free == 0 && q->rc == EL_OK)
        pthread_cond_wait(&q->cv_space, &q->mu);
    uint8_t *b = q->rc == EL_OK ? q->free_bufs[--q->n_free] : NULL;
    pthread_mutex_unlock(&q->mu);
    return b;
}

static int enqueue(el_writeq *q, job j)
{
    pthread_mutex_lock(&q->mu);
    while (q->count == MAX_JOBS)
        pthread_cond_wait(&q->cv_space, &q->mu);
    q->jobs[(q->head + q->count) % MAX_JOBS] = j;
    q->count++;
    int rc = q->rc;
    pthread_cond_signal(&q->cv_work);
    pthread_mutex_unlock(&q->mu);
    return rc;
}

int el_writeq_put(el_writeq *q, uint8_t *buf, uint64_t n)
{
    return enqueue(q, (job){buf, n, buf, NULL, NULL});
}

int el_writeq_put_external(el_writeq *q, const void *data, uint64_t n, el_written_fn done, void *arg)
{
    return enqueue(q, (job){data, n, NULL, done, arg});
}

int el_writeq_finish(el_writeq *q, el_error *err)
{
    if (!q)
        return EL_OK;
    pthread_mutex_lock(&q->mu);
    q->stop = true;
    pthread_cond_signal(&q->cv_work);
    pthread_mutex_unlock(&q->mu);
    pthread_join(q->thread, NULL);
    int rc = q->rc;
    if (rc && err && err->code == EL_OK)
        *err = q->err;
    for (int i = 0; i < q->n_free; i++)
        free(q->free_bufs[i]);
    free(q->free_bufs);
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cv_work);
    pthread_cond_destroy(&q->cv_space);
    free(q);
    return rc;
}
