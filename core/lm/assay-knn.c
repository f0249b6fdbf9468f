/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-knn.c: blocks of BLOCK queries against BLOCK base rows: one sgemm into a block of
 * scores, then each query row keeps its k best (a sorted list, the order (score desc, index
 * asc), so the result does not depend on the order blocks come in). With the queries as the base
 * only blocks J >= I are multiplied; a block's columns update the rows of J. */
#include "assay-knn.h"

#include <math.h>
#include <string.h>

#include "assay-error.h"

#define BLOCK 4096
#define COLUMN_CHUNK 64

typedef struct
{
  int    k;
  float *sim; /* n x k, sorted best first; -inf when empty */
  int   *idx; /* n x k, -1 when empty */
} TopK;

/* a row's k-th score (-inf while the row is not full) */
#define WORST(t, row) ((t)->sim[(gsize) (row) * (t)->k + (t)->k - 1])
#define WORST_IDX(t, row) ((t)->idx[(gsize) (row) * (t)->k + (t)->k - 1])

static inline gboolean
better (float s, int i, float t, int j)
{
  return s > t || (s == t && (unsigned) i < (unsigned) j);
}

static inline void
offer (TopK *t, int row, float s, int j)
{
  float *sim = t->sim + (gsize) row * t->k;
  int   *idx = t->idx + (gsize) row * t->k;
  int    p;

  if (!better (s, j, WORST (t, row), WORST_IDX (t, row)))
    return;
  /* insert into the sorted list, dropping the last */
  p = t->k - 1;
  while (p > 0 && better (s, j, sim[p - 1], idx[p - 1]))
    {
      sim[p] = sim[p - 1];
      idx[p] = idx[p - 1];
      p--;
    }
  sim[p] = s;
  idx[p] = j;
}

/* A row of scores (columns j0..j0+n-1) offered to query row `row`, skipping column `skip`: most
 * spans of 16 are below the row's k-th score and are passed over with one vector compare. */
static void
offer_row (TopK *t, int row, const float *s, int n, int j0, int skip)
{
  for (int c0 = 0; c0 < n; c0 += 16)
    {
      int   c1 = MIN (c0 + 16, n), any = 0;
      float w = WORST (t, row);
#pragma omp simd reduction(| : any)
      for (int c = c0; c < c1; c++)
        any |= s[c] >= w;
      if (any)
        for (int c = c0; c < c1; c++)
          if (j0 + c != skip)
            offer (t, row, s[c], j0 + c);
    }
}

/* Columns c0..c1-1 of a block of m rows (row stride n), offered to base rows j0 + c. */
static void
offer_columns (TopK *t, const float *hs, int n, int m, int i0, int j0, int c0, int c1)
{
  float w[COLUMN_CHUNK];

  for (int c = c0; c < c1; c++)
    w[c - c0] = WORST (t, j0 + c);
  for (int r = 0; r < m; r++)
    {
      const float *s = hs + (gsize) r * n + c0;
      int          any = 0;
#pragma omp simd reduction(| : any)
      for (int c = 0; c < c1 - c0; c++)
        any |= s[c] >= w[c];
      if (any)
        for (int c = 0; c < c1 - c0; c++)
          if (s[c] >= w[c])
            {
              offer (t, j0 + c0 + c, s[c], i0 + r);
              w[c] = WORST (t, j0 + c0 + c);
            }
    }
}

gboolean
assay_knn (AssayBackend *b, const float *q, int nq, const float *base, int nb, int dim, int k,
           int *nn, float *sim, const AssayKnnOptions *options, GCancellable *cancellable,
           GError **error)
{
  gboolean self = options != NULL && options->self;
  gboolean cpu = assay_backend_kind (b) == ASSAY_BACKEND_CPU;
  TopK     t = { k, sim, nn };
  float   *dq = NULL, *db = NULL, *ds = NULL, *hs = NULL;
  gboolean ok = FALSE;
  guint64  pairs = 0, done = 0;
  int      nbq = (nq + BLOCK - 1) / BLOCK, nbb = (nb + BLOCK - 1) / BLOCK;

  if (nq < 0 || nb < 0 || dim < 1 || k < 1 || (self && (q != base || nq != nb)))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "nearest neighbours: bad arguments (nq %d, nb %d, dim %d, k %d)", nq, nb, dim, k);
      return FALSE;
    }
  for (gsize i = 0; i < (gsize) nq * k; i++)
    {
      sim[i] = -INFINITY;
      nn[i] = -1;
    }
  if (nq == 0 || nb == 0)
    return TRUE;
  if (!cpu)
    {
      dq = assay_backend_alloc (b, (gsize) BLOCK * dim * sizeof (float));
      db = assay_backend_alloc (b, (gsize) BLOCK * dim * sizeof (float));
      hs = g_try_malloc ((gsize) BLOCK * BLOCK * sizeof (float));
    }
  ds = assay_backend_alloc (b, (gsize) BLOCK * BLOCK * sizeof (float));
  if (ds == NULL || (!cpu && (dq == NULL || db == NULL || hs == NULL)))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_OUT_OF_MEMORY,
                   "nearest neighbours: a block of %d x %d scores: %s", BLOCK, BLOCK,
                   assay_backend_last_error (b));
      goto out;
    }
  if (cpu)
    hs = ds;
  for (int I = 0; I < nbq; I++)
    pairs += self ? (guint64) (nbb - I) : (guint64) nbb;

  for (int I = 0; I < nbq; I++)
    {
      int          i0 = I * BLOCK, m = MIN (BLOCK, nq - i0);
      const float *qi = q + (gsize) i0 * dim;

      if (!cpu && assay_backend_upload (b, dq, qi, (gsize) m * dim * sizeof (float)) != 0)
        goto backend_failed;
      for (int J = self ? I : 0; J < nbb; J++)
        {
          int          j0 = J * BLOCK, n = MIN (BLOCK, nb - j0);
          const float *bj = base + (gsize) j0 * dim;

          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            goto out;
          if (!cpu && assay_backend_upload (b, db, bj, (gsize) n * dim * sizeof (float)) != 0)
            goto backend_failed;
          if (assay_backend_sgemm (b, ASSAY_TRANS_N, ASSAY_TRANS_T, m, n, dim, 1.0f, cpu ? qi : dq, dim,
                                   cpu ? bj : db, dim, 0.0f, ds, n) != 0
              || (!cpu && assay_backend_download (b, hs, ds, (gsize) m * n * sizeof (float)) != 0))
            goto backend_failed;
          /* the block's rows: queries i0.. */
#pragma omp parallel for schedule(static)
          for (int r = 0; r < m; r++)
            offer_row (&t, i0 + r, hs + (gsize) r * n, n, j0, self ? i0 + r : -1);
          /* and, the queries being the base, its columns: rows j0.. (block J > I only) */
          if (self && J > I)
            {
#pragma omp parallel for schedule(static)
              for (int c0 = 0; c0 < n; c0 += COLUMN_CHUNK)
                offer_columns (&t, hs, n, m, i0, j0, c0, MIN (c0 + COLUMN_CHUNK, n));
            }
          done++;
          if (options != NULL && options->progress != NULL)
            options->progress ((double) done / pairs, options->progress_data);
        }
    }
  ok = TRUE;
  goto out;

backend_failed:
  g_set_error (error, ASSAY_ERROR,
               cpu ? ASSAY_ERROR_FAILED : ASSAY_ERROR_DEVICE, "nearest neighbours: %s",
               assay_backend_last_error (b));
out:
  if (!cpu)
    {
      assay_backend_release (b, dq);
      assay_backend_release (b, db);
      g_free (hs);
    }
  assay_backend_release (b, ds);
  return ok;
}
