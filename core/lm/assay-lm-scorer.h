/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-lm-scorer.h: teacher-forced forward passes over packed batches of token sequences,
 * giving log p(y_i | y_<i) for the scored tail of each sequence. The full logits tensor is never
 * stored: the output layer runs over chunks of rows, each reduced by a log-sum-exp at once. */
#pragma once

#include <gio/gio.h>

#include "assay-lm-model.h"

G_BEGIN_DECLS

typedef struct _AssayLmScorer AssayLmScorer;

typedef struct
{
  const int *ids;   /* tokens of the sequence (prompt then response) */
  int        len;
  int        start; /* first scored position, >= 1: ids[start..len-1] get log-probs */
  float     *certainty; /* NULL, or len - start values: the self-certainty of each scored
                         * position's distribution, KL(U || p) = -log V - (1/V) sum_j log p_j
                         * ("Scalable Best-of-N Selection via Self-Certainty") */
} AssayLmSequence;

/* The model must be uploaded to its backend; the scorer uses that backend. */
AssayLmScorer *assay_lm_scorer_new (AssayLmModel *model);
void           assay_lm_scorer_free (AssayLmScorer *self);

/* Bytes of activations for a batch of `tokens` tokens whose longest sequence has max_len. */
guint64        assay_lm_scorer_activation_bytes (const AssayLmConfig *config,
                                                 AssayBackendKind     kind,
                                                 int                  tokens,
                                                 int                  max_len);

/* Scores n sequences in one batch. out[s] receives len - start floats (caller's memory). Buffers
 * are kept for the next batch and grow only when a batch needs more. */
gboolean       assay_lm_scorer_run (AssayLmScorer         *self,
                                    const AssayLmSequence *seqs,
                                    int                    n,
                                    float *const          *out,
                                    GError               **error);

/* The batches run_batches makes of sequences of these lengths: *n_batches + 1 indices, batch b
 * being [plan[b], plan[b + 1]). Free with g_free. Shards split work along them, so that each
 * sequence is computed in the same batch as in one run. */
guint         *assay_lm_batch_plan (const int *lengths, guint n, int budget, guint *n_batches);

/* Scores n sequences in batches of at most budget tokens (a longer sequence goes alone), in
 * order; sequences with nothing to score are skipped. done(k) is told after each batch how many
 * of the n are finished. Cancellation is checked between batches. */
gboolean       assay_lm_scorer_run_batches (AssayLmScorer         *self,
                                            const AssayLmSequence *seqs,
                                            int                    n,
                                            int                    budget,
                                            float *const          *out,
                                            void (*done) (int finished, gpointer data),
                                            gpointer               data,
                                            GCancellable          *cancellable,
                                            GError               **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayLmScorer, assay_lm_scorer_free)

G_END_DECLS
