/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-xmtc-metrics.h"

#include <math.h>
#include <stdlib.h>

AssayLabelBin
assay_xmtc_label_bin (guint n_train)
{
  if (n_train == 0)
    return ASSAY_LABEL_BIN_UNSEEN;
  if (n_train < 10)
    return ASSAY_LABEL_BIN_TAIL;
  if (n_train < 100)
    return ASSAY_LABEL_BIN_TORSO;
  return ASSAY_LABEL_BIN_HEAD;
}

const char *
assay_xmtc_label_bin_name (AssayLabelBin bin)
{
  static const char *names[] = { "unseen", "tail", "torso", "head" };
  return names[bin];
}

void
assay_xmtc_inverse_propensity (const guint *n_train, guint n_labels, guint n_train_docs, double A,
                               double B, double *inv_propensity)
{
  double C = (log ((double) n_train_docs) - 1.0) * pow (B + 1.0, A);

  for (guint l = 0; l < n_labels; l++)
    inv_propensity[l] = 1.0 + C * pow ((double) n_train[l] + B, -A);
}

static gboolean
contains (const AssayLabelSets *truth, guint d, guint32 label)
{
  for (gsize p = truth->offsets[d]; p < truth->offsets[d + 1]; p++)
    if (truth->labels[p] == label)
      return TRUE;
  return FALSE;
}

double
assay_xmtc_precision_at_k (const AssayLabelSets *truth, const guint32 *top, guint K, guint k)
{
  double sum = 0.0;

  g_return_val_if_fail (k >= 1 && k <= K, 0.0);
  if (truth->n_docs == 0)
    return 0.0;
  for (guint d = 0; d < truth->n_docs; d++)
    {
      guint hits = 0;
      for (guint r = 0; r < k; r++)
        hits += top[(gsize) d * K + r] != ASSAY_XMTC_NO_LABEL && contains (truth, d, top[(gsize) d * K + r]);
      sum += (double) hits / k;
    }
  return sum / truth->n_docs;
}

double
assay_xmtc_ndcg_at_k (const AssayLabelSets *truth, const guint32 *top, guint K, guint k)
{
  double sum = 0.0;

  g_return_val_if_fail (k >= 1 && k <= K, 0.0);
  if (truth->n_docs == 0)
    return 0.0;
  for (guint d = 0; d < truth->n_docs; d++)
    {
      guint  n_true = (guint) (truth->offsets[d + 1] - truth->offsets[d]);
      double dcg = 0.0, idcg = 0.0;
      for (guint r = 0; r < k; r++)
        {
          guint32 label = top[(gsize) d * K + r];
          if (label != ASSAY_XMTC_NO_LABEL && contains (truth, d, label))
            dcg += 1.0 / log2 (r + 2.0);
        }
      for (guint r = 0; r < MIN (k, n_true); r++)
        idcg += 1.0 / log2 (r + 2.0);
      if (idcg > 0.0)
        sum += dcg / idcg;
    }
  return sum / truth->n_docs;
}

static int
cmp_desc (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? 1 : x > y ? -1 : 0;
}

double
assay_xmtc_psp_at_k (const AssayLabelSets *truth, const guint32 *top, guint K, guint k,
                     const double *inv_propensity)
{
  double num = 0.0, den = 0.0;
  GArray *buf = g_array_new (FALSE, FALSE, sizeof (double));

  g_return_val_if_fail (k >= 1 && k <= K, 0.0);
  for (guint d = 0; d < truth->n_docs; d++)
    {
      for (guint r = 0; r < k; r++)
        {
          guint32 label = top[(gsize) d * K + r];
          if (label != ASSAY_XMTC_NO_LABEL && contains (truth, d, label))
            num += inv_propensity[label];
        }
      g_array_set_size (buf, 0);
      for (gsize p = truth->offsets[d]; p < truth->offsets[d + 1]; p++)
        g_array_append_val (buf, inv_propensity[truth->labels[p]]);
      if (buf->len > 1)
        qsort (buf->data, buf->len, sizeof (double), cmp_desc);
      for (guint r = 0; r < MIN (k, buf->len); r++)
        den += g_array_index (buf, double, r);
    }
  g_array_unref (buf);
  return den > 0.0 ? num / den : 0.0;
}

void
assay_xmtc_label_counts_at_k (const AssayLabelSets *truth, const guint32 *top, guint K, guint k,
                              guint n_labels, guint *tp, guint *fp, guint *fn)
{
  g_return_if_fail (k >= 1 && k <= K);
  for (guint l = 0; l < n_labels; l++)
    tp[l] = fp[l] = fn[l] = 0;
  for (guint d = 0; d < truth->n_docs; d++)
    {
      for (guint r = 0; r < k; r++)
        {
          guint32 label = top[(gsize) d * K + r];
          if (label == ASSAY_XMTC_NO_LABEL || label >= n_labels)
            continue;
          if (contains (truth, d, label))
            tp[label]++;
          else
            fp[label]++;
        }
      for (gsize p = truth->offsets[d]; p < truth->offsets[d + 1]; p++)
        {
          guint32  label = truth->labels[p];
          gboolean found = FALSE;
          if (label >= n_labels)
            continue;
          for (guint r = 0; r < k && !found; r++)
            found = top[(gsize) d * K + r] == label;
          if (!found)
            fn[label]++;
        }
    }
}

double
assay_xmtc_f1 (guint tp, guint fp, guint fn)
{
  guint den = 2 * tp + fp + fn;
  return den > 0 ? 2.0 * tp / den : 0.0;
}

double
assay_xmtc_macro_f1 (const guint *tp, const guint *fp, const guint *fn, guint n_labels,
                     const gboolean *include, guint *n_counted)
{
  double sum = 0.0;
  guint  n = 0;

  for (guint l = 0; l < n_labels; l++)
    {
      if ((include != NULL && !include[l]) || 2 * tp[l] + fp[l] + fn[l] == 0)
        continue;
      sum += assay_xmtc_f1 (tp[l], fp[l], fn[l]);
      n++;
    }
  if (n_counted != NULL)
    *n_counted = n;
  return n > 0 ? sum / n : 0.0;
}
