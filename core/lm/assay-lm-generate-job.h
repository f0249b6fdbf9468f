/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-lm-generate-job.h: sampling candidates for the prompts of a JSONL file with a local
 * model, on the compute thread (assay-cli lm generate). */
#pragma once

#include "assay-job.h"
#include "assay-lm-generator.h"
#include "assay-shard.h"

G_BEGIN_DECLS

typedef struct
{
  char         *model;  /* model folder */
  char         *input;  /* JSONL: {"id", "prompt"} or {"id", "messages": [{role, content}...]} */
  char         *output; /* JSONL: one line per candidate */
  gboolean      chat;   /* render messages (or a prompt as one user turn) with the chat template */
  AssaySampling sampling;
  guint64       seed;
  int           n;
  int           max_tokens;
  char        **stop;   /* NULL-terminated, or NULL */
  int           max_batch;
  AssayDType    kv_cache;  /* F32 (default) or BF16 */
  AssayShard    shard;     /* n > 0: only this shard's groups of prompts, into shard_out */
  char         *shard_out;
} AssayLmGenerateFileOptions;

void     assay_lm_generate_file_options_clear (AssayLmGenerateFileOptions *options);

/* Reads and encodes every prompt first (a bad line fails before any work), generates, and writes
 * the output next to its final name, renamed into place at the end: a failure or cancellation
 * leaves no output. Result: {"prompts", "candidates", "tokens", "seconds", "tokens_per_second",
 * "backend", "output"}. */
gboolean assay_lm_generate_file (const AssayLmGenerateFileOptions *options,
                                 AssayBackend                     *backend,
                                 void (*progress) (double fraction, const char *message, gpointer data),
                                 gpointer                          progress_data,
                                 GCancellable                     *cancellable,
                                 JsonObject                      **result,
                                 GError                          **error);

AssayJob *assay_lm_generate_job_new (const AssayLmGenerateFileOptions *options);

G_END_DECLS
