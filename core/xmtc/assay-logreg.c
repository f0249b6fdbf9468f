/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-logreg.c: see assay-logreg.h. L-BFGS (memory 10, Armijo backtracking) on the
 * per-example mean of the objective, (1/n) sum loss + 1/(2 C n) ||W||^2, which has the same
 * minimiser and gradients of a size that does not grow with n. */
#include "assay-logreg.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#define MEMORY 10

void
assay_logreg_options_init (AssayLogregOptions *o)
{
  o->C = 1.0;
  o->max_iter = 300;
  o->tol = 1e-6;
  o->block_rows = 0;
}

void
assay_logreg_free (AssayLogreg *m)
{
  if (m == NULL)
    return;
  g_free (m->w);
  g_free (m->b);
  g_free (m);
}

/* rows widened to float64 at once: all of them when they fit in 128 MB (widened once) */
#define BLOCK_DOUBLES ((gsize) 1 << 24)

typedef struct
{
  AssayLogregKind kind;
  const float    *x;    /* the rows, dim wide */
  const guint    *rows; /* the fitted rows of x (NULL: the first n) */
  guint           n, dim, K;
  const gsize    *offsets; /* example i's labels: labels[offsets[i] .. offsets[i + 1]) */
  const guint    *labels;
  double          C;
  guint           block; /* rows per block */
  double         *xb;   /* block x dim: a block of rows in float64 */
  double         *zb;   /* block x K: logits, then residuals p - y */
} Problem;

/* The mean objective at theta = [W (K x dim), b (K)] and its gradient g, in float64 by blocks of
 * rows. */
static double
evaluate (Problem *pb, const double *theta, double *g)
{
  guint         n = pb->n, dim = pb->dim, K = pb->K;
  gsize         nw = (gsize) K * dim;
  const double *bias = theta + nw;
  double        loss = 0.0, reg = 0.0;

  memset (g, 0, (nw + K) * sizeof (double));
  for (guint i0 = 0; i0 < n; i0 += pb->block)
    {
      guint  m = MIN (pb->block, n - i0);
      double block_loss = 0.0;

      /* (one block holding every row is widened once, by the caller) */
      for (guint i = 0; i < m && pb->block < n; i++)
        {
          const float *xi = pb->x + (gsize) (pb->rows != NULL ? pb->rows[i0 + i] : i0 + i) * dim;
          for (guint j = 0; j < dim; j++)
            pb->xb[(gsize) i * dim + j] = xi[j];
        }
      cblas_dgemm (CblasRowMajor, CblasNoTrans, CblasTrans, (int) m, (int) K, (int) dim, 1.0, pb->xb, (int) dim, theta,
                   (int) dim, 0.0, pb->zb, (int) K);
      for (guint i = 0; i < m; i++)
        {
          double *z = pb->zb + (gsize) i * K;
          gsize   first = pb->offsets[i0 + i], last = pb->offsets[i0 + i + 1];
          for (guint k = 0; k < K; k++)
            z[k] += bias[k];
          if (pb->kind == ASSAY_LOGREG_SOFTMAX)
            {
              double mx = -INFINITY, sum = 0.0, lse;
              guint  y = pb->labels[first];
              for (guint k = 0; k < K; k++)
                mx = MAX (mx, z[k]);
              for (guint k = 0; k < K; k++)
                sum += exp (z[k] - mx);
              lse = mx + log (sum);
              block_loss += lse - z[y];
              for (guint k = 0; k < K; k++)
                z[k] = exp (z[k] - lse) - (k == y);
            }
          else
            for (guint k = 0; k < K; k++)
              {
                double v = z[k], y = 0.0;
                for (gsize p = first; p < last; p++)
                  if (pb->labels[p] == k)
                    y = 1.0;
                /* log(1 + e^v) - y v, and sigmoid(v) - y */
                block_loss += MAX (v, 0.0) + log1p (exp (-fabs (v))) - y * v;
                z[k] = (v >= 0 ? 1.0 / (1.0 + exp (-v)) : exp (v) / (1.0 + exp (v))) - y;
              }
        }
      loss += block_loss;
      cblas_dgemm (CblasRowMajor, CblasTrans, CblasNoTrans, (int) K, (int) dim, (int) m, 1.0, pb->zb, (int) K, pb->xb,
                   (int) dim, 1.0, g, (int) dim);
      for (guint i = 0; i < m; i++)
        for (guint k = 0; k < K; k++)
          g[nw + k] += pb->zb[(gsize) i * K + k];
    }
  for (gsize i = 0; i < nw; i++)
    {
      reg += theta[i] * theta[i];
      g[i] = g[i] / n + theta[i] / (pb->C * n);
    }
  for (guint k = 0; k < K; k++)
    g[nw + k] /= n;
  return loss / n + reg / (2.0 * pb->C * n);
}

static double
dot (const double *a, const double *b, gsize m)
{
  double s = 0.0;
  for (gsize i = 0; i < m; i++)
    s += a[i] * b[i];
  return s;
}

static double
max_abs (const double *a, gsize m)
{
  double s = 0.0;
  for (gsize i = 0; i < m; i++)
    s = MAX (s, fabs (a[i]));
  return s;
}

AssayLogreg *
assay_logreg_fit (AssayLogregKind kind, const float *x, guint dim, const guint *rows, guint n, const gsize *offsets,
                  const guint *labels, guint K, const AssayLogregOptions *o)
{
  gsize             m = (gsize) K * (dim + 1);
  g_autofree gsize *off = NULL;
  g_autofree guint *lab = NULL;
  g_autofree double *theta = g_new0 (double, m), *g = g_new (double, m), *d = g_new (double, m);
  g_autofree double *trial = g_new (double, m), *g2 = g_new (double, m), *alpha = g_new (double, MEMORY);
  g_autofree double *s = g_new (double, MEMORY * m), *y = g_new (double, MEMORY * m), *rho = g_new (double, MEMORY);
  Problem           pb = { 0 };
  AssayLogreg      *model = g_new0 (AssayLogreg, 1);
  double            f;
  guint             stored = 0, head = 0, it;

  /* the listed rows' labels, in their order */
  if (rows != NULL)
    {
      gsize total = 0, at = 0;
      off = g_new (gsize, n + 1);
      for (guint i = 0; i < n; i++)
        total += offsets[rows[i] + 1] - offsets[rows[i]];
      lab = g_new (guint, MAX (total, 1));
      for (guint i = 0; i < n; i++)
        {
          off[i] = at;
          for (gsize p = offsets[rows[i]]; p < offsets[rows[i] + 1]; p++)
            lab[at++] = labels[p];
        }
      off[n] = at;
    }
  pb.kind = kind;
  pb.x = x;
  pb.rows = rows;
  pb.n = MAX (n, 1);
  pb.dim = dim;
  pb.K = K;
  pb.offsets = rows != NULL ? off : offsets;
  pb.labels = rows != NULL ? lab : labels;
  pb.C = o->C;
  pb.block = (guint) MIN ((gsize) pb.n, o->block_rows > 0 ? o->block_rows : MAX (BLOCK_DOUBLES / MAX (dim, 1), 256));
  pb.xb = g_new (double, (gsize) pb.block * dim);
  pb.zb = g_new (double, (gsize) pb.block * K);
  if (pb.block >= n)
    for (guint i = 0; i < n; i++)
      {
        const float *xi = x + (gsize) (rows != NULL ? rows[i] : i) * dim;
        for (guint j = 0; j < dim; j++)
          pb.xb[(gsize) i * dim + j] = xi[j];
      }

  f = n > 0 ? evaluate (&pb, theta, g) : 0.0;
  for (it = 0; n > 0 && it < o->max_iter && max_abs (g, m) > o->tol; it++)
    {
      double step = 1.0, gd, f2 = f;
      gboolean moved = FALSE;

      /* d = -H g by the two-loop recursion over the stored pairs, newest first */
      memcpy (d, g, m * sizeof (double));
      for (guint k = 0; k < stored; k++)
        {
          guint j = (head + MEMORY - 1 - k) % MEMORY;
          alpha[j] = rho[j] * dot (s + (gsize) j * m, d, m);
          for (gsize i = 0; i < m; i++)
            d[i] -= alpha[j] * y[(gsize) j * m + i];
        }
      if (stored > 0)
        {
          guint  j = (head + MEMORY - 1) % MEMORY;
          double gamma = dot (s + (gsize) j * m, y + (gsize) j * m, m) / dot (y + (gsize) j * m, y + (gsize) j * m, m);
          for (gsize i = 0; i < m; i++)
            d[i] *= gamma;
        }
      else
        {
          /* the first step: a unit move along the gradient's direction */
          double norm = sqrt (dot (g, g, m));
          for (gsize i = 0; i < m; i++)
            d[i] /= MAX (norm, 1.0);
        }
      for (guint k = stored; k-- > 0;)
        {
          guint  j = (head + MEMORY - 1 - k) % MEMORY;
          double beta = rho[j] * dot (y + (gsize) j * m, d, m);
          for (gsize i = 0; i < m; i++)
            d[i] += (alpha[j] - beta) * s[(gsize) j * m + i];
        }
      for (gsize i = 0; i < m; i++)
        d[i] = -d[i];
      gd = dot (g, d, m);
      if (!(gd < 0))
        {
          /* not a descent direction: start again from the gradient */
          stored = 0;
          for (gsize i = 0; i < m; i++)
            d[i] = -g[i];
          gd = -dot (g, g, m);
        }
      /* Armijo backtracking */
      for (int tries = 0; tries < 40; tries++)
        {
          for (gsize i = 0; i < m; i++)
            trial[i] = theta[i] + step * d[i];
          f2 = evaluate (&pb, trial, g2);
          if (f2 <= f + 1e-4 * step * gd)
            {
              moved = TRUE;
              break;
            }
          step *= 0.5;
        }
      if (!moved)
        break; /* no decrease left at this precision */
      {
        double *sj = s + (gsize) head * m, *yj = y + (gsize) head * m, sy;
        for (gsize i = 0; i < m; i++)
          {
            sj[i] = trial[i] - theta[i];
            yj[i] = g2[i] - g[i];
          }
        sy = dot (sj, yj, m);
        if (sy > 1e-20)
          {
            rho[head] = 1.0 / sy;
            head = (head + 1) % MEMORY;
            stored = MIN (stored + 1, MEMORY);
          }
      }
      memcpy (theta, trial, m * sizeof (double));
      memcpy (g, g2, m * sizeof (double));
      if (f - f2 <= 1e-15 * fabs (f))
        {
          f = f2;
          it++;
          break;
        }
      f = f2;
    }
  model->kind = kind;
  model->K = K;
  model->dim = dim;
  model->w = g_memdup2 (theta, (gsize) K * dim * sizeof (double));
  model->b = g_memdup2 (theta + (gsize) K * dim, K * sizeof (double));
  model->iterations = it;
  model->objective = f * o->C * n;
  g_free (pb.xb);
  g_free (pb.zb);
  return model;
}

void
assay_logreg_predict (const AssayLogreg *model, const float *x, const guint *rows, guint n, double *p)
{
  guint K = model->K, dim = model->dim;

#pragma omp parallel for schedule(static)
  for (guint i = 0; i < n; i++)
    {
      const float *xi = x + (gsize) (rows != NULL ? rows[i] : i) * dim;
      double      *pi = p + (gsize) i * K, m = -INFINITY, sum = 0.0;
      for (guint k = 0; k < K; k++)
        {
          const double *wk = model->w + (gsize) k * dim;
          double        v = model->b[k];
          for (guint j = 0; j < dim; j++)
            v += wk[j] * xi[j];
          pi[k] = v;
          m = MAX (m, v);
        }
      if (model->kind == ASSAY_LOGREG_SOFTMAX)
        {
          for (guint k = 0; k < K; k++)
            sum += pi[k] = exp (pi[k] - m);
          for (guint k = 0; k < K; k++)
            pi[k] /= sum;
        }
      else
        for (guint k = 0; k < K; k++)
          pi[k] = pi[k] >= 0 ? 1.0 / (1.0 + exp (-pi[k])) : exp (pi[k]) / (1.0 + exp (pi[k]));
    }
}
