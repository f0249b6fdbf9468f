/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-xmtc-overview.h: what the Labels view shows of one dataset and run, read in one go (on
 * a worker thread): labels with counts and per-label results at k = 1, 3, 5, the run's metrics,
 * the runs of the dataset, and which documents belong to / are predicted for each label. */
#pragma once

#include <json-glib/json-glib.h>

#include "assay-store.h"
#include "assay-xmtc-model.h"

G_BEGIN_DECLS

typedef struct
{
  gint64      run;
  char       *created;
  double      seconds;
  double      p_at_1;
  JsonObject *params;
} AssayXmtcRunInfo;

typedef struct
{
  gint64      dataset;
  char       *dataset_name;
  gint64      run;      /* 0: none */
  guint       n_labels;
  char      **names;
  guint      *n_train;
  guint      *n_test;
  gboolean   *trained;
  guint      *tp[3], *fp[3], *fn[3]; /* at k = 1, 3, 5; NULL without a run */
  JsonObject *metrics;  /* NULL without a run */
  JsonObject *params;   /* the run's settings */
  GArray     *runs;     /* AssayXmtcRunInfo of the dataset, newest first */
  /* label -> training documents (workspace ids) */
  gsize      *train_offsets;
  gint64     *train_docs;
  /* label -> test documents whose top 5 hold it, with the rank (0-4) */
  gsize      *pred_offsets;
  gint64     *pred_docs;
  guint8     *pred_rank;
  guint       n_documents;
  guint       n_features;
} AssayXmtcOverview;

/* run: 0 for the newest finished run of the dataset (or none). dataset: 0 for the newest. */
AssayXmtcOverview *assay_xmtc_overview_load (AssayStore *store,
                                             gint64      dataset,
                                             gint64      run,
                                             GError    **error);
void               assay_xmtc_overview_free (AssayXmtcOverview *self);
/* index of k (1, 3 or 5) in tp/fp/fn */
guint              assay_xmtc_overview_k_index (guint k);

/* The keyword profile of one label of a run, read alone (fast). Array of AssayKeyword whose
 * terms are owned by the returned terms array. */
GArray            *assay_xmtc_label_keywords (AssayStore *store,
                                              gint64      run,
                                              guint       label,
                                              guint       k,
                                              GPtrArray  *terms,
                                              GError    **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayXmtcOverview, assay_xmtc_overview_free)

G_END_DECLS
