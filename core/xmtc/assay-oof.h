/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-oof.h: out-of-fold class probabilities for confident learning (assay-confident.h): the
 * examples are dealt into folds by a seeded shuffle; for each fold a one-vs-rest linear SVM per
 * label (assay-svm.h) is trained on the other folds' rows and gives the fold's decision values;
 * Platt scaling per label, fitted on all out-of-fold values, turns them into probabilities.
 * Or, from embeddings, logistic regression per fold (assay-logreg.h). */
#pragma once

#include <gio/gio.h>

#include "assay-csr.h"
#include "assay-svm.h"

G_BEGIN_DECLS

/* x: n rows (normalised features); labels of example i: labels[offsets[i] .. offsets[i + 1]).
 * Returns n x L probabilities (each label's own Platt curve; rows do not sum to 1), g_free; NULL
 * when cancelled. threads > 0. */
double *assay_oof_probabilities (AssayCsr              *x,
                                 const gsize           *offsets,
                                 const guint           *labels,
                                 guint                  n,
                                 guint                  L,
                                 guint                  folds,
                                 const AssaySvmOptions *svm,
                                 guint64                seed,
                                 int                    threads,
                                 void (*progress) (double fraction, const char *message, gpointer data),
                                 gpointer               data,
                                 GCancellable          *cancellable,
                                 GError               **error);

/* The same from logistic regression on dense rows x (n x dim: embeddings), the folds dealt as
 * above (the same seed gives the same folds), each column standardised by its fold's training
 * rows: one_label, a softmax over the L labels (rows sum to 1; every example has exactly one
 * label); otherwise an independent sigmoid per label. C: the inverse L2 strength
 * (assay-logreg.h). NULL when cancelled. */
double *assay_oof_probabilities_dense (const float  *x,
                                       guint         dim,
                                       const gsize  *offsets,
                                       const guint  *labels,
                                       guint         n,
                                       guint         L,
                                       guint         folds,
                                       gboolean      one_label,
                                       double        C,
                                       guint64       seed,
                                       void (*progress) (double fraction, const char *message, gpointer data),
                                       gpointer      data,
                                       GCancellable *cancellable,
                                       GError      **error);

G_END_DECLS
