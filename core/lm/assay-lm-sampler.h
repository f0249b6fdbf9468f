/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-lm-sampler.h: drawing the next token from a row of logits, as transformers' generate()
 * does: repetition penalty, then temperature, top-k, top-p and min-p, then a draw. Each sampler
 * has its own random stream (xoshiro256** seeded by SplitMix64 from seed and stream), so a
 * candidate's tokens depend on its seed alone, not on what else is in the batch. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  double temperature;        /* 0: greedy (argmax) */
  int    top_k;              /* 0: every token */
  double top_p;              /* 1: every token */
  double min_p;              /* 0: off */
  double repetition_penalty; /* 1: off; > 1 lowers tokens already in the sequence */
} AssaySampling;

#define ASSAY_SAMPLING_DEFAULT ((AssaySampling) { 1.0, 0, 1.0, 0.0, 1.0 })

typedef struct _AssayLmSampler AssayLmSampler;

/* NULL and an error naming the setting when one is out of range. */
gboolean        assay_sampling_check (const AssaySampling *sampling, GError **error);
AssayLmSampler *assay_lm_sampler_new (const AssaySampling *sampling, guint64 seed, guint64 stream,
                                      int vocab);
void            assay_lm_sampler_free (AssayLmSampler *self);

/* Draws a token from logits (vocab floats). history: the sequence so far (prompt and generated)
 * for the repetition penalty. lp_sample: log-probability of the token under the distribution it
 * was drawn from (0 for greedy); lp_model: under the model itself, softmax(logits) at T = 1. */
int             assay_lm_sampler_draw (AssayLmSampler *self,
                                       const float    *logits,
                                       const int      *history,
                                       int             n_history,
                                       double         *lp_sample,
                                       double         *lp_model);
/* log softmax(logits)[token] in float64. */
double          assay_lm_logprob (const float *logits, int vocab, int token);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayLmSampler, assay_lm_sampler_free)

G_END_DECLS
