/*
 * core/writeq.h - a background writer: the producer fills buffers while one
 * thread writes the previous ones, so converting and writing overlap.
 *
 * Buffers come from a small pool (el_writeq_get blocks until one is free);
 * el_writeq_put hands a filled buffer over. el_writeq_put_external queues
 * bytes the queue does not own (e.g. a mapped input copied through as is),
 * with a callback run after they are written (e.g. to drop the pages).
 * Data is written strictly in submission order. The first write error stops
 * the queue: later calls return it, and el_writeq_finish reports it.
 *
 * One producer thread; the write function runs on the queue's own thread.
 */
#ifndef EL_CORE_WRITEQ_H
#define EL_CORE_WRITEQ_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef int (*el_write_fn)(void *ctx, const void *data, uint64_t n, el_error *err);
typedef void (*el_written_fn)(void *arg, const void *data, uint64_t n);

typedef struct el_writeq el_writeq;

int el_writeq_start(el_writeq **q, int n_buffers, size_t buf_size, el_write_fn write, void *ctx, el_error *err);

/* A free buffer of buf_size bytes; NULL when the writer has failed (see el_writeq_finish). */
uint8_t *el_writeq_get(el_writeq *q);

/* Queue the first n bytes of a buffer from el_writeq_get. Returns the writer's error code if it failed. */
int el_writeq_put(el_writeq *q, uint8_t *buf, uint64_t n);

/* Queue n bytes the caller keeps alive until `done` (may be NULL) is called with them. */
int el_writeq_put_external(el_writeq *q, const void *data, uint64_t n, el_written_fn done, void *arg);

/* Wait for everything to be written, stop the thread, free. Returns the first error. Accepts NULL. */
int el_writeq_finish(el_writeq *q, el_error *err);

#endif
