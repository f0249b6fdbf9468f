/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-cord-train.h: trains the learned CoRD-CPD model (assay-cord-net.h) on the series of one or
 * more datasets, unsupervised (the change steps are not used), and stores it.
 *
 * Windows of `window` steps are cut from every series (overlapping by half; a series of exactly
 * `window` steps is one window). Features are standardised with the mean and standard deviation
 * of the training windows. Validation: the series of valid_dataset, or else every sixth series
 * (every sixth window when there are fewer than six series).
 * Each epoch goes once over the training windows in a shuffled order in batches, with Gumbel
 * noise, and AdamW (no weight decay: Adam, as the reference) at lr * gamma^(epoch / lr_decay);
 * after it the validation loss (running batch-norm statistics, no noise) decides early stopping:
 * the best epoch's weights are kept and training ends after `patience` epochs without a better
 * one, or after `epochs`. Simulated series (particle springs) are scored for edge accuracy
 * against the simulator's true springs. */
#pragma once

#include "assay-cord-model.h"
#include "assay-store.h"

G_BEGIN_DECLS

typedef struct
{
  guint   hidden, msg_hidden; /* widths (0: defaults, see below) */
  guint   window;             /* 0: the shortest series, at most 100 */
  guint   batch;              /* windows per step (default 32) */
  guint   epochs;             /* most epochs (default 200) */
  guint   patience;           /* epochs without a better validation loss before stopping (default 20) */
  double  lr;                 /* 1e-3 */
  guint   lr_decay;           /* epochs between halvings (default 200) */
  double  gamma;              /* 0.5 */
  guint64 seed;
  gint64  valid_dataset;      /* 0: every sixth training series */
  int     threads;            /* 0: every core (batches split across them) */
  gint64  init;               /* > 0: go on from this model (its weights, widths, window and
                               * feature scaling); a new model is stored, the old one stays */
} AssayCordTrainOptions;

typedef void (*AssayCordTrainProgress) (double fraction, const char *message, gpointer data);

/* The CPU defaults: width 64 for the encoder and the decoder (the reference's 256 costs 16 times
 * as much; pass it for the paper's size). */
void     assay_cord_train_options_init (AssayCordTrainOptions *options);
JsonObject *assay_cord_train_options_to_json (const AssayCordTrainOptions *options);

/* Trains on the datasets (gint64 ids) and stores the model; *model_id is its id (the training
 * run's). result (optional) receives the run's metrics. Cancelling stops after the current
 * step and keeps the best model so far (the run says "stopped"). */
gboolean assay_cord_train (AssayStore                  *store,
                           GArray                      *datasets,
                           const AssayCordTrainOptions *options,
                           AssayCordTrainProgress       progress,
                           gpointer                     progress_data,
                           GCancellable                *cancellable,
                           gint64                      *model_id,
                           JsonObject                 **result,
                           GError                     **error);

G_END_DECLS
