/*
 * quant/imatrix.h - importance matrices: for every weight matrix, the mean of the squared input
 * activation per column, over calibration text.
 *
 * Two file formats are read and written:
 *   - GGUF (edgelm's default, and the layout newer llama.cpp writes): general.type = "imatrix",
 *     per matrix NAME a tensor NAME.in_sum2 (F32, ne0 values: sums of squares) and NAME.counts
 *     (F32, one value: the number of activation rows summed), imatrix.chunk_count,
 *     imatrix.chunk_size, imatrix.datasets;
 *   - llama.cpp's legacy .dat (b4748's llama-imatrix): i32 n_entries, then per entry i32 name
 *     length, the name, i32 ncall, i32 nval, nval f32 (mean x ncall), then optionally i32
 *     chunk count, i32 length and the dataset name.
 * The format is chosen by content when reading and by the file's extension (.dat) when writing.
 */
#ifndef EL_QUANT_IMATRIX_H
#define EL_QUANT_IMATRIX_H

#include <stdint.h>

#include "core/error.h"

typedef struct el_imatrix_entry {
    char *name;
    int64_t n;         /* values (the matrix's ne0) */
    double *sum2;      /* sum of squares per column */
    double count;      /* rows summed */
    float *mean;       /* sum2 / count, filled by el_imatrix_finish() */
} el_imatrix_entry;

typedef struct el_imatrix {
    el_imatrix_entry *e;
    int n, cap;
    int chunks, chunk_size;
    char dataset[256];
    char source[512];  /* the file it was loaded from, for messages ("" when collected) */
} el_imatrix;

int el_imatrix_load(el_imatrix *m, const char *path, el_error *err);
int el_imatrix_save(const el_imatrix *m, const char *path, el_error *err);
void el_imatrix_free(el_imatrix *m);

/* The entry for a matrix (NULL when absent); el_imatrix_add creates it (NULL: no memory). */
const el_imatrix_entry *el_imatrix_find(const el_imatrix *m, const char *name);
el_imatrix_entry *el_imatrix_add(el_imatrix *m, const char *name, int64_t n);
/* Compute the means (after collecting or loading). */
int el_imatrix_finish(el_imatrix *m, el_error *err);

#endif
