/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-credit.h: token-level DPO credit and what is built on it (DESIGN.md §6.5): token credit
 * r_i = log pi(y_i) - log pi_ref(y_i), sequence reward R, step rewards, the predicted first
 * erroneous step, ProcessBench F1, the DPO loss, re-ranking of N candidates, and DPO pairs. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint begin; /* byte offsets into the response, end exclusive */
  guint end;
} AssaySpan;

/* r_i (n doubles, g_free). Entries where either log-prob is NaN (unscored) are NaN. */
double *assay_credit_tokens (const float *logprobs, const float *ref_logprobs, int n);
/* Sum and mean over the finite entries (0 when none). */
double  assay_credit_sum (const double *r, int n);
double  assay_credit_mean (const double *r, int n);

/* Step spans of a response: the given steps found in order (an error names the first one that
 * is not in the text), or else split before each "Step k:" when the text has them, or else at
 * line breaks (blank lines and surrounding white space are not steps). */
GArray *assay_credit_steps (const char        *response,
                            const char *const *steps,
                            GError           **error);
/* Step reward = sum of r_i over the tokens that start in the step; a token starting between two
 * steps counts to the step before it, one before the first step to the first. */
double *assay_credit_step_rewards (const double    *r,
                                   const guint     *token_offsets, /* 2 per token: begin, end */
                                   int              n_tokens,
                                   const AssaySpan *steps,
                                   int              n_steps);
/* Index of the first step whose reward is below threshold, or -1. */
int     assay_credit_first_error (const double *step_rewards, int n_steps, double threshold);

typedef struct
{
  double f1;            /* harmonic mean of the two accuracies */
  double acc_erroneous; /* samples with label >= 0: predicted == label */
  double acc_correct;   /* samples with label == -1: predicted == -1 */
  int    n_erroneous;
  int    n_correct;
} AssayProcessBenchScore;

AssayProcessBenchScore assay_processbench_score (const int *labels, const int *predicted, int n);
/* The threshold with the best ProcessBench F1 on labelled traces (ties: the smallest), over the
 * midpoints between distinct step rewards (and below/above them all). */
double  assay_credit_calibrate (const double *const   *step_rewards,
                                const int             *n_steps,
                                const int             *labels,
                                int                    n,
                                AssayProcessBenchScore *score);

/* -log sigmoid(beta * ((log pi(y_w) - log pi_ref(y_w)) - (log pi(y_l) - log pi_ref(y_l)))),
 * written with the rewards R_w and R_l; computed without overflow. */
double  assay_dpo_loss (double reward_chosen, double reward_rejected, double beta);

typedef enum
{
  ASSAY_RERANK_MAJORITY,  /* the most frequent answer */
  ASSAY_RERANK_BEST_OF_N, /* the answer of the candidate with the largest R */
  ASSAY_RERANK_WEIGHTED,  /* the answer with the largest sum of softmax(R) */
} AssayRerank;

/* The chosen answer among n candidates (answers normalised; NULL = no answer, never chosen),
 * or -1 when no candidate has an answer: the index of the first candidate giving it. Ties go to
 * the answer seen first. */
int     assay_rerank (const char *const *answers, const double *rewards, int n, AssayRerank method);

/* One curve of re-ranking against N: a member name, the rule, and each candidate's score (NULL
 * for majority voting) */
typedef struct
{
  const char   *key;
  AssayRerank   method;
  const double *scores;
} AssayRerankCurve;

/* Re-ranking against N over questions: groups holds, per question, a GArray of candidate indices
 * (guint) in their order; answers (normalised, NULL: none) and correct (1, 0) are per candidate.
 * For N = 1, 2, 4, ... and the largest group, over the questions with at least N candidates and
 * their first N: the accuracy of each curve's choice (assay_rerank) and the share with any
 * correct candidate. {"questions", "n": [..], <key>: [..] per curve, "any_correct": [..]}, or NULL
 * when no question has two candidates or more. */
JsonObject *assay_rerank_curves (GPtrArray              *groups,
                                 const char *const      *answers,
                                 const int              *correct,
                                 const AssayRerankCurve *curves,
                                 guint                   n_curves);

/* DPO pairs from candidates of one question (DESIGN.md §6.5): none unless the share of correct
 * candidates lies in [0.25, 0.85]; else up to max_pairs distinct (correct, wrong) index pairs
 * drawn with seed. Returns pairs as 2 ints each. */
GArray *assay_credit_pairs (const gboolean *correct, int n, guint64 seed, int max_pairs);

G_END_DECLS
