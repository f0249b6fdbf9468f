/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-cpd-metrics.h"

#include <math.h>
#include <stdlib.h>

typedef struct
{
  float score;
  int   positive;
} Item;

static int
cmp_item (const void *a, const void *b)
{
  float x = ((const Item *) a)->score, y = ((const Item *) b)->score;
  return x < y ? -1 : x > y;
}

double
assay_cpd_auc (const float *score, guint T, const guint *positives, guint n_positives)
{
  Item  *items = g_new (Item, MAX (T, 1));
  double rank_sum = 0.0;
  guint  n_pos = 0, n_neg;

  for (guint t = 0; t < T; t++)
    {
      items[t].score = isnan (score[t]) ? -INFINITY : score[t];
      items[t].positive = 0;
    }
  for (guint i = 0; i < n_positives; i++)
    if (positives[i] < T && !items[positives[i]].positive)
      {
        items[positives[i]].positive = 1;
        n_pos++;
      }
  n_neg = T - n_pos;
  if (n_pos == 0 || n_neg == 0)
    {
      g_free (items);
      return NAN;
    }
  qsort (items, T, sizeof (Item), cmp_item);
  /* Average ranks over ties */
  for (guint i = 0; i < T;)
    {
      guint  j = i;
      double avg;
      while (j + 1 < T && items[j + 1].score == items[i].score)
        j++;
      avg = (i + j) / 2.0 + 1.0;
      for (guint q = i; q <= j; q++)
        if (items[q].positive)
          rank_sum += avg;
      i = j + 1;
    }
  g_free (items);
  return (rank_sum - n_pos * (n_pos + 1) / 2.0) / ((double) n_pos * n_neg);
}

double
assay_cpd_tri (guint predicted, guint truth, double w)
{
  double d = fabs ((double) predicted - (double) truth);
  return MAX (0.0, 1.0 - d / w);
}

static int
cmp_uint (const void *a, const void *b)
{
  guint x = *(const guint *) a, y = *(const guint *) b;
  return x < y ? -1 : x > y;
}

/* A sorted set of steps with 0 added */
static GArray *
with_zero (const guint *steps, guint n)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (guint));
  guint   zero = 0;

  g_array_append_val (out, zero);
  for (guint i = 0; i < n; i++)
    g_array_append_val (out, steps[i]);
  g_array_sort (out, (GCompareFunc) cmp_uint);
  /* unique */
  {
    guint k = 0;
    for (guint i = 0; i < out->len; i++)
      if (k == 0 || g_array_index (out, guint, k - 1) != g_array_index (out, guint, i))
        g_array_index (out, guint, k++) = g_array_index (out, guint, i);
    g_array_set_size (out, k);
  }
  return out;
}

/* TCPDBench's true_positives: for each true step (ascending), the nearest unused prediction
 * within the margin (ties: the smaller), used once. */
static guint
true_positives (GArray *truth, GArray *predicted, guint margin)
{
  gboolean *used = g_new0 (gboolean, MAX (predicted->len, 1));
  guint     tp = 0;

  for (guint i = 0; i < truth->len; i++)
    {
      guint tau = g_array_index (truth, guint, i);
      int   best = -1;
      guint best_dist = G_MAXUINT;
      for (guint j = 0; j < predicted->len; j++)
        {
          guint x = g_array_index (predicted, guint, j);
          guint d = x > tau ? x - tau : tau - x;
          if (used[j] || d > margin)
            continue;
          if (d < best_dist || (d == best_dist && x < g_array_index (predicted, guint, best)))
            {
              best = (int) j;
              best_dist = d;
            }
        }
      if (best >= 0)
        {
          used[best] = TRUE;
          tp++;
        }
    }
  g_free (used);
  return tp;
}

double
assay_cpd_f1 (GPtrArray *annotations, const guint *predicted, guint n_predicted, guint margin,
              double *precision, double *recall)
{
  g_autoptr (GArray) X = with_zero (predicted, n_predicted);
  g_autoptr (GArray) all = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GArray) Tstar = NULL;
  double P, R = 0.0, F;
  guint  K = annotations->len;

  for (guint k = 0; k < K; k++)
    {
      GArray *a = g_ptr_array_index (annotations, k);
      g_array_append_vals (all, a->data, a->len);
    }
  Tstar = with_zero ((guint *) all->data, all->len);
  P = (double) true_positives (Tstar, X, margin) / X->len;
  for (guint k = 0; k < K; k++)
    {
      GArray *a = g_ptr_array_index (annotations, k);
      g_autoptr (GArray) Tk = with_zero ((guint *) a->data, a->len);
      R += (double) true_positives (Tk, X, margin) / Tk->len;
    }
  R = K > 0 ? R / K : 0.0;
  F = P + R > 0 ? 2 * P * R / (P + R) : 0.0;
  if (precision != NULL)
    *precision = P;
  if (recall != NULL)
    *recall = R;
  return F;
}

/* Segment starts of the partition of [0, T) given by the change steps (0 and steps >= T ignored):
 * returns boundaries b_0 = 0 < b_1 < ... < b_n = T. */
static GArray *
boundaries (const guint *steps, guint n, guint T)
{
  GArray *b = with_zero (steps, n);
  guint   k = 0;

  for (guint i = 0; i < b->len; i++)
    if (g_array_index (b, guint, i) < T)
      g_array_index (b, guint, k++) = g_array_index (b, guint, i);
  g_array_set_size (b, k);
  g_array_append_val (b, T);
  return b;
}

double
assay_cpd_cover (GPtrArray *annotations, const guint *predicted, guint n_predicted, guint T)
{
  g_autoptr (GArray) pb = boundaries (predicted, n_predicted, T);
  double total = 0.0;

  if (annotations->len == 0 || T == 0)
    return NAN;
  for (guint k = 0; k < annotations->len; k++)
    {
      GArray *a = g_ptr_array_index (annotations, k);
      g_autoptr (GArray) ab = boundaries ((guint *) a->data, a->len, T);
      double C = 0.0;
      /* For each true segment R = [r0, r1), the best Jaccard overlap with a predicted segment */
      for (guint i = 0; i + 1 < ab->len; i++)
        {
          guint  r0 = g_array_index (ab, guint, i), r1 = g_array_index (ab, guint, i + 1);
          double best = 0.0;
          for (guint j = 0; j + 1 < pb->len; j++)
            {
              guint p0 = g_array_index (pb, guint, j), p1 = g_array_index (pb, guint, j + 1);
              guint lo = MAX (r0, p0), hi = MIN (r1, p1);
              if (hi > lo)
                {
                  double inter = hi - lo, uni = (double) (MAX (r1, p1) - MIN (r0, p0));
                  best = MAX (best, inter / uni);
                }
              if (p0 >= r1)
                break;
            }
          C += (r1 - r0) * best;
        }
      total += C / T;
    }
  return total / annotations->len;
}
