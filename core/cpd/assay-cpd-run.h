/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-cpd-run.h: a detector over every series of a dataset, stored as a run; its evaluation.
 *
 * Per series the run keeps the score curves (CoRD: s_r, s_d, s_en and the decoder's one-step
 * "forecast", T x N x M; baselines: score, and for BOCPD "runlength:R", the posterior T x R), the graphs A before/after each step (CoRD), the detected
 * change points and their types. Metrics per series and averaged: auc (of the main score
 * against the annotated steps), tri and dist (argmax of the main score against a single true
 * change, w = 15), f1 and cover (TCPDBench, margin 5), and type_accuracy where the change type
 * is known (the rule applied at the true change step). */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "assay-cord.h"
#include "assay-cpd-baselines.h"
#include "assay-spring-sim.h"
#include "assay-merge-context.h"
#include "assay-shard.h"
#include "assay-store.h"

G_BEGIN_DECLS

typedef struct
{
  AssayDetector        detector;
  AssayCordOptions     cord;
  AssayBaselineOptions baseline;
  gint64               model;     /* cord-learned: the trained model (its training run) */
  int                  threads; /* 0: all cores */
  AssayShard           shard;     /* n > 0: only this shard's series, into shard_out */
  const char          *shard_out; /* (not owned) */
} AssayCpdScoreOptions;

typedef void (*AssayCpdProgress) (double fraction, const char *message, gpointer data);

void        assay_cpd_score_options_init (AssayCpdScoreOptions *options);
JsonObject *assay_cpd_score_options_to_json (const AssayCpdScoreOptions *options);

gboolean    assay_cpd_simulate_dataset (AssayStore       *store,
                                        AssaySpringChange change,
                                        guint             count,
                                        guint64           seed,
                                        gint64           *dataset,
                                        GError          **error);

gboolean    assay_cpd_score_dataset (AssayStore                 *store,
                                     gint64                      dataset,
                                     const AssayCpdScoreOptions *options,
                                     AssayCpdProgress            progress,
                                     gpointer                    progress_data,
                                     GCancellable               *cancellable,
                                     gint64                     *run,
                                     GError                    **error);
/* (with options->shard, the store is only read, the series of the shard go to shard_out and
 * *run is 0) */

/* Merges shards of "cpd score": the rows, then the run's metrics over every series merged. */
gboolean    assay_cpd_score_merge (AssayMergeContext *ctx, GError **error);

/* Recomputes every metric from what the run stored. */
JsonObject *assay_cpd_evaluate_run (AssayStore *store, gint64 run, GError **error);
/* The same, and with burn_in > 0 also the thesis's protocol (the authors' evaluation code) for
 * series with one true change l: "pooled" holds, for s_en, s_r and s_d (CoRD runs) or score,
 * the ROC AUC over the steps [burn_in, T - burn_in) of every series together (l positive, l - 1
 * and l + 1 left out, the rest negative) and TRI (w = 15) and DIST of the argmax within those
 * steps; "type_accuracy_predicted" applies the type rule at that argmax of s_en instead of at l.
 * Each series also gets "type_score" = z(s_r)[l] - alpha z(s_d)[l], for the type ROC AUC. */
JsonObject *assay_cpd_evaluate_run_burn_in (AssayStore *store, gint64 run, guint burn_in, GError **error);

/* A stored score curve of a run for one series (T floats), or NULL. */
float      *assay_cpd_load_score (AssayStore *store, gint64 run, gint64 series, const char *name,
                                  guint *length);

G_END_DECLS
