/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-csr.h"

#include <math.h>
#include <string.h>

AssayCsr *
assay_csr_new (guint n_cols)
{
  AssayCsr *self = g_new0 (AssayCsr, 1);

  self->n_cols = n_cols;
  self->row_capacity = 1;
  self->indptr = g_new0 (gsize, 1);
  return self;
}

void
assay_csr_free (AssayCsr *self)
{
  if (self == NULL)
    return;
  g_free (self->indptr);
  g_free (self->indices);
  g_free (self->data);
  g_free (self);
}

gsize
assay_csr_nnz (const AssayCsr *self)
{
  return self->indptr[self->n_rows];
}

static void
reserve (AssayCsr *self, gsize nnz)
{
  if (nnz <= self->capacity)
    return;
  self->capacity = MAX (nnz, self->capacity * 2);
  self->capacity = MAX (self->capacity, 1024);
  self->indices = g_renew (guint32, self->indices, self->capacity);
  self->data = g_renew (float, self->data, self->capacity);
}

typedef struct
{
  guint32 index;
  float   value;
} Pair;

static int
cmp_pair (const void *a, const void *b)
{
  guint32 x = ((const Pair *) a)->index, y = ((const Pair *) b)->index;
  return x < y ? -1 : x > y;
}

static void
sort_pairs (Pair *pairs, guint n)
{
  if (n > 48)
    {
      qsort (pairs, n, sizeof (Pair), cmp_pair);
      return;
    }
  for (guint i = 1; i < n; i++)
    {
      Pair  p = pairs[i];
      guint j = i;
      while (j > 0 && pairs[j - 1].index > p.index)
        {
          pairs[j] = pairs[j - 1];
          j--;
        }
      pairs[j] = p;
    }
}

static void
reserve_rows (AssayCsr *self, guint rows)
{
  if (rows + 1 <= self->row_capacity)
    return;
  self->row_capacity = MAX (rows + 1, self->row_capacity * 2);
  self->row_capacity = MAX (self->row_capacity, 256);
  self->indptr = g_renew (gsize, self->indptr, self->row_capacity);
}

void
assay_csr_append_row (AssayCsr *self, const guint32 *indices, const float *values, guint n)
{
  gsize    start = self->indptr[self->n_rows];
  gsize    end = start;
  gboolean sorted = TRUE;

  reserve (self, start + n);
  for (guint i = 1; i < n && sorted; i++)
    sorted = indices[i] > indices[i - 1];
  if (sorted && n > 0)
    {
      memcpy (self->indices + start, indices, n * sizeof (guint32));
      memcpy (self->data + start, values, n * sizeof (float));
      end = start + n;
    }
  else if (n > 0)
    {
      /* Sort (index, value) pairs, then merge duplicates. */
      Pair  stack[64];
      Pair *pairs = n <= G_N_ELEMENTS (stack) ? stack : g_new (Pair, n);
      for (guint i = 0; i < n; i++)
        {
          pairs[i].index = indices[i];
          pairs[i].value = values[i];
        }
      sort_pairs (pairs, n);
      for (guint i = 0; i < n; i++)
        {
          if (end > start && self->indices[end - 1] == pairs[i].index)
            self->data[end - 1] += pairs[i].value;
          else
            {
              self->indices[end] = pairs[i].index;
              self->data[end] = pairs[i].value;
              end++;
            }
        }
      if (pairs != stack)
        g_free (pairs);
    }
  reserve_rows (self, self->n_rows + 1);
  self->n_rows++;
  self->indptr[self->n_rows] = end;
}

void
assay_csr_append_rows (AssayCsr *self, const AssayCsr *other)
{
  gsize base = self->indptr[self->n_rows], nnz = assay_csr_nnz (other);

  g_return_if_fail (self->n_cols == other->n_cols);
  reserve (self, base + nnz);
  reserve_rows (self, self->n_rows + other->n_rows);
  memcpy (self->indices + base, other->indices, nnz * sizeof (guint32));
  memcpy (self->data + base, other->data, nnz * sizeof (float));
  for (guint r = 1; r <= other->n_rows; r++)
    self->indptr[self->n_rows + r] = base + other->indptr[r];
  self->n_rows += other->n_rows;
}

void
assay_csr_normalize_rows (AssayCsr *self)
{
  for (guint r = 0; r < self->n_rows; r++)
    {
      double sum = 0.0;
      for (gsize p = self->indptr[r]; p < self->indptr[r + 1]; p++)
        sum += (double) self->data[p] * self->data[p];
      if (sum > 0.0)
        {
          float inv = (float) (1.0 / sqrt (sum));
          for (gsize p = self->indptr[r]; p < self->indptr[r + 1]; p++)
            self->data[p] *= inv;
        }
    }
}

AssayCsr *
assay_csr_select_rows (const AssayCsr *self, const guint *rows, guint n)
{
  AssayCsr *out = assay_csr_new (self->n_cols);
  gsize     nnz = 0;

  for (guint i = 0; i < n; i++)
    nnz += self->indptr[rows[i] + 1] - self->indptr[rows[i]];
  reserve (out, nnz);
  reserve_rows (out, n);
  nnz = 0;
  for (guint i = 0; i < n; i++)
    {
      gsize start = self->indptr[rows[i]], len = self->indptr[rows[i] + 1] - start;
      memcpy (out->indices + nnz, self->indices + start, len * sizeof (guint32));
      memcpy (out->data + nnz, self->data + start, len * sizeof (float));
      out->indptr[i] = nnz;
      nnz += len;
    }
  out->indptr[n] = nnz;
  out->n_rows = n;
  return out;
}

AssayCsr *
assay_csr_transpose (const AssayCsr *self)
{
  AssayCsr *out = assay_csr_new (self->n_rows);
  gsize     nnz = assay_csr_nnz (self);
  gsize    *next;

  reserve (out, nnz);
  out->n_rows = self->n_cols;
  reserve_rows (out, out->n_rows);
  memset (out->indptr, 0, (out->n_rows + 1) * sizeof (gsize));
  for (gsize p = 0; p < nnz; p++)
    out->indptr[self->indices[p] + 1]++;
  for (guint c = 0; c < out->n_rows; c++)
    out->indptr[c + 1] += out->indptr[c];
  next = g_memdup2 (out->indptr, out->n_rows * sizeof (gsize));
  for (guint r = 0; r < self->n_rows; r++)
    for (gsize p = self->indptr[r]; p < self->indptr[r + 1]; p++)
      {
        gsize q = next[self->indices[p]]++;
        out->indices[q] = r;
        out->data[q] = self->data[p];
      }
  g_free (next);
  return out;
}

void
assay_csr_nearest_rows (const AssayCsr *self, const guint *queries, guint nq, guint k, int *nn, float *sim)
{
  g_autoptr (AssayCsr) t = assay_csr_transpose (self);
  guint n = self->n_rows;

  for (gsize i = 0; i < (gsize) nq * k; i++)
    {
      nn[i] = -1;
      sim[i] = 0.0f;
    }
  if (k == 0)
    return;
#pragma omp parallel
  {
    double *acc = g_new0 (double, MAX (n, 1));
    guint  *touched = g_new (guint, MAX (n, 1));
    guint8 *seen = g_new0 (guint8, MAX (n, 1));

#pragma omp for schedule(dynamic, 4)
    for (guint q = 0; q < nq; q++)
      {
        guint  r = queries[q], m = 0;
        int   *best = nn + (gsize) q * k;
        float *bs = sim + (gsize) q * k;
        double top[64];
        double *ts = k <= G_N_ELEMENTS (top) ? top : g_new (double, k);
        guint  found = 0;

        for (gsize p = self->indptr[r]; p < self->indptr[r + 1]; p++)
          {
            guint32 c = self->indices[p];
            double  v = self->data[p];
            for (gsize e = t->indptr[c]; e < t->indptr[c + 1]; e++)
              {
                guint j = t->indices[e];
                if (!seen[j])
                  {
                    seen[j] = 1;
                    touched[m++] = j;
                  }
                acc[j] += v * t->data[e];
              }
          }
        /* the k best by insertion (k is small); touched rows in any order, ties to the lower row */
        for (guint i = 0; i < m; i++)
          {
            guint  j = touched[i];
            double s = acc[j];
            guint  at;
            acc[j] = 0.0;
            seen[j] = 0;
            if (j == r)
              continue;
            at = found;
            while (at > 0 && (ts[at - 1] < s || (ts[at - 1] == s && (guint) best[at - 1] > j)))
              at--;
            if (at >= k)
              continue;
            for (guint z = MIN (found, k - 1); z > at; z--)
              {
                ts[z] = ts[z - 1];
                best[z] = best[z - 1];
              }
            ts[at] = s;
            best[at] = (int) j;
            found = MIN (found + 1, k);
          }
        for (guint z = 0; z < found; z++)
          bs[z] = (float) ts[z];
        if (ts != top)
          g_free (ts);
      }
    g_free (acc);
    g_free (touched);
    g_free (seen);
  }
}
