/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-oof.c: out-of-fold SVM probabilities (see the header). */
#include "config.h"

#include "assay-oof.h"

#include <glib/gi18n-lib.h>
#include <omp.h>
#include <math.h>
#include <string.h>

#include "assay-confident.h"
#include "assay-logreg.h"

static void
report (void (*progress) (double, const char *, gpointer), gpointer data, double fraction, const char *message)
{
  if (progress != NULL)
    progress (fraction, message, data);
}

/* fold[i] for n examples: a seeded shuffle dealt round (the same for both kinds of model) */
static guint *
deal_folds (guint n, guint folds, guint64 seed)
{
  guint            *fold = g_new (guint, MAX (n, 1));
  g_autofree guint *order = g_new (guint, MAX (n, 1));
  g_autoptr (GRand) rng = g_rand_new_with_seed_array ((const guint32[]) { (guint32) seed, (guint32) (seed >> 32), 11 }, 3);

  for (guint i = 0; i < n; i++)
    order[i] = i;
  for (guint i = n; i > 1; i--)
    {
      guint j = (guint) g_rand_int_range (rng, 0, (gint32) i), t = order[i - 1];
      order[i - 1] = order[j];
      order[j] = t;
    }
  for (guint i = 0; i < n; i++)
    fold[order[i]] = i % folds;
  return fold;
}

double *
assay_oof_probabilities (AssayCsr *x, const gsize *offsets, const guint *labels, guint n, guint L, guint folds,
                         const AssaySvmOptions *svm, guint64 seed, int threads,
                         void (*progress) (double, const char *, gpointer), gpointer data,
                         GCancellable *cancellable, GError **error)
{
  g_autofree guint *fold = NULL;
  g_autofree double *score = NULL; /* n x L decision values, out of fold */
  guint F = x->n_cols;
  volatile gint cancel = 0;

  fold = deal_folds (n, folds, seed);
  score = g_new0 (double, (gsize) n * L);
  for (guint f = 0; f < folds; f++)
    {
      g_autoptr (GArray) train = g_array_new (FALSE, FALSE, sizeof (guint));
      g_autoptr (AssayCsr) xt = NULL;
      g_autofree float *w = NULL;
      g_autofree guint *n_pos = g_new0 (guint, L);
      g_autofree guint32 **pos = g_new0 (guint32 *, L);
      AssaySvmStats stats;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      {
        g_autofree char *msg = g_strdup_printf (_("Fold %u of %u: training %u classifiers"), f + 1, folds, L);
        report (progress, data, 0.05 + 0.85 * f / folds, msg);
      }
      for (guint i = 0; i < n; i++)
        if (fold[i] != f)
          g_array_append_val (train, i);
      xt = assay_csr_select_rows (x, (guint *) train->data, train->len);
      for (guint r = 0; r < train->len; r++)
        {
          guint i = g_array_index (train, guint, r);
          for (gsize k = offsets[i]; k < offsets[i + 1]; k++)
            n_pos[labels[k]]++;
        }
      for (guint l = 0; l < L; l++)
        pos[l] = g_new (guint32, MAX (n_pos[l], 1));
      memset (n_pos, 0, L * sizeof (guint));
      for (guint r = 0; r < train->len; r++)
        {
          guint i = g_array_index (train, guint, r);
          for (gsize k = offsets[i]; k < offsets[i + 1]; k++)
            pos[labels[k]][n_pos[labels[k]]++] = r;
        }
      w = g_new (float, (gsize) L * (F + 1));
      if (!assay_svm_train (xt, L, (const guint32 *const *) pos, n_pos, svm, threads, w, &stats, NULL, NULL,
                            &cancel))
        {
          for (guint l = 0; l < L; l++)
            g_free (pos[l]);
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Cancelled"));
          return NULL;
        }
      for (guint l = 0; l < L; l++)
        g_free (pos[l]);
      /* decision values of the held-out fold */
#pragma omp parallel for num_threads (threads) schedule (dynamic, 64)
      for (guint i = 0; i < n; i++)
        {
          if (fold[i] != f)
            continue;
          for (guint l = 0; l < L; l++)
            {
              const float *wl = w + (gsize) l * (F + 1);
              double       s = svm->bias > 0 ? (double) svm->bias * wl[F] : 0.0;
              for (gsize k = x->indptr[i]; k < x->indptr[i + 1]; k++)
                s += (double) wl[x->indices[k]] * x->data[k];
              score[(gsize) i * L + l] = s;
            }
        }
    }

  report (progress, data, 0.9, _("Calibrating"));
  {
    double *prob = g_new (double, (gsize) n * L);
    g_autofree double *column = g_new (double, n);
    g_autofree gboolean *has = g_new (gboolean, n);

    for (guint l = 0; l < L; l++)
      {
        double A, B;
        for (guint i = 0; i < n; i++)
          {
            column[i] = score[(gsize) i * L + l];
            has[i] = FALSE;
          }
        for (guint i = 0; i < n; i++)
          for (gsize k = offsets[i]; k < offsets[i + 1]; k++)
            if (labels[k] == l)
              has[i] = TRUE;
        assay_platt_fit (column, has, n, &A, &B);
        for (guint i = 0; i < n; i++)
          prob[(gsize) i * L + l] = assay_platt_prob (column[i], A, B);
      }
    return prob;
  }
}

double *
assay_oof_probabilities_dense (const float *x, guint dim, const gsize *offsets, const guint *labels, guint n, guint L,
                               guint folds, gboolean one_label, double C, guint64 seed,
                               void (*progress) (double, const char *, gpointer), gpointer data,
                               GCancellable *cancellable, GError **error)
{
  g_autofree guint *fold = deal_folds (n, folds, seed);
  double           *prob = g_new0 (double, (gsize) n * L);
  g_autofree float *xs = g_new (float, (gsize) MAX (n, 1) * dim);
  AssayLogregOptions o;

  assay_logreg_options_init (&o);
  o.C = C;
  for (guint f = 0; f < folds; f++)
    {
      g_autoptr (GArray) train = g_array_new (FALSE, FALSE, sizeof (guint));
      g_autoptr (GArray) held = g_array_new (FALSE, FALSE, sizeof (guint));
      g_autoptr (AssayLogreg) model = NULL;
      g_autofree double *p = NULL;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          g_free (prob);
          return NULL;
        }
      {
        g_autofree char *msg = g_strdup_printf (_("Fold %u of %u: logistic regression on the embeddings"), f + 1, folds);
        report (progress, data, 0.05 + 0.85 * f / folds, msg);
      }
      for (guint i = 0; i < n; i++)
        g_array_append_val (fold[i] != f ? train : held, i);
      /* each column standardised by the training rows' mean and deviation (unit-length
       * embeddings would otherwise meet C as a far stronger penalty) */
      {
        g_autofree double *mean = g_new0 (double, dim), *sd = g_new0 (double, dim);
        for (guint r = 0; r < train->len; r++)
          for (guint j = 0; j < dim; j++)
            mean[j] += x[(gsize) g_array_index (train, guint, r) * dim + j];
        for (guint j = 0; j < dim; j++)
          mean[j] /= MAX (train->len, 1);
        for (guint r = 0; r < train->len; r++)
          for (guint j = 0; j < dim; j++)
            {
              double v = x[(gsize) g_array_index (train, guint, r) * dim + j] - mean[j];
              sd[j] += v * v;
            }
        for (guint j = 0; j < dim; j++)
          sd[j] = sd[j] > 0 ? sqrt (sd[j] / MAX (train->len, 1)) : 1.0;
        for (guint i = 0; i < n; i++)
          for (guint j = 0; j < dim; j++)
            xs[(gsize) i * dim + j] = (float) ((x[(gsize) i * dim + j] - mean[j]) / sd[j]);
      }
      model = assay_logreg_fit (one_label ? ASSAY_LOGREG_SOFTMAX : ASSAY_LOGREG_SIGMOID, xs, dim, (guint *) train->data,
                                train->len, offsets, labels, L, &o);
      p = g_new (double, (gsize) MAX (held->len, 1) * L);
      assay_logreg_predict (model, xs, (guint *) held->data, held->len, p);
      for (guint r = 0; r < held->len; r++)
        memcpy (prob + (gsize) g_array_index (held, guint, r) * L, p + (gsize) r * L, L * sizeof (double));
    }
  return prob;
}
