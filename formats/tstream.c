/*
 * formats/tstream.c - the tensor stream (see tstream.h).
 */
#include "formats/tstream.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "core/fp_rows.h"
#include "core/util.h"
#include "core/writeq.h"
#include "formats/ggml_type.h"

#define CHUNK_ELEMS (1u << 20) /* elements per chunk: bounded memory whatever the tensor's size */

/* Rows per chunk for rows of `cols` (at least one). */
static int64_t chunk_rows(int64_t cols) { return EL_MAX((int64_t)1, (int64_t)CHUNK_ELEMS / EL_MAX(cols, (int64_t)1)); }

static int gguf_write_cb(void *ctx, const void *data, uint64_t n, el_error *err) { return gguf_writer_write(ctx, data, n, err); }

/* After copied bytes are written, their input pages are no longer needed. */
static void drop_pages(void *arg, const void *data, uint64_t n)
{
    const el_map *map = arg;
    if (map)
        el_map_advise(map, (uint64_t)((const uint8_t *)data - map->data), n, EL_ADVISE_DONTNEED);
}

static void float_row(uint32_t type, const float *x, int64_t cols, uint8_t *out)
{
    switch (type) {
    case EL_TYPE_F32: memcpy(out, x, (size_t)cols * 4); break;
    case EL_TYPE_F16: el_row_f32_to_f16(x, (uint16_t *)(void *)out, (size_t)cols); break;
    case EL_TYPE_BF16: el_row_f32_to_bf16(x, (uint16_t *)(void *)out, (size_t)cols); break;
    }
}

/* The buffers the team works in: two rows of floats per thread (a row and its scratch), and the
 * errors of a chunk's rows (squared, largest). */
typedef struct {
    float *rows;
    double *err;
    int nthreads;
} team_bufs;

/* One row: produced, encoded into out, its errors into e[0..1]. */
static inline void one_row(const el_tstream_tensor *t, int64_t r, float *x, uint8_t *out, double *e)
{
    t->src.row(t->src.row_ud, r, x, x + t->cols);
    if (t->enc)
        t->enc(t->enc_ud, x, t->cols, out, x + t->cols, &e[0], &e[1]);
    else
        float_row(t->type, x, t->cols, out);
}

/* Rows [r0, r1) encoded into buf by the team. */
static void encode_chunk(const el_tstream_tensor *t, int64_t r0, int64_t r1, uint64_t row_bytes, uint8_t *buf,
                         const team_bufs *b, bool dynamic)
{
    const size_t stride = (size_t)t->cols * 2;
    if (dynamic) {
#pragma omp parallel for num_threads(b->nthreads) schedule(dynamic, 4) if (b->nthreads > 1)
        for (int64_t r = r0; r < r1; r++)
            one_row(t, r, b->rows + (size_t)omp_get_thread_num() * stride, buf + (uint64_t)(r - r0) * row_bytes,
                    &b->err[2 * (r - r0)]);
    } else {
#pragma omp parallel for num_threads(b->nthreads) schedule(static) if (b->nthreads > 1)
        for (int64_t r = r0; r < r1; r++)
            one_row(t, r, b->rows + (size_t)omp_get_thread_num() * stride, buf + (uint64_t)(r - r0) * row_bytes,
                    &b->err[2 * (r - r0)]);
    }
}

static int copy_tensor(el_writeq *q, const el_tstream_tensor *t, uint64_t size, el_progress *prog)
{
    const uint64_t step = (uint64_t)CHUNK_ELEMS * 4;
    int rc = EL_OK;
    for (uint64_t off = 0; off < size && !rc; off += step) {
        const uint64_t n = EL_MIN(step, size - off);
        rc = el_writeq_put_external(q, t->src.copy + off, n, drop_pages, (void *)t->src.map);
        el_progress_add(prog, n);
    }
    return rc;
}

static int stream_tensor(el_writeq *q, el_tstream_tensor *t, const team_bufs *b, const el_tstream_opts *o)
{
    uint64_t row_bytes;
    el_type_row_bytes(t->type, (uint64_t)t->cols, &row_bytes);
    if (t->src.copy)
        return copy_tensor(q, t, row_bytes * (uint64_t)t->rows, o->progress);
    const int64_t per_chunk = chunk_rows(t->cols);
    const el_tsrc *s = &t->src;
    double sse = 0, mx = 0;
    int rc = EL_OK;
    for (int64_t r0 = 0; r0 < t->rows && !rc; r0 += per_chunk) {
        const int64_t r1 = EL_MIN(t->rows, r0 + per_chunk);
        uint8_t *buf = el_writeq_get(q);
        if (!buf)
            return EL_EIO; /* the writer failed; el_writeq_finish has its record */
        encode_chunk(t, r0, r1, row_bytes, buf, b, o->dynamic);
        if (t->enc)
            for (int64_t r = r0; r < r1; r++) { /* in row order: the same sums for any thread count */
                sse += b->err[2 * (r - r0)];
                mx = b->err[2 * (r - r0) + 1] > mx ? b->err[2 * (r - r0) + 1] : mx;
            }
        const uint64_t n = (uint64_t)(r1 - r0) * row_bytes;
        rc = el_writeq_put(q, buf, n);
        if (s->map && s->in_row_bytes) /* the chunk is encoded: its input rows are done with */
            el_map_advise(s->map, s->in_off + (uint64_t)r0 * s->in_row_bytes, (uint64_t)(r1 - r0) * s->in_row_bytes,
                          EL_ADVISE_DONTNEED);
        el_progress_add(o->progress, n);
    }
    if (s->map && !s->in_row_bytes)
        el_map_advise(s->map, s->in_off, s->in_len, EL_ADVISE_DONTNEED);
    t->sse = sse;
    t->max_abs = mx;
    return rc;
}

int el_tstream_write(gguf_writer *w, el_tstream_tensor *t, uint64_t n, const el_tstream_opts *o, el_error *err)
{
    int64_t max_cols = 1;
    uint64_t total = 0, max_err_rows = 1;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t rb;
        if (!el_type_row_bytes(t[i].type, (uint64_t)t[i].cols, &rb) || (!t[i].src.copy && !t[i].src.row) ||
            (!t[i].enc && !t[i].src.copy && t[i].type != EL_TYPE_F32 && t[i].type != EL_TYPE_F16 &&
             t[i].type != EL_TYPE_BF16))
            return EL_FAIL(err, EL_EINTERNAL, NULL, -1, "tensor stream: tensor %llu has no way to make its rows as %s",
                           (unsigned long long)i, el_type_name(t[i].type));
        total += rb * (uint64_t)t[i].rows;
        if (!t[i].src.copy) {
            max_cols = EL_MAX(max_cols, t[i].cols);
            max_err_rows = EL_MAX(max_err_rows, (uint64_t)chunk_rows(t[i].cols));
        }
    }
    const int nthreads = EL_MAX(1, o->threads);
    team_bufs b = {malloc((size_t)nthreads * (size_t)max_cols * 2 * sizeof(float)),
                   malloc((size_t)max_err_rows * 2 * sizeof(double)), nthreads};
    /* pool buffers hold a chunk of rows of the widest output type (f32), at least one row */
    const size_t buf_size = (size_t)EL_MAX((uint64_t)CHUNK_ELEMS, (uint64_t)max_cols) * 4 + 64;
    el_writeq *q = NULL;
    int rc = !b.rows || !b.err ? EL_NOMEM(err) : el_writeq_start(&q, 4, buf_size, gguf_write_cb, w, err);
    if (!rc) {
        el_progress_begin(o->progress, o->label ? o->label : "write", "B", total);
        for (uint64_t i = 0; i < n && !rc; i++)
            rc = stream_tensor(q, &t[i], &b, o);
        const int qrc = el_writeq_finish(q, err); /* the writer's own error, when it had one, is the cause */
        el_progress_end(o->progress);
        if (qrc)
            rc = qrc;
    }
    free(b.rows);
    free(b.err);
    return rc;
}
