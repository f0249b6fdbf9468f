/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-lm-pair.h: a policy model and, optionally, its reference, opened together (one
 * tokenizer, one vocabulary), and responses scored under both: the work shared by `lm score`
 * and the credit runs of traces. */
#pragma once

#include <gio/gio.h>

#include "assay-lm-model.h"
#include "assay-shard.h"

G_BEGIN_DECLS

/* One response in its context, tokenized as [BOS] context response. */
typedef struct
{
  GArray *ids;     /* int */
  GArray *offsets; /* guint pairs: the response's tokens in the response text (when asked) */
  int     first;   /* position of the response's first token */
  int     start;   /* first scored position: max (first, 1), at most the length */
  float  *lp;      /* log-probs of positions start .. length - 1 under the policy */
  float  *ref_lp;  /* the same under the reference (NULL without one) */
  float  *certainty; /* self-certainty of the policy's distribution at the same positions (when
                      * asked: assay_lm_pair_set_certainty) */
} AssayLmText;

void assay_lm_text_clear (AssayLmText *text);
/* Positions scored (length - start). */
int  assay_lm_text_scored (const AssayLmText *text);

typedef struct _AssayLmPair AssayLmPair;

/* reference may be NULL. Errors name the folder without a tokenizer, or both folders when their
 * vocabularies differ. */
AssayLmPair      *assay_lm_pair_open (const char *policy, const char *reference, GError **error);
void              assay_lm_pair_free (AssayLmPair *self);
AssayLmTokenizer *assay_lm_pair_tokenizer (AssayLmPair *self);
gboolean          assay_lm_pair_has_reference (AssayLmPair *self);
/* Also the policy's self-certainty at every scored position (assay-lm-scorer.h) */
void              assay_lm_pair_set_certainty (AssayLmPair *self, gboolean certainty);

/* Tokenizes context and response apart and joins them (offsets: keep the response's). */
gboolean          assay_lm_pair_encode (AssayLmPair *self, const char *context, const char *response,
                                        gboolean offsets, AssayLmText *text, GError **error);

/* Loads both models on backend (refused before anything is allocated when they and a batch do
 * not fit), for batches of at most *budget tokens (0: 4096), raised to the longest of the texts
 * (the value used is left in *budget). */
gboolean          assay_lm_pair_load (AssayLmPair        *self,
                                      AssayBackend       *backend,
                                      AssayLmText *const *texts,
                                      guint               n,
                                      int                *budget,
                                      GError            **error);
/* The texts [*begin, *end) of shard of a run over these texts: whole batches of budget tokens as
 * the scorer forms them (*n_batches in all, the shard's [*b0, *b1)). */
void              assay_lm_pair_shard (AssayLmText *const *texts,
                                       guint               n,
                                       int                 budget,
                                       const AssayShard   *shard,
                                       guint              *begin,
                                       guint              *end,
                                       guint              *n_batches,
                                       guint              *b0,
                                       guint              *b1);
/* Scores every text with the policy, then with the reference, in batches of budget tokens.
 * Progress runs from base to base + share, half per model. */
gboolean          assay_lm_pair_score (AssayLmPair        *self,
                                       AssayLmText *const *texts,
                                       guint               n,
                                       int                 budget,
                                       void (*progress) (double fraction, const char *message, gpointer data),
                                       gpointer            progress_data,
                                       double              base,
                                       double              share,
                                       GCancellable       *cancellable,
                                       GError            **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayLmPair, assay_lm_pair_free)

G_END_DECLS
