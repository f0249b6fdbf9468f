/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-cord-model.h: a trained CoRD-CPD network with what it needs to score new series: the
 * training window, the features' scaling (mean and standard deviation per feature over the
 * training windows) and the roll-out length k of s_d. Stored in the workspace (cpd_models) under
 * the id of the training run that made it. */
#pragma once

#include "assay-cord-net.h"
#include "assay-series.h"
#include "assay-store.h"

G_BEGIN_DECLS

typedef struct _AssayCordModel AssayCordModel;

struct _AssayCordModel
{
  gint64        id;       /* training run (0 until saved) */
  AssayCordNet *net;
  guint         window;   /* steps per training window */
  guint         k;        /* s_d roll-out length (default 5) */
  double       *mean;     /* M */
  double       *std;      /* M */
};

AssayCordModel *assay_cord_model_new  (AssayCordNet *net, guint window, const double *mean, const double *std);
void            assay_cord_model_free (AssayCordModel *self);

/* Writes the model as run_id's (inside the caller's transaction, if any). */
gboolean        assay_cord_model_save (AssayCordModel *self,
                                       AssayStore     *store,
                                       gint64          run_id,
                                       JsonArray      *curve,
                                       GError        **error);
/* Reads model run_id; a damaged row (sizes, names, non-finite weights) is an error naming it. */
AssayCordModel *assay_cord_model_load (AssayStore *store, gint64 run_id, GError **error);
/* The training curve stored with it (a JSON array, or NULL). */
JsonArray      *assay_cord_model_load_curve (AssayStore *store, gint64 run_id, GError **error);

/* Whether series can be scored (or trained on) by a model of N variables x M features: errors
 * name the series and what differs, a non-finite value its step, variable and feature. */
gboolean        assay_cord_model_check_series (guint N, guint M, AssaySeries *series, guint min_steps,
                                               GError **error);

/* s_r and s_d of a series (T each, see assay-cord-net.h; 0 within the model's smoothness margin,
 * 5 steps, of either end, where its graphs rest on one side of the window), and optionally the graphs A_{t-1}
 * (before) and A_t (after), T x N x N each with A[i][j] the probability of an edge i -> j, and
 * the one-step forecast of every step in the series' units (T x N x M; NaN at step 0). */
gboolean        assay_cord_model_score (AssayCordModel *self,
                                        AssaySeries    *series,
                                        float          *s_r,
                                        float          *s_d,
                                        float          *before,
                                        float          *after,
                                        float          *forecast,
                                        GCancellable   *cancellable,
                                        GError        **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayCordModel, assay_cord_model_free)

G_END_DECLS
