/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-cpd-view.h: what the Change Points view reads: the series of a dataset with their
 * per-series metrics under a run, one series with everything a run stored for it, and the
 * user's own marks (toggled through the undo journal). */
#pragma once

#include <json-glib/json-glib.h>

#include "assay-series.h"
#include "assay-store.h"

G_BEGIN_DECLS

typedef struct
{
  gint64      id;
  char       *name;
  guint       T, N, M;
  guint       n_truth;   /* annotated change steps (union) */
  guint       n_marks;
  char       *change_type;
  JsonObject *metrics;   /* from the run, or NULL */
} AssayCpdSeriesInfo;

typedef struct
{
  gint64      id;
  char       *detector;
  JsonObject *params;
  JsonObject *metrics;
  JsonArray  *curve;     /* cord-learned: its model's training curve, or NULL */
} AssayCpdRunInfo;

/* A trained CoRD-CPD model, for choosing one. */
typedef struct
{
  gint64 id;
  char  *label;          /* "#7 · springs: … · 40 epochs · width 64" */
} AssayCpdModelInfo;

typedef struct
{
  AssaySeries *series;
  GPtrArray   *score_names; /* char * */
  GPtrArray   *scores;      /* float * (T each) */
  float       *forecast;    /* T N M or NULL */
  float       *runlength;   /* T R or NULL */
  guint        R;
  float       *graphs_before; /* T N N or NULL */
  float       *graphs_after;
  GArray      *change_points; /* guint */
  GString     *change_types;  /* 'C', 'I' or ' ' per change point */
  GArray      *marks;         /* guint steps, ascending */
  JsonObject  *metrics;
} AssayCpdSeriesView;

/* The series of a dataset (AssayCpdSeriesInfo *), with metrics of run (0: none). */
GPtrArray          *assay_cpd_series_infos (AssayStore *store, gint64 dataset, gint64 run,
                                            GError **error);
void                assay_cpd_series_info_free (AssayCpdSeriesInfo *info);
/* Trained models of the workspace (AssayCpdModelInfo *), newest first. */
GPtrArray          *assay_cpd_model_infos (AssayStore *store, GError **error);
void                assay_cpd_model_info_free (AssayCpdModelInfo *info);
/* Finished runs of a dataset with scores (AssayCpdRunInfo *), newest first. */
GPtrArray          *assay_cpd_run_infos (AssayStore *store, gint64 dataset, GError **error);
void                assay_cpd_run_info_free (AssayCpdRunInfo *info);
/* Datasets of the area: ids (gint64) and names */
GArray             *assay_cpd_dataset_list (AssayStore *store, GPtrArray *names);

AssayCpdSeriesView *assay_cpd_series_view_load (AssayStore *store, gint64 series, gint64 run,
                                                GError **error);
void                assay_cpd_series_view_free (AssayCpdSeriesView *view);

/* Marks of a series, ascending (with their row ids in ids, optional) */
GArray             *assay_cpd_marks (AssayStore *store, gint64 series, GArray *ids);
/* Adds a mark at step, or removes the one there: one undoable edit. *added tells which. */
gboolean            assay_cpd_toggle_mark (AssayStore *store, gint64 series, guint step,
                                           gboolean *added, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayCpdSeriesView, assay_cpd_series_view_free)

G_END_DECLS
