/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-cpd-metrics.h: change-point metrics.
 *
 * AUC      ROC AUC of a per-step score against the true change steps (Mann-Whitney, ties 1/2).
 * TRI      Triangle Utility max(0, 1 - |ŷ - l| / w) of the predicted step ŷ against l.
 * DIST     |ŷ - l|.
 * F1       TCPDBench's F-measure: 0 is added to every set; precision counts true positives
 *          against the union of the annotators (margin 5, no double counting), recall is the
 *          mean over annotators.
 * Cover    TCPDBench's covering: mean over annotators of Σ_A |A| max_A' J(A, A') / T, the
 *          segmentations given by the change steps (Arbelaez et al. 2010, eq. 8). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

double assay_cpd_auc (const float *score, guint T, const guint *positives, guint n_positives);
double assay_cpd_tri (guint predicted, guint truth, double w);
/* annotations: n_annotators arrays of steps (GArray of guint) */
double assay_cpd_f1 (GPtrArray   *annotations,
                     const guint *predicted,
                     guint        n_predicted,
                     guint        margin,
                     double      *precision,
                     double      *recall);
double assay_cpd_cover (GPtrArray *annotations, const guint *predicted, guint n_predicted, guint T);

G_END_DECLS
