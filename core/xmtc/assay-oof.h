/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-oof.h: out-of-fold class probabilities for confident learning (assay-confident.h): the
 * examples are dealt into folds by a seeded shuffle; for each fold a one-vs-rest linear SVM per
 * label (assay-svm.h) is trained on the other folds' rows and gives the fold's decision values;
 * Platt scaling per label, fitted on all out-of-fold values, turns them into probabilities. */
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

G_END_DECLS
