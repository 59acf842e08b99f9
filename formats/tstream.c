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

/* Rows per chunk of `elems` elements for rows of `cols` (at least one). */
static int64_t chunk_rows(uint64_t elems, int64_t cols)
{
    return EL_MAX((int64_t)1, (int64_t)(elems / (uint64_t)EL_MAX(cols, (int64_t)1)));
}

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

/* Where encoded chunks go. With a write queue, its thread writes while the team encodes the next chunk
 * (convert: cheap rows, the team one core short). Without one, the team writes in its own ranks: the
 * first thread free writes the previous chunk, then joins the rows (quantize: costly rows on every
 * core; a third thread would take cycles from the team's barriers). */
typedef struct {
    gguf_writer *w;
    el_writeq *q;           /* NULL: the team writes */
    uint8_t *bufs[2];       /* the team's double buffer */
    const uint8_t *pend;    /* the team's chunk still to be written */
    uint64_t pend_n;
    el_error *err;
    float *rows;            /* two rows of floats per thread: a row and its scratch */
    el_trow_stats *rerr;    /* a chunk's rows' statistics */
    int nthreads;
} sink;

static int flush(sink *k)
{
    if (!k->pend_n)
        return EL_OK;
    const int rc = gguf_writer_write(k->w, k->pend, k->pend_n, k->err);
    k->pend_n = 0;
    return rc;
}

/* One row: produced, encoded into out, its statistics into e. */
static inline void one_row(const el_tstream_tensor *t, int64_t r, float *x, uint8_t *out, el_trow_stats *e)
{
    t->src.row(t->src.row_ud, r, x, x + t->cols);
    if (t->enc) {
        memset(e, 0, sizeof *e);
        t->enc(t->enc_ud, x, t->cols, out, x + t->cols, e);
    } else {
        float_row(t->type, x, t->cols, out);
    }
}

/* Rows [r0, r1) encoded into buf by the team (with the team's write of the previous chunk, when it writes). */
static int encode_chunk(sink *k, const el_tstream_tensor *t, int64_t r0, int64_t r1, uint64_t row_bytes, uint8_t *buf,
                        bool dynamic)
{
    const size_t stride = (size_t)t->cols * 2;
    int wrc = EL_OK;
    if (!k->q) {
#pragma omp parallel num_threads(k->nthreads)
        {
#pragma omp single nowait
            wrc = flush(k);
#pragma omp for schedule(dynamic, 4)
            for (int64_t r = r0; r < r1; r++)
                one_row(t, r, k->rows + (size_t)omp_get_thread_num() * stride, buf + (uint64_t)(r - r0) * row_bytes,
                        &k->rerr[r - r0]);
        }
    } else if (dynamic) {
#pragma omp parallel for num_threads(k->nthreads) schedule(dynamic, 4) if (k->nthreads > 1)
        for (int64_t r = r0; r < r1; r++)
            one_row(t, r, k->rows + (size_t)omp_get_thread_num() * stride, buf + (uint64_t)(r - r0) * row_bytes,
                    &k->rerr[r - r0]);
    } else {
#pragma omp parallel for num_threads(k->nthreads) schedule(static) if (k->nthreads > 1)
        for (int64_t r = r0; r < r1; r++)
            one_row(t, r, k->rows + (size_t)omp_get_thread_num() * stride, buf + (uint64_t)(r - r0) * row_bytes,
                    &k->rerr[r - r0]);
    }
    return wrc;
}

static int copy_tensor(sink *k, const el_tstream_tensor *t, uint64_t size, el_progress *prog)
{
    const uint64_t step = (uint64_t)CHUNK_ELEMS * 4;
    int rc = k->q ? EL_OK : flush(k);
    for (uint64_t off = 0; off < size && !rc; off += step) {
        const uint64_t n = EL_MIN(step, size - off);
        if (k->q) {
            rc = el_writeq_put_external(k->q, t->src.copy + off, n, drop_pages, (void *)t->src.map);
        } else {
            rc = gguf_writer_write(k->w, t->src.copy + off, n, k->err);
            drop_pages((void *)t->src.map, t->src.copy + off, n);
        }
        el_progress_add(prog, n);
    }
    return rc;
}

static int stream_tensor(sink *k, el_tstream_tensor *t, uint64_t elems, const el_tstream_opts *o)
{
    uint64_t row_bytes;
    el_type_row_bytes(t->type, (uint64_t)t->cols, &row_bytes);
    if (t->src.copy)
        return copy_tensor(k, t, row_bytes * (uint64_t)t->rows, o->progress);
    const int64_t per_chunk = chunk_rows(elems, t->cols);
    const el_tsrc *s = &t->src;
    double sse = 0, mx = 0, aux[3] = {0, 0, 0};
    int rc = EL_OK;
    for (int64_t r0 = 0; r0 < t->rows && !rc; r0 += per_chunk) {
        const int64_t r1 = EL_MIN(t->rows, r0 + per_chunk);
        /* the team's buffer is the one not waiting to be written */
        uint8_t *buf = k->q ? el_writeq_get(k->q) : k->pend == k->bufs[0] ? k->bufs[1] : k->bufs[0];
        if (!buf)
            return EL_EIO; /* the writer failed; el_writeq_finish has its record */
        if ((rc = encode_chunk(k, t, r0, r1, row_bytes, buf, o->dynamic)))
            break;
        if (t->enc)
            for (int64_t r = r0; r < r1; r++) { /* in row order: the same sums for any thread count */
                const el_trow_stats *e = &k->rerr[r - r0];
                sse += e->sse;
                mx = e->max_abs > mx ? e->max_abs : mx;
                for (int a = 0; a < 3; a++)
                    aux[a] += e->aux[a];
            }
        const uint64_t n = (uint64_t)(r1 - r0) * row_bytes;
        if (k->q) {
            rc = el_writeq_put(k->q, buf, n);
        } else {
            k->pend = buf;
            k->pend_n = n;
        }
        if (s->map && s->in_row_bytes) /* the chunk is encoded: its input rows are done with */
            el_map_advise(s->map, s->in_off + (uint64_t)r0 * s->in_row_bytes, (uint64_t)(r1 - r0) * s->in_row_bytes,
                          EL_ADVISE_DONTNEED);
        el_progress_add(o->progress, n);
    }
    if (s->map && !s->in_row_bytes)
        el_map_advise(s->map, s->in_off, s->in_len, EL_ADVISE_DONTNEED);
    t->sse = sse;
    t->max_abs = mx;
    memcpy(t->aux, aux, sizeof aux);
    return rc;
}

int el_tstream_write(gguf_writer *w, el_tstream_tensor *t, uint64_t n, const el_tstream_opts *o, el_error *err)
{
    const uint64_t elems = CHUNK_ELEMS;
    int64_t max_cols = 1;
    uint64_t total = 0, max_err_rows = 1, buf_size = 64;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t rb;
        if (!el_type_row_bytes(t[i].type, (uint64_t)t[i].cols, &rb) || (!t[i].src.copy && !t[i].src.row) ||
            (!t[i].enc && !t[i].src.copy && t[i].type != EL_TYPE_F32 && t[i].type != EL_TYPE_F16 &&
             t[i].type != EL_TYPE_BF16))
            return EL_FAIL(err, EL_EINTERNAL, NULL, -1, "tensor stream: tensor %llu has no way to make its rows as %s",
                           (unsigned long long)i, el_type_name(t[i].type));
        total += rb * (uint64_t)t[i].rows;
        if (!t[i].src.copy) {
            const int64_t cr = EL_MIN(chunk_rows(elems, t[i].cols), EL_MAX(t[i].rows, (int64_t)1));
            max_cols = EL_MAX(max_cols, t[i].cols);
            max_err_rows = EL_MAX(max_err_rows, (uint64_t)cr);
            buf_size = EL_MAX(buf_size, (uint64_t)cr * rb); /* a chunk of this tensor's output rows */
        }
    }
    sink k = {.w = w, .err = err, .nthreads = EL_MAX(1, o->threads)};
    k.rows = malloc((size_t)k.nthreads * (size_t)max_cols * 2 * sizeof(float));
    k.rerr = malloc((size_t)max_err_rows * sizeof *k.rerr);
    int rc = !k.rows || !k.rerr ? EL_NOMEM(err) : EL_OK;
    /* buffers hold the largest chunk of output rows any tensor makes (at least one row) */
    if (!rc && o->team_writes) {
        k.bufs[0] = malloc((size_t)buf_size);
        k.bufs[1] = malloc((size_t)buf_size);
        if (!k.bufs[0] || !k.bufs[1])
            rc = EL_NOMEM(err);
    } else if (!rc) {
        rc = el_writeq_start(&k.q, 4, (size_t)buf_size, gguf_write_cb, w, err);
    }
    if (!rc) {
        el_progress_begin(o->progress, o->label ? o->label : "write", "B", total);
        for (uint64_t i = 0; i < n && !rc; i++)
            rc = stream_tensor(&k, &t[i], elems, o);
        if (!rc && !k.q)
            rc = flush(&k);
        const int qrc = el_writeq_finish(k.q, err); /* the writer's own error, when it had one, is the cause */
        el_progress_end(o->progress);
        if (qrc)
            rc = qrc;
    }
    free(k.bufs[0]);
    free(k.bufs[1]);
    free(k.rows);
    free(k.rerr);
    return rc;
}
