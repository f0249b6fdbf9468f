/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-trace-credit.h: a credit run: every trace of the workspace (or of one dataset) scored
 * token by token under a policy and its reference model, on the compute thread; the per-token
 * log-probs, credit, steps, step rewards and predicted first errors are stored with the run, and
 * the run's metrics are those of assay_trace_eval. With a shard, the workspace is only read and
 * the shard's rows go to a shard file (assay-shard.h); the job's result is then
 * {"shard_out", "k", "n", "batches", "traces", "tokens", "seconds", ...}. */
#pragma once

#include "assay-job.h"
#include "assay-merge-context.h"
#include "assay-shard.h"
#include "assay-store.h"

G_BEGIN_DECLS

typedef struct
{
  char  *policy;       /* model folder */
  char  *reference;    /* model folder */
  gint64 dataset;      /* 0: every dataset */
  int    batch_tokens; /* tokens per forward pass (default 4096) */
  int    limit;        /* at most this many records (0: all), in id order */
  AssayShard shard;    /* n > 0: only this shard's batches, written to shard_out */
  char  *shard_out;
} AssayTraceCreditOptions;

void      assay_trace_credit_options_clear (AssayTraceCreditOptions *options);

/* The kinds of records that are traces. */
#define ASSAY_TRACE_KINDS_SQL "('trace', 'pair')"

/* The text a response is scored after: the prompt, and a blank line unless the prompt ends in
 * white space (or is empty). */
char     *assay_trace_context (const char *prompt);

gboolean  assay_trace_credit (AssayStore                    *store,
                              const AssayTraceCreditOptions *options,
                              AssayBackend                  *backend,
                              void (*progress) (double fraction, const char *message, gpointer data),
                              gpointer                       progress_data,
                              GCancellable                  *cancellable,
                              JsonObject                   **result,
                              GError                       **error);

/* Merges shards of a credit run (verb "traces credit"): the rows, then the threshold and
 * first errors over all rows merged so far. */
gboolean  assay_trace_credit_merge (AssayMergeContext *ctx, GError **error);

/* Result: {"run", "traces", "tokens", "seconds", "tokens_per_second", "backend", "threshold"} */
AssayJob *assay_trace_credit_job_new (const AssayTraceCreditOptions *options);

G_END_DECLS
