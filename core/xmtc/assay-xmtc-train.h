/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-xmtc-train.h: the DEPL pipeline for one dataset: tf-idf features (or the stored sparse
 * features), a one-vs-rest linear SVM per label with training documents, sparse weights, top-k
 * predictions for the test documents, metrics, all stored as a run. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "assay-backend.h"
#include "assay-merge-context.h"
#include "assay-shard.h"
#include "assay-store.h"
#include "assay-svm.h"
#include "assay-tfidf.h"

G_BEGIN_DECLS

typedef struct
{
  AssaySvmOptions   svm;
  AssayTfidfOptions tfidf;
  guint             keywords;  /* k of the keyword profiles (default 16) */
  float             prune;     /* weights with |w| below are dropped (default 1e-3) */
  guint             top_k;     /* predictions kept per test document (default 10) */
  double            propensity_a, propensity_b;
  int               threads;   /* 0: all cores */
  AssayShard        shard;     /* n > 0: only this shard's chunks of labels, into shard_out */
  const char       *shard_out; /* (not owned) */
} AssayXmtcTrainOptions;

typedef struct
{
  gint64        run;
  double        seconds;
  double        seconds_load, seconds_features, seconds_train, seconds_predict, seconds_store;
  guint         n_features;
  guint         n_trained; /* labels with training documents */
  gsize         n_weights; /* kept after pruning */
  AssaySvmStats svm;
} AssayXmtcTrainResult;

typedef void (*AssayXmtcProgress) (double fraction, const char *message, gpointer user_data);

void     assay_xmtc_train_options_init (AssayXmtcTrainOptions *options);
JsonObject *assay_xmtc_train_options_to_json (const AssayXmtcTrainOptions *options);
/* The options to_json wrote (threads and shard left at their defaults). */
gboolean assay_xmtc_train_options_from_json (JsonObject *json, AssayXmtcTrainOptions *options, GError **error);

/* backend (may be NULL: a CPU one is made) computes the dense part of prediction. */
gboolean assay_xmtc_train (AssayStore                  *store,
                           gint64                       dataset_id,
                           const AssayXmtcTrainOptions *options,
                           AssayBackend                *backend,
                           AssayXmtcProgress            progress,
                           gpointer                     progress_data,
                           GCancellable                *cancellable,
                           AssayXmtcTrainResult        *result,
                           GError                     **error);

/* Merges shards of "xmtc train" (trained by blocks of labels): their weights into one run, then
 * prediction, metrics and per-label results over every weight merged, as one run computes them. */
gboolean assay_xmtc_train_merge (AssayMergeContext *ctx, GError **error);

G_END_DECLS
