/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-lm-jobs.h: scoring (prompt, response) pairs from a JSONL file with one or two models, on
 * the compute thread. */
#pragma once

#include "assay-job.h"
#include "assay-lm-model.h"
#include "assay-merge-context.h"
#include "assay-shard.h"

G_BEGIN_DECLS

typedef struct
{
  char *policy;      /* model folder */
  char *reference;   /* second model folder, or NULL */
  char *input;       /* JSONL: {"id", "prompt", "response"} per line */
  char *output;      /* JSONL: the input lines plus tokens, token_ids, logprobs (, ref_logprobs) */
  int   batch_tokens; /* tokens per forward pass (default 4096) */
  AssayShard shard;   /* n > 0: only this shard's batches, into shard_out (output unused) */
  char *shard_out;
} AssayLmScoreOptions;

void      assay_lm_score_options_clear (AssayLmScoreOptions *options);

/* The work itself (also used by benchmarks): reads, tokenizes, scores in batches, writes the
 * output next to its final name and renames it into place at the end. */
gboolean  assay_lm_score_file (const AssayLmScoreOptions *options,
                               AssayBackend              *backend,
                               void (*progress) (double fraction, const char *message, gpointer data),
                               gpointer                   progress_data,
                               GCancellable              *cancellable,
                               JsonObject               **result,
                               GError                   **error);

/* Writes the lines of the shards of "lm score" (or any verb whose shards hold shard_lines) to
 * ctx->output in the order one run writes them. */
gboolean  assay_lm_lines_merge (AssayMergeContext *ctx, GError **error);

/* Takes the options (copied). Result: {"sequences", "tokens", "seconds", "tokens_per_second",
 * "backend", "output"} */
AssayJob *assay_lm_score_job_new (const AssayLmScoreOptions *options);

G_END_DECLS
