/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-csr.h: a compressed sparse row matrix of float32 values. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint    n_rows;
  guint    n_cols;
  gsize   *indptr;  /* n_rows + 1 */
  guint32 *indices; /* nnz, sorted within a row */
  float   *data;    /* nnz */
  gsize    capacity;      /* of indices/data */
  guint    row_capacity;  /* of indptr */
} AssayCsr;

AssayCsr *assay_csr_new (guint n_cols);
void      assay_csr_free (AssayCsr *self);
/* Appends a row; indices need not be sorted or unique (duplicates are summed). */
void      assay_csr_append_row (AssayCsr *self, const guint32 *indices, const float *values, guint n);
gsize     assay_csr_nnz (const AssayCsr *self);
/* Scales each row to unit Euclidean norm (empty rows stay empty). */
void      assay_csr_normalize_rows (AssayCsr *self);
/* Appends all rows of other (same column count). */
void      assay_csr_append_rows (AssayCsr *self, const AssayCsr *other);
/* A new matrix holding the given rows in order. */
AssayCsr *assay_csr_select_rows (const AssayCsr *self, const guint *rows, guint n);
/* The transpose, as CSR (i.e. the CSC form of self). */
AssayCsr *assay_csr_transpose (const AssayCsr *self);
/* For each of the nq rows queries[q] of self, the k other rows of largest inner product (cosine
 * for unit rows), best first, ties to the lower row; rows sharing no column with the query are
 * never neighbours. nn (nq x k) gets row indices, -1 past the last found; sim (nq x k) the
 * products, summed in double. Through the transpose: a query costs the length of its columns. */
void      assay_csr_nearest_rows (const AssayCsr *self, const guint *queries, guint nq, guint k, int *nn,
                                  float *sim);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayCsr, assay_csr_free)

G_END_DECLS
