/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-confident.c: see assay-confident.h. */
#include "assay-confident.h"

#include <math.h>
#include <string.h>

gboolean
assay_cl_parse_filter (const char *name, AssayClFilter *filter)
{
  if (g_strcmp0 (name, "prune-by-noise-rate") == 0 || g_strcmp0 (name, "noise-rate") == 0)
    *filter = ASSAY_CL_PRUNE_BY_NOISE_RATE;
  else if (g_strcmp0 (name, "confident-joint") == 0)
    *filter = ASSAY_CL_CONFIDENT_JOINT;
  else
    return FALSE;
  return TRUE;
}

gboolean
assay_cl_parse_rank (const char *name, AssayClRank *rank)
{
  if (g_strcmp0 (name, "self-confidence") == 0)
    *rank = ASSAY_CL_SELF_CONFIDENCE;
  else if (g_strcmp0 (name, "normalized-margin") == 0 || g_strcmp0 (name, "margin") == 0)
    *rank = ASSAY_CL_NORMALIZED_MARGIN;
  else
    return FALSE;
  return TRUE;
}

void
assay_cl_result_free (AssayClResult *r)
{
  if (r == NULL)
    return;
  g_free (r->thresholds);
  g_free (r->confident);
  g_free (r->joint);
  g_free (r->quality);
  g_array_unref (r->issues);
  g_free (r);
}

typedef struct
{
  guint  index;
  double key;
} Keyed;

static int
by_key_desc (gconstpointer a, gconstpointer b)
{
  const Keyed *x = a, *y = b;
  if (x->key != y->key)
    return x->key > y->key ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index;
}

static int
by_key_asc (gconstpointer a, gconstpointer b)
{
  const Keyed *x = a, *y = b;
  if (x->key != y->key)
    return x->key < y->key ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index;
}

AssayClResult *
assay_confident_learning (const double *p, const guint *given, guint n, guint K, AssayClFilter filter,
                          AssayClRank rank)
{
  AssayClResult     *r = g_new0 (AssayClResult, 1);
  g_autofree guint  *count = g_new0 (guint, K);
  g_autofree double *sum = g_new0 (double, K);
  g_autofree double *calibrated = g_new0 (double, (gsize) K * K);
  g_autofree gboolean *found = g_new0 (gboolean, n);
  double             total = 0.0;

  r->n = n;
  r->K = K;
  r->thresholds = g_new (double, K);
  r->confident = g_new0 (guint, (gsize) K * K);
  r->joint = g_new0 (double, (gsize) K * K);
  r->quality = g_new (double, n);
  r->issues = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint x = 0; x < n; x++)
    {
      count[given[x]]++;
      sum[given[x]] += p[(gsize) x * K + given[x]];
    }
  for (guint j = 0; j < K; j++)
    r->thresholds[j] = count[j] > 0 ? sum[j] / count[j] : INFINITY;

  /* the confident joint: each example counted once, at its likeliest class above threshold */
  for (guint x = 0; x < n; x++)
    {
      const double *px = p + (gsize) x * K;
      int           best = -1;
      for (guint j = 0; j < K; j++)
        if (px[j] >= r->thresholds[j] && (best < 0 || px[j] > px[best]))
          best = (int) j;
      if (best < 0)
        continue;
      r->confident[(gsize) given[x] * K + best]++;
      if ((guint) best != given[x] && filter == ASSAY_CL_CONFIDENT_JOINT)
        found[x] = TRUE;
    }
  for (guint i = 0; i < K; i++)
    {
      guint row = 0;
      for (guint j = 0; j < K; j++)
        row += r->confident[(gsize) i * K + j];
      for (guint j = 0; j < K; j++)
        {
          calibrated[(gsize) i * K + j] = row > 0 ? (double) r->confident[(gsize) i * K + j] / row * count[i] : 0.0;
          total += calibrated[(gsize) i * K + j];
        }
    }
  for (gsize q = 0; q < (gsize) K * K; q++)
    r->joint[q] = total > 0 ? calibrated[q] / total : 0.0;

  if (filter == ASSAY_CL_PRUNE_BY_NOISE_RATE)
    {
      g_autofree Keyed *members = g_new (Keyed, MAX (n, 1));
      for (guint i = 0; i < K; i++)
        for (guint j = 0; j < K; j++)
          {
            guint m = 0, prune;
            if (i == j)
              continue;
            prune = (guint) MIN (lround (n * r->joint[(gsize) i * K + j]), (long) count[i]);
            if (prune == 0)
              continue;
            for (guint x = 0; x < n; x++)
              if (given[x] == i)
                {
                  members[m].index = x;
                  members[m].key = p[(gsize) x * K + j] - p[(gsize) x * K + i];
                  m++;
                }
            qsort (members, m, sizeof (Keyed), by_key_desc);
            for (guint k = 0; k < prune && k < m; k++)
              found[members[k].index] = TRUE;
          }
    }

  /* the ranking score of every example, and the examples found in its order */
  for (guint x = 0; x < n; x++)
    {
      const double *px = p + (gsize) x * K;
      double        other = -INFINITY;
      for (guint j = 0; j < K; j++)
        if (j != given[x])
          other = MAX (other, px[j]);
      r->quality[x] = rank == ASSAY_CL_SELF_CONFIDENCE ? px[given[x]] : px[given[x]] - other;
    }
  {
    g_autofree Keyed *list = g_new (Keyed, MAX (n, 1));
    guint             m = 0;
    for (guint x = 0; x < n; x++)
      if (found[x])
        {
          list[m].index = x;
          list[m].key = r->quality[x];
          m++;
        }
    qsort (list, m, sizeof (Keyed), by_key_asc);
    for (guint k = 0; k < m; k++)
      g_array_append_val (r->issues, list[k].index);
  }
  return r;
}

/* ---- Platt scaling ---- */

static double
platt_objective (const double *s, const double *t, gsize n, double A, double B)
{
  double f = 0.0;

  for (gsize i = 0; i < n; i++)
    {
      double z = s[i] * A + B;
      f += z >= 0 ? t[i] * z + log1p (exp (-z)) : (t[i] - 1.0) * z + log1p (exp (z));
    }
  return f;
}

void
assay_platt_fit (const double *s, const gboolean *positive, gsize n, double *A_out, double *B_out)
{
  g_autofree double *t = g_new (double, MAX (n, 1));
  double             prior1 = 0, prior0 = 0, hi, lo, A = 0.0, B, f;

  for (gsize i = 0; i < n; i++)
    {
      if (positive[i])
        prior1++;
      else
        prior0++;
    }
  hi = (prior1 + 1.0) / (prior1 + 2.0);
  lo = 1.0 / (prior0 + 2.0);
  for (gsize i = 0; i < n; i++)
    t[i] = positive[i] ? hi : lo;
  B = log ((prior0 + 1.0) / (prior1 + 1.0));
  f = platt_objective (s, t, n, A, B);
  for (int it = 0; it < 100; it++)
    {
      double h11 = 1e-12, h22 = 1e-12, h21 = 0.0, g1 = 0.0, g2 = 0.0, det, dA, dB, gd, step;

      for (gsize i = 0; i < n; i++)
        {
          double z = s[i] * A + B, pp, q, d2, d1;
          if (z >= 0)
            {
              pp = exp (-z) / (1.0 + exp (-z));
              q = 1.0 / (1.0 + exp (-z));
            }
          else
            {
              pp = 1.0 / (1.0 + exp (z));
              q = exp (z) / (1.0 + exp (z));
            }
          d2 = pp * q;
          h11 += s[i] * s[i] * d2;
          h22 += d2;
          h21 += s[i] * d2;
          d1 = t[i] - pp;
          g1 += s[i] * d1;
          g2 += d1;
        }
      if (fabs (g1) < 1e-5 && fabs (g2) < 1e-5)
        break;
      det = h11 * h22 - h21 * h21;
      dA = -(h22 * g1 - h21 * g2) / det;
      dB = -(-h21 * g1 + h11 * g2) / det;
      gd = g1 * dA + g2 * dB;
      for (step = 1.0; step >= 1e-10; step /= 2.0)
        {
          double nf = platt_objective (s, t, n, A + step * dA, B + step * dB);
          if (nf < f + 1e-4 * step * gd)
            {
              A += step * dA;
              B += step * dB;
              f = nf;
              break;
            }
        }
      if (step < 1e-10)
        break;
    }
  *A_out = A;
  *B_out = B;
}

double
assay_platt_prob (double s, double A, double B)
{
  double z = s * A + B;
  return z >= 0 ? exp (-z) / (1.0 + exp (-z)) : 1.0 / (1.0 + exp (z));
}

void
assay_cl_normalize_rows (double *probs, guint n, guint K)
{
  for (guint i = 0; i < n; i++)
    {
      double *row = probs + (gsize) i * K, s = 0.0;
      for (guint l = 0; l < K; l++)
        s += row[l];
      for (guint l = 0; l < K; l++)
        row[l] = s > 0 ? row[l] / s : 1.0 / K;
    }
}

int
assay_cl_suggested (const double *row, guint K, guint given)
{
  guint best = given == 0 ? 1 : 0;

  for (guint l = 0; l < K; l++)
    if (l != given && row[l] > row[best])
      best = l;
  /* (flat probabilities, from texts that say nothing of their labels, suggest nothing) */
  return row[best] > row[given] + 1e-9 ? (int) best : -1;
}
