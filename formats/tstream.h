/*
 * formats/tstream.h - the tensor stream: every GGUF tensor edgelm writes goes through here.
 *
 * A tensor is a source of rows and an encoder for its output type. The source is either bytes already
 * in the output's layout (copied through, zero-copy, from a mapped input) or a function that produces
 * row r as floats (a safetensors row in its dtype, a permuted Q/K row, Gemma's norm + 1, a GGUF row
 * dequantized). The encoder turns a row of floats into the output type: F32, F16 and BF16 are built in;
 * any other type brings its own function (quant/ supplies quantizers: formats/ does not depend on
 * quant/) that also reports the row's squared and largest error.
 *
 * el_tstream_write() owns the loop the three writers (convert, quantize, convert-and-quantize) used to
 * have each: chunks of rows encoded by an OpenMP team while the previous chunk is written (by
 * core/writeq's thread, or with team_writes by the first thread of the team free), so memory stays a few chunks whatever the model's size; the input's pages
 * dropped once their rows are written; per-row errors summed in row order, so the statistics, like the
 * bytes, are the same for any thread count; progress in bytes written.
 */
#ifndef EL_FORMATS_TSTREAM_H
#define EL_FORMATS_TSTREAM_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "core/file.h"
#include "core/progress.h"
#include "formats/gguf.h"

/* Row r of a tensor as cols floats into dst; scratch: cols more floats the function may use. */
typedef void (*el_trow_fn)(const void *ud, int64_t r, float *dst, float *scratch);

/* A row's statistics: its squared and largest absolute error as it decodes, and up to three more
 * figures of the encoder's own (summed over the rows like sse); all 0 when the encoder leaves them. */
typedef struct el_trow_stats {
    double sse, max_abs, aux[3];
} el_trow_stats;

/* One row x of cols floats into the output type at out; scratch: cols floats; st: its statistics. */
typedef void (*el_tenc_fn)(const void *ud, const float *x, int64_t cols, uint8_t *out, float *scratch, el_trow_stats *st);

typedef struct el_tsrc {
    const uint8_t *copy;     /* non-NULL: the tensor's bytes in the output's layout, written as they are */
    el_trow_fn row;          /* else: rows produced by this function */
    const void *row_ud;
    /* the mapping the source lies in (NULL: none): its pages are dropped once used. Rows in file order
     * (in_row_bytes > 0: row r at in_off + r * in_row_bytes) are dropped a chunk at a time; otherwise
     * the whole [in_off, in_off + in_len) once the tensor is written. */
    const el_map *map;
    uint64_t in_off, in_len, in_row_bytes;
} el_tsrc;

typedef struct el_tstream_tensor {
    el_tsrc src;
    uint32_t type;           /* output ggml type */
    int64_t cols, rows;
    el_tenc_fn enc;          /* NULL: type is F32, F16 or BF16, converted here */
    const void *enc_ud;
    double sse, max_abs;     /* out, for an encoded tensor: its rows' errors (sum, largest) */
    double aux[3];           /* out: the sums of the rows' aux figures */
} el_tstream_tensor;

typedef struct el_tstream_opts {
    int threads;             /* encoding threads (> 0) */
    bool dynamic;            /* rows of uneven cost (searching quantizers): hand them out dynamically */
    bool team_writes;        /* the encoding team writes (one thread the previous chunk, then rows), no writer thread:
                              * for costly rows on every core; else core/writeq's thread writes */
    el_progress *progress;   /* NULL: none */
    const char *label;       /* the progress line's */
} el_tstream_opts;

/*
 * Write the data of n tensors, in order, into w (after gguf_writer_begin_data(); the tensors as added
 * with gguf_add_tensor). Returns the first error: a write error as the writer reported it.
 */
int el_tstream_write(gguf_writer *w, el_tstream_tensor *t, uint64_t n, const el_tstream_opts *o, el_error *err);

#endif
