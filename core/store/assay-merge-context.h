/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-merge-context.h: what a verb's merge function gets (assay-merge.h drives it): the
 * workspace (in the merge's transaction), the shards to merge now in K order, the merged run or
 * dataset made by an earlier merge of the same run (0: none yet; the function makes it), and
 * the summaries of every shard merged once this merge is done. */
#pragma once

#include "assay-shard.h"
#include "assay-store.h"

G_BEGIN_DECLS

typedef struct
{
  AssayStore      *store;
  AssayShardFile **shards;     /* to merge now, K ascending */
  guint            n_shards;
  JsonObject      *provenance; /* the run's (every shard's) */
  guint            n;          /* shards in all */
  GPtrArray       *summaries;  /* JsonObject: every shard merged, earlier ones included */
  GArray          *merged;     /* guint: the K of every shard merged, ascending */
  gint64           run;        /* in/out: the merged run (0: make it) */
  gint64           dataset;    /* in/out: the merged dataset, for verbs that make one */
  char            *output;     /* for verbs whose result is a file (lm score, lm generate) */
} AssayMergeContext;

/* The run's params as one run would have them, with "shards": N and "run_key". */
JsonObject *assay_merge_params (AssayMergeContext *ctx);
/* The backend of the shards ("several" when they differ) */
const char *assay_merge_backend (AssayMergeContext *ctx);
/* Adds "shards": "K of N merged" and "shards_missing": [k...] (when some are) to a metrics object. */
void        assay_merge_describe (AssayMergeContext *ctx, JsonObject *metrics);

/* For verbs that make datasets of records: copies the gen_records of each shard's nth dataset
 * (by id: 0 its first) into the merged dataset of that role, made when first needed with the
 * shard dataset's area, name and source and params {"run_key", "role", "shards"}. The role of
 * nth 0 is the merge's dataset (ctx->dataset). Shards without an nth dataset add nothing. */
gboolean    assay_merge_records (AssayMergeContext *ctx, guint nth, const char *role, GError **error);

G_END_DECLS
