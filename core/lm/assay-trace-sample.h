/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-trace-sample.h: reasoning candidates sampled inside Assay (thesis ch.7 §7.3.3; assay-cli
 * traces sample): N candidates per question of the workspace's traces, each answer extracted
 * (after "### Answer:", else \boxed{}, else "The answer is") and checked against the question's
 * ground truth, stored as traces of a new dataset; then the DPO pairs of DESIGN.md §6.5 (questions
 * whose share of correct candidates lies in [0.25, 0.85], up to 3 (correct, wrong) pairs each)
 * as pair records of a second dataset, exportable with gen export --format trl-dpo.
 *
 * A question's ground truth: the answer its traces carry (imported from answer / ground_truth /
 * reference), else the answer extracted from a trace known correct (ProcessBench's
 * final_answer_correct). Questions with neither are left out and counted. */
#pragma once

#include "assay-job.h"
#include "assay-lm-sampler.h"
#include "assay-merge-context.h"
#include "assay-shard.h"
#include "assay-store.h"

G_BEGIN_DECLS

#define ASSAY_TRACE_SAMPLE_INSTRUCTION                                                             \
  "Solve the problem step by step, one step per paragraph, and end with a line \"### Answer: \" " \
  "followed by the final answer alone."

typedef struct
{
  char         *model;      /* model folder */
  gint64        dataset;    /* questions of this traces dataset (0: every dataset) */
  int           n;          /* candidates per question */
  AssaySampling sampling;
  guint64       seed;
  int           max_tokens;
  gboolean      chat;
  int           limit;      /* at most this many questions (0: all) */
  int           max_batch;
  AssayShard    shard;      /* n > 0: only this shard's groups of questions, into shard_out */
  char         *shard_out;
} AssayTraceSampleOptions;

void      assay_trace_sample_options_clear (AssayTraceSampleOptions *options);

/* The prompt a question is asked with. */
char     *assay_trace_sample_prompt (const char *question);

typedef struct
{
  gint64 dataset;       /* the candidates */
  gint64 pairs_dataset; /* 0 when no question gave a pair */
  guint  correct;
  guint  pairs;
} AssayTraceSampleStored;

/* Checks and stores candidates (texts: n per question, question-major; finish and tokens may be
 * NULL) with the run's provenance, and their pairs, in one transaction. */
gboolean  assay_trace_sample_store (AssayStore                    *store,
                                    const AssayTraceSampleOptions *options,
                                    const char *const             *questions,
                                    const char *const             *truths,
                                    guint                          n_questions,
                                    const char *const             *texts,
                                    const char *const             *finish,
                                    const guint                   *tokens,
                                    AssayTraceSampleStored        *stored,
                                    GError                       **error);

/* Result: {"dataset", "pairs_dataset" (0 without pairs), "questions", "candidates", "correct",
 * "pairs", "no_ground_truth", "tokens", "seconds", "tokens_per_second", "backend"} */
gboolean  assay_trace_sample (AssayStore                    *store,
                              const AssayTraceSampleOptions *options,
                              AssayBackend                  *backend,
                              void (*progress) (double fraction, const char *message, gpointer data),
                              gpointer                       progress_data,
                              GCancellable                  *cancellable,
                              JsonObject                   **result,
                              GError                       **error);

/* Merges shards of "traces sample": the candidates and pairs into their two datasets. */
gboolean  assay_trace_sample_merge (AssayMergeContext *ctx, GError **error);

AssayJob *assay_trace_sample_job_new (const AssayTraceSampleOptions *options);

G_END_DECLS
