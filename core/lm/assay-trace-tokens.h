/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-trace-tokens.h: the token credit of one trace under one credit run (a trace_tokens row):
 * each token's byte range in the response, its log-prob under the policy and the reference, the
 * credit r_i (DESIGN.md §6.5), the steps with their rewards and the predicted first error. */
#pragma once

#include "assay-credit.h"
#include "assay-store.h"

G_BEGIN_DECLS

typedef struct
{
  gint64     run;
  gint64     record;
  int        side;          /* 0: the record's text (a pair's chosen side), 1: a pair's rejected */
  int        n_tokens;
  guint     *offsets;       /* 2 per token: begin, end byte in the response */
  float     *logprobs;      /* NaN: not scored */
  float     *ref_logprobs;
  double    *credit;        /* r_i, NaN where not scored */
  double     reward;        /* R */
  double     mean;          /* of the finite r_i */
  int        n_steps;
  AssaySpan *steps;
  double    *step_rewards;
  int        first_error;   /* predicted, -1: none */
  double     certainty;     /* the policy's mean self-certainty over the scored tokens, NaN: none */
} AssayTraceTokens;

/* Takes offsets, logprobs and ref_logprobs; computes credit, reward and mean. Steps may be set
 * with assay_trace_tokens_set_steps. */
AssayTraceTokens *assay_trace_tokens_new (int n_tokens, guint *offsets, float *logprobs,
                                          float *ref_logprobs);
/* Takes the spans (n of them); computes the step rewards. */
void              assay_trace_tokens_set_steps (AssayTraceTokens *self, AssaySpan *steps, int n);
void              assay_trace_tokens_free (AssayTraceTokens *self);

/* ASSAY_ERROR_NOT_FOUND when the run did not score this record's side. */
AssayTraceTokens *assay_trace_tokens_load (AssayStore *store, gint64 run, gint64 record, int side,
                                           GError **error);
/* Inserts or replaces the row (run, record, side). */
gboolean          assay_trace_tokens_save (AssayStore *store, const AssayTraceTokens *self,
                                           GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayTraceTokens, assay_trace_tokens_free)

G_END_DECLS
