/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-trace-reward.h: a reward model over a dataset's records (assay-reward-model.h).
 *
 * A process reward model scores every trace with steps: P(step right) per step; its records'
 * model scores get NAME:min, NAME:last and NAME:prod (the aggregations of best-of-N selection)
 * and NAME:steps (the list), NAME the model folder's name (or options->name). Its predicted first error is the
 * first step with P(right) below the threshold (0.5, the usual rule); on traces with a labelled
 * first error, ProcessBench's F1 (harmonic mean of the accuracies on erroneous and on correct
 * traces). An outcome reward model scores every record with a prompt and a text: NAME (its
 * first label's logit). A causal language model (no reward head) gives every record with a text
 * NAME:certainty (records longer than the model's positions left out and counted as too_long),
 * its mean self-certainty KL(U || p) over the response's tokens after the prompt
 * ("Scalable Best-of-N Selection via Self-Certainty"; the response as credit runs read it). The
 * scores feed the label model ("signals fit") as score:NAME:... signals. A run (area traces,
 * kind prm, orm or certainty) keeps the settings and the evaluation. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "assay-backend.h"
#include "assay-job.h"
#include "assay-store.h"

G_BEGIN_DECLS

typedef struct
{
  const char *model;
  gint64      dataset;
  double      threshold; /* 0.5 */
  const char *name;      /* the scores' name (letters, digits, . - _), or NULL: the folder's */
} AssayTraceRewardOptions;

/* {"run", "kind": "prm" | "orm" | "certainty", "model", "name", "records", "seconds",
 *  "processbench": {"evaluated", "f1", "acc_erroneous", "acc_correct", "threshold"} (PRM, labelled traces),
 *  "rerank": {"questions", "n": [1, 2, 4, ..], "best_of_n_min", "best_of_n_last", "best_of_n_prod"
 *             (PRM) or "best_of_n" (ORM, self-certainty), "majority", "any_correct"} (accuracy per n; when some
 *             question has two candidates or more with known correctness)} */
JsonObject *assay_trace_reward (AssayStore                    *store,
                                const AssayTraceRewardOptions *options,
                                AssayBackend                  *backend,
                                void (*progress) (double fraction, const char *message, gpointer data),
                                gpointer                       progress_data,
                                GCancellable                  *cancellable,
                                GError                       **error);

/* On the worker (options copied); the result is assay_trace_reward's object */
AssayJob   *assay_trace_reward_job_new (const AssayTraceRewardOptions *options);

G_END_DECLS
