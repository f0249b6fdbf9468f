/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-xmtc-metrics.h: ranking metrics for extreme multi-label classification.
 *
 * truth: per document, its true labels (offsets[d] .. offsets[d+1] in labels).
 * top:   per document, the K best labels by score (row-major n_docs x K; entries past the end of
 *        a shorter list are ASSAY_XMTC_NO_LABEL).
 *
 * P@k      mean over documents of |top_k ∩ y| / k
 * nDCG@k   mean over documents of DCG@k / IDCG@k, DCG@k = Σ_{r<k} [top_r ∈ y] / log2(r + 2),
 *          IDCG@k = Σ_{r < min(k, |y|)} 1 / log2(r + 2)
 * PSP@k    Σ_d Σ_{l ∈ top_k ∩ y} 1/p_l  /  Σ_d (sum of the k largest 1/p_l over l ∈ y)
 *          with 1/p_l = 1 + C (n_l + B)^-A, C = (ln N - 1)(B + 1)^A (Jain et al. 2016)
 * F1@k     per label, the top k are the positives: F1 = 2TP / (2TP + FP + FN); macro-F1 over a
 *          label set averages the labels with 2TP + FP + FN > 0.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define ASSAY_XMTC_NO_LABEL G_MAXUINT32

typedef struct
{
  guint          n_docs;
  const gsize   *offsets; /* n_docs + 1 */
  const guint32 *labels;
} AssayLabelSets;

typedef enum
{
  ASSAY_LABEL_BIN_UNSEEN, /* no training document */
  ASSAY_LABEL_BIN_TAIL,   /* 1-9 training documents */
  ASSAY_LABEL_BIN_TORSO,  /* 10-99 */
  ASSAY_LABEL_BIN_HEAD,   /* 100 or more */
} AssayLabelBin;

AssayLabelBin assay_xmtc_label_bin (guint n_train);
const char   *assay_xmtc_label_bin_name (AssayLabelBin bin);

void   assay_xmtc_inverse_propensity (const guint *n_train,
                                      guint        n_labels,
                                      guint        n_train_docs,
                                      double       A,
                                      double       B,
                                      double      *inv_propensity);

double assay_xmtc_precision_at_k (const AssayLabelSets *truth,
                                  const guint32        *top,
                                  guint                 K,
                                  guint                 k);
double assay_xmtc_ndcg_at_k (const AssayLabelSets *truth, const guint32 *top, guint K, guint k);
double assay_xmtc_psp_at_k (const AssayLabelSets *truth,
                            const guint32        *top,
                            guint                 K,
                            guint                 k,
                            const double         *inv_propensity);

/* Per-label counts at k; tp/fp/fn have n_labels entries and are filled (not added to). */
void   assay_xmtc_label_counts_at_k (const AssayLabelSets *truth,
                                     const guint32        *top,
                                     guint                 K,
                                     guint                 k,
                                     guint                 n_labels,
                                     guint                *tp,
                                     guint                *fp,
                                     guint                *fn);
/* Macro-F1 over the labels l with include[l] (NULL: all labels); *n_counted (optional) gets
 * how many labels entered the average. */
double assay_xmtc_macro_f1 (const guint    *tp,
                            const guint    *fp,
                            const guint    *fn,
                            guint           n_labels,
                            const gboolean *include,
                            guint          *n_counted);
double assay_xmtc_f1 (guint tp, guint fp, guint fn);

G_END_DECLS
