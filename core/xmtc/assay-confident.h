/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-confident.h: confident learning (Northcutt, Jiang & Chuang, "Confident Learning:
 * Estimating Uncertainty in Dataset Labels", JAIR 2021; the method behind "Pervasive Label Errors
 * in Test Sets"), from out-of-sample predicted probabilities p(k | x) of n examples with given
 * labels y over K classes:
 *
 *   thresholds  t_j = mean of p(j | x) over the examples given j (classes given to no example: +inf)
 *   joint       C[i][j] = #{x given i : p(j | x) >= t_j and j = argmax over such l of p(l | x)}
 *   calibrated  C~[i][j] = C[i][j] / sum_j C[i][j] * n_i  (n_i: examples given i), Q = C~ / sum C~
 *   filters     prune by noise rate: for each i != j, the round(n Q[i][j]) examples given i with
 *               the largest margin p(j | x) - p(i | x);
 *               confident joint: the examples counted off the diagonal of C.
 *   ranking     the examples found, by self-confidence p(y | x) (lowest first) or by normalised
 *               margin p(y | x) - max_{k != y} p(k | x) (lowest first); ties by index.
 * A multi-label corpus is K = 2 per label (has it, has it not). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  ASSAY_CL_PRUNE_BY_NOISE_RATE,
  ASSAY_CL_CONFIDENT_JOINT,
} AssayClFilter;

typedef enum
{
  ASSAY_CL_SELF_CONFIDENCE,
  ASSAY_CL_NORMALIZED_MARGIN,
} AssayClRank;

typedef struct
{
  guint   n, K;
  double *thresholds;  /* K */
  guint  *confident;   /* K x K: C[given][true] */
  double *joint;       /* K x K: Q[given][true], summing to 1 */
  double *quality;     /* n: the ranking's score of every example (lower: more likely wrong) */
  GArray *issues;      /* guint: the examples found, most likely wrong first */
} AssayClResult;

gboolean       assay_cl_parse_filter (const char *name, AssayClFilter *filter);
gboolean       assay_cl_parse_rank (const char *name, AssayClRank *rank);

/* probs: n x K (rows need not sum to 1); given: n labels < K. */
AssayClResult *assay_confident_learning (const double *probs,
                                         const guint  *given,
                                         guint         n,
                                         guint         K,
                                         AssayClFilter filter,
                                         AssayClRank   rank);
void           assay_cl_result_free (AssayClResult *result);
/* One label per example: each row of probs (n x K) scaled to sum to 1 (uniform when it sums to 0) */
void           assay_cl_normalize_rows (double *probs, guint n, guint K);
/* The likeliest class other than given, in one row of K probabilities; -1 unless it is likelier
 * than given */
int            assay_cl_suggested (const double *row, guint K, guint given);

/* Platt scaling: A, B of p = 1 / (1 + exp(A s + B)) fitted to decision values s and labels by
 * the regularised targets and Newton's method with backtracking of Lin, Lin & Weng (2007). */
void           assay_platt_fit (const double   *scores,
                                const gboolean *positive,
                                gsize           n,
                                double         *A,
                                double         *B);
double         assay_platt_prob (double s, double A, double B);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayClResult, assay_cl_result_free)

G_END_DECLS
