/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-svm.h: L2-regularised linear SVMs by dual coordinate descent (Hsieh et al. 2008, as in
 * LIBLINEAR's solve_l2r_l1l2_svc, with shrinking), for many one-vs-rest problems on one matrix.
 *
 *   min_w  1/2 |w|^2 + C sum_i loss(y_i w.x_i),  loss = max(0, 1 - m) or max(0, 1 - m)^2
 *
 * x_i gets an extra constant feature `bias` whose weight is the (regularised) bias, as
 * LIBLINEAR -B. Problems are solved eight at a time on shared passes over the data; each keeps
 * its own dual variables, shrinking bounds and stopping test (max - min projected gradient
 * <= eps over a pass on the full set). */
#pragma once

#include <glib.h>

#include "assay-csr.h"

G_BEGIN_DECLS

typedef enum
{
  ASSAY_SVM_HINGE,
  ASSAY_SVM_SQUARED_HINGE,
} AssaySvmLoss;

typedef struct
{
  AssaySvmLoss loss;
  double       C;
  double       eps;      /* stopping tolerance (LIBLINEAR's default for dual solvers: 0.1) */
  guint        max_iter; /* passes over the data */
  float        bias;     /* value of the bias feature; <= 0: no bias */
  guint64      seed;
} AssaySvmOptions;

typedef struct
{
  guint  max_passes; /* the largest number of passes any problem needed */
  guint  not_converged; /* problems stopped by max_iter */
} AssaySvmStats;

/* Progress: problems finished so far. Called from worker threads. */
typedef void (*AssaySvmProgress) (guint done, guint total, gpointer user_data);

void     assay_svm_options_init (AssaySvmOptions *options);

/* Trains n_problems binary problems on the rows of x. positives[p] lists the rows (sorted
 * ascending) labelled +1 in problem p; all others are -1. weights receives n_problems rows of
 * (x->n_cols + 1) floats: the weights then the bias weight. Runs on n_threads threads.
 * Returns FALSE if *cancel became non-zero. */
gboolean assay_svm_train (const AssayCsr        *x,
                          guint                  n_problems,
                          const guint32 *const  *positives,
                          const guint           *n_positives,
                          const AssaySvmOptions *options,
                          int                    n_threads,
                          float                 *weights,
                          AssaySvmStats         *stats,
                          AssaySvmProgress       progress,
                          gpointer               progress_data,
                          volatile gint         *cancel);

/* The primal objective of w (n_cols + 1 floats, bias last) for one problem, in float64. */
double   assay_svm_primal_objective (const AssayCsr        *x,
                                     const guint32         *positives,
                                     guint                  n_positives,
                                     const AssaySvmOptions *options,
                                     const float           *w);

G_END_DECLS
