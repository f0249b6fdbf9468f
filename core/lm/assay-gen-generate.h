/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-gen-generate.h: a prompt template answered by a local model inside Assay (assay-cli gen
 * generate, the Generations page's Generate… dialog): each selected record is filled into the
 * template and the model's answers become records (or, for the judge, ratings) exactly as
 * answers imported from a model server would, with their provenance in params: the model folder
 * and the SHA-256 of its config.json, the template and the SHA-256 of its text, the sampling
 * settings, the seed, the candidate number and why its generation ended. Records are stored as
 * each group of prompts finishes (one transaction each): cancelling keeps those, and never a
 * half-written one. */
#pragma once

#include "assay-gen-query.h"
#include "assay-job.h"
#include "assay-lm-sampler.h"
#include "assay-merge-context.h"
#include "assay-shard.h"

G_BEGIN_DECLS

typedef struct
{
  char           *model;         /* model folder */
  char           *template_name; /* a template of assay-gen-prompts.h */
  AssayGenFilter *filter;        /* the records asked about (owned copy) */
  int             n;             /* answers per record (1 for the judge) */
  AssaySampling   sampling;
  guint64         seed;
  int             max_tokens;
  gboolean        chat;          /* through the model's chat template */
  int             limit;         /* at most this many records (0: all) */
  int             max_batch;     /* candidates decoded at once (0: 64) */
  AssayShard      shard;         /* n > 0: only this shard's groups of records, into shard_out */
  char           *shard_out;
} AssayGenGenerateOptions;

void      assay_gen_generate_options_clear (AssayGenGenerateOptions *options);

/* Result: {"dataset" (0 when only ratings), "records", "rated", "unrated", "prompts", "tokens",
 * "seconds", "tokens_per_second", "backend", "model", "template"} */
gboolean  assay_gen_generate (AssayStore                    *store,
                              const AssayGenGenerateOptions *options,
                              AssayBackend                  *backend,
                              void (*progress) (double fraction, const char *message, gpointer data),
                              gpointer                       progress_data,
                              GCancellable                  *cancellable,
                              JsonObject                   **result,
                              GError                       **error);

/* Merges shards of "gen generate": the answers into one dataset, a judge's ratings into the
 * records' scores, after checking that the records answered are this workspace's, unchanged. */
gboolean  assay_gen_generate_merge (AssayMergeContext *ctx, GError **error);

AssayJob *assay_gen_generate_job_new (const AssayGenGenerateOptions *options);

G_END_DECLS
