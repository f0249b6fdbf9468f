/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-xmtc-eval.h: all metrics of a run's test predictions, as one JSON object:
 *   p@k ndcg@k psp@k macro_f1@k tail_macro_f1@k torso_macro_f1@k head_macro_f1@k (k = 1, 3, 5),
 *   tail_labels torso_labels head_labels unseen_labels test_documents, propensity_a/b, and
 *   "bins": labels sorted rare -> common in bins of 100, each with its train-count range and
 *   macro-F1@1/3/5 (the DEPL paper's Figure 2.1). */
#pragma once

#include <json-glib/json-glib.h>

#include "assay-xmtc-dataset.h"

G_BEGIN_DECLS

#define ASSAY_XMTC_BIN_SIZE 100

/* top: test documents (rows, in order) x K predicted labels, best first. Labels never trained
 * are absent from top. */
JsonObject *assay_xmtc_evaluate (AssayXmtcDataset *dataset,
                                 GArray           *test_rows,
                                 const guint32    *top,
                                 guint             K,
                                 double            propensity_a,
                                 double            propensity_b);

/* Reads a run's stored predictions and evaluates them. */
JsonObject *assay_xmtc_evaluate_run (AssayStore *store,
                                     gint64      run_id,
                                     double      propensity_a,
                                     double      propensity_b,
                                     GError    **error);

/* The dataset a run was trained on, or 0 with an error. */
gint64      assay_xmtc_run_dataset (AssayStore *store, gint64 run_id, GError **error);

G_END_DECLS
