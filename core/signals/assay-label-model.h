/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-label-model.h: a generative label model over labelling functions that may abstain
 * (Dawid & Skene 1979, two classes), fitted by EM without labels; labels where known (the
 * reviewer's decisions) fix those records' classes (semi-supervised EM).
 *
 * Record i, class y_i in {0 bad, 1 good}, prior pi = P(y = 1). Function j answers one of
 * n_cat[j] categories, or abstains (-1); abstaining is a category of its own, so a function that
 * only ever votes "bad" still says something when it stays silent. Functions are independent
 * given the class: P(v_j = k | y) = theta_j[y][k], k = abstain, 0 .. n_cat[j] - 1.
 *
 * EM: q_i = P(y_i = 1 | votes) starts from the majority of the "good"/"bad" leaning categories
 * (the `lean` of each category: -1 bad, +1 good, 0 none); the M-step takes
 * theta_j[y][k] = (sum_i q_iy [v_ij = k] + s) / (sum_i q_iy + s (n_cat[j] + 1)), s = smoothing
 * (a Dirichlet prior, 1 by default), pi = (sum_i q_i1 + s) / (n + 2 s); the E-step
 * log q_iy = log pi_y + sum_j log theta_j[y][v_ij], normalised; until no q changes by more
 * than tol. Known records keep q = their label through every step; with known labels of both
 * classes EM also starts from the model of the known records alone, and the start that ends
 * with the higher likelihood wins (a few labels keep EM off the mirror-image solution).
 *
 * Dependent functions (one copying another's mistakes) break the model's independence and
 * inflate both functions' accuracies. After a fit, the pair whose joint answers depart most
 * from the model's prediction (G statistic per record, 2/n sum O ln(O/E), above `dependence`)
 * becomes one factor whose categories are the pairs of answers; refit, and again, while at
 * least three factors stay (or 20 labels are known). A function's theta is then its factor's
 * summed over the other member.
 *
 * Each function's accuracy is that of its decision rule: a category votes "good" when
 * P(y = 1 | v_j = k) > 1/2 under the fitted model; accuracy = P(rule's vote = y | v_j not
 * abstain) = sum_k max_y pi_y theta_j[y][k] / sum_k sum_y pi_y theta_j[y][k]. For a two-category
 * function whose categories are (bad, good) and which is better than chance, this is
 * P(v = y | voted), the usual labelling-function accuracy. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint        n;          /* records */
  guint        m;          /* functions */
  const gint8 *votes;      /* n x m, row-major: -1 abstain, else a category 0 .. n_cat[j] - 1 */
  const guint *n_cat;      /* m: categories of each function (2 .. 127) */
  const gint8 *lean;       /* sum over j of n_cat[j]: each category's leaning for the start
                            * (-1 bad, 0 none, +1 good), functions one after the other */
  const gint8 *known;      /* n, or NULL: -1 unknown, 0 bad, 1 good (fixed) */
} AssayLabelVotes;

typedef struct
{
  double smoothing;        /* 1 */
  double tol;              /* 1e-9 */
  guint  max_iter;         /* 1000 */
  double dependence;       /* 0.02: pairs whose joint answers depart from the model by more than
                            * this G statistic per record are modelled jointly; 0: never */
  gboolean matrix_completion; /* FALSE: Dawid-Skene EM as above; TRUE: Snorkel's matrix-completion
                            * model instead (conditionally independent functions; see
                            * assay-label-model.c) */
  double   class_balance;  /* matrix completion: P(good), as Snorkel takes it; NaN: the known
                            * labels' share when 20 or more are known, else 1/2 */
} AssayLabelModelOptions;

typedef struct
{
  guint   n, m;
  double  prior;           /* pi */
  double *p_good;          /* n: P(y_i = 1 | votes), or the label where known */
  guint  *n_cat;           /* m: as given */
  guint  *offset;          /* m + 1: sum of (n_cat + 1) over the functions before j */
  double *theta;           /* P(v_j = k | y) at [2 * offset[j] + y * (n_cat[j] + 1) + k + 1],
                            * k = -1 (abstain) .. n_cat[j] - 1; use assay_label_model_theta */
  double *accuracy;        /* m: accuracy of the function's decision rule (NaN: never votes) */
  double *coverage;        /* m: share of records where it does not abstain */
  guint   iterations;
  gboolean converged;
  double  loglik;          /* log-likelihood of the votes (and known labels); matrix completion:
                            * minus its loss */
  GArray *dependent;       /* guint pairs of functions modelled jointly */
} AssayLabelModel;

void             assay_label_model_options_init (AssayLabelModelOptions *options);
/* NULL with error when the votes are malformed (a category out of range, no records). */
AssayLabelModel *assay_label_model_fit (const AssayLabelVotes        *votes,
                                        const AssayLabelModelOptions *options,
                                        GError                      **error);
/* P(v_j = k | y); k = -1 abstain */
double           assay_label_model_theta (const AssayLabelModel *model, guint j, int y, int k);
/* P(y = 1 | v_j = k) under the model (the function alone) */
double           assay_label_model_category_good (const AssayLabelModel *model, guint j, int k);
void             assay_label_model_free (AssayLabelModel *model);

/* Area under the ROC curve of scores against 0/1 truth (ties count half); NaN scores and
 * truth < 0 are left out; NaN when either class is empty. */
double           assay_auroc (const double *score, const gint8 *truth, guint n);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayLabelModel, assay_label_model_free)

G_END_DECLS
