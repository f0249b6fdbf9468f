/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-logreg.h: L2-regularised logistic regression on dense rows (embeddings), fitted by
 * L-BFGS, in scikit-learn's formulation: minimise C * sum_i loss_i + 1/2 ||W||^2 (the intercepts
 * are not penalised).
 *
 * Softmax: K classes, one label per example, p(k | x) = softmax(W x + b)_k
 * (LogisticRegression(multi_class="multinomial")). Sigmoid: K independent outputs, each example
 * carrying any number of them, p(k | x) = sigmoid(w_k x + b_k) (one binary LogisticRegression per
 * output: the problems are separate, fitted at once). Everything is computed in float64 (the rows
 * widened block by block, the products by BLAS). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  ASSAY_LOGREG_SOFTMAX,
  ASSAY_LOGREG_SIGMOID,
} AssayLogregKind;

typedef struct
{
  double C;        /* 1 */
  guint  max_iter; /* 300 */
  double tol;      /* stop when max |gradient| of the per-example mean objective falls below it (1e-6) */
  guint  block_rows; /* rows widened to float64 at a time (0: all of them up to 128 MB) */
} AssayLogregOptions;

typedef struct
{
  AssayLogregKind kind;
  guint           K, dim;
  double         *w;         /* K x dim */
  double         *b;         /* K */
  guint           iterations;
  double          objective; /* C * sum loss + 1/2 ||W||^2 at the end */
} AssayLogreg;

void         assay_logreg_options_init (AssayLogregOptions *options);

/* Fits on the n rows of x (n x dim) listed in rows (NULL: all), example i's labels being
 * labels[offsets[i] .. offsets[i + 1]) (softmax: exactly one each, every class below K). */
AssayLogreg *assay_logreg_fit          (AssayLogregKind           kind,
                                        const float              *x,
                                        guint                     dim,
                                        const guint              *rows,
                                        guint                     n,
                                        const gsize              *offsets,
                                        const guint              *labels,
                                        guint                     K,
                                        const AssayLogregOptions *options);
/* p (n x K) for the n rows of x listed in rows (NULL: the first n). */
void         assay_logreg_predict      (const AssayLogreg *model,
                                        const float       *x,
                                        const guint       *rows,
                                        guint              n,
                                        double            *p);
void         assay_logreg_free         (AssayLogreg *model);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayLogreg, assay_logreg_free)

G_END_DECLS
