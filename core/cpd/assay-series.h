/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-series.h: a multivariate time series x in R^{T x N x M} (T steps, N variables of M
 * features each), with its human annotations and, for simulated series, the true change. */
#pragma once

#include <json-glib/json-glib.h>

#include "assay-store.h"

G_BEGIN_DECLS

typedef struct
{
  gint64     id;          /* workspace row, 0 when not stored */
  char      *name;
  guint      T, N, M;
  float     *x;           /* T * N * M, [t][n][m] */
  char     **var_names;   /* N (NULL-terminated) */
  char     **feat_names;  /* M (NULL-terminated) */
  char     **time_labels; /* T or NULL */
  /* annotations: one array of change steps (guint, ascending) per annotator */
  GPtrArray *annotators;  /* char * ids */
  GPtrArray *annotations; /* GArray of guint */
  char      *change_type; /* "location", "velocity", "connection" or NULL */
  guint      missing;     /* values that were missing in the source */
} AssaySeries;

AssaySeries *assay_series_new (const char *name, guint T, guint N, guint M);
void         assay_series_free (AssaySeries *self);
static inline float *
assay_series_at (AssaySeries *self, guint t, guint n)
{
  return self->x + ((gsize) t * self->N + n) * self->M;
}
void         assay_series_add_annotation (AssaySeries *self, const char *annotator,
                                          const guint *steps, guint n_steps);
/* The union of all annotators' change steps, ascending. */
GArray      *assay_series_annotation_union (AssaySeries *self);

gint64       assay_series_store (AssaySeries *self, AssayStore *store, gint64 dataset,
                                 GError **error);
AssaySeries *assay_series_load (AssayStore *store, gint64 series_id, GError **error);
/* The series of a dataset, in order: ids (gint64). */
GArray      *assay_series_list (AssayStore *store, gint64 dataset, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssaySeries, assay_series_free)

G_END_DECLS
