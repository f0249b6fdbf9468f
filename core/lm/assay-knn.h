/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-knn.h: exact k nearest neighbours by inner product (cosine for unit vectors), by blocks
 * of a matrix product on a backend (BLAS or cuBLAS) and a top-k selection per row. No index, no
 * approximation: the neighbours are those a float64 scan finds, up to float32 ties. */
#pragma once

#include <gio/gio.h>

#include "assay-backend.h"

G_BEGIN_DECLS

typedef struct
{
  /* the queries are the base (q == base): a vector is not its own neighbour, and each block pair
   * is multiplied once (half the products) */
  gboolean self;
  void   (*progress) (double fraction, gpointer data);
  gpointer progress_data;
} AssayKnnOptions;

/* For each of nq query rows of q (nq x dim, host memory), the k rows of base (nb x dim, host) of
 * largest inner product, best first (ties: lower index first): nn gets their indices (-1 past
 * the last when fewer than k exist) and sim their inner products (nq x k each). */
gboolean assay_knn (AssayBackend          *backend,
                    const float           *q,
                    int                    nq,
                    const float           *base,
                    int                    nb,
                    int                    dim,
                    int                    k,
                    int                   *nn,
                    float                 *sim,
                    const AssayKnnOptions *options,
                    GCancellable          *cancellable,
                    GError               **error);

G_END_DECLS
