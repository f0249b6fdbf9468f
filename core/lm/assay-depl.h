/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-depl.h: DEPL's dense label retrieval (DESIGN.md §6.1; thesis §2.3.3) beside the SVM it
 * builds on: test documents and each label's pseudo description (name ⊕ the SVM run's keywords)
 * embedded by one encoder, labels ranked by cosine, the SVM's ranking and the two fused, and all
 * three evaluated alike (P@k, PSP@k, macro-F1@k per bin and for tail labels).
 *
 * The fusion is reciprocal-rank fusion, s(l) = 1/(60 + rank_svm(l)) + 1/(60 + rank_dense(l))
 * over the two top-k lists (a label missing from a list adds nothing): a run keeps only its top
 * k SVM scores, so scores of other labels cannot be mixed in. The dense and fused rankings are
 * kept as runs of area "xmtc-dense" (kinds "dense" and "fusion") with their predictions. */
#pragma once

#include "assay-embed-set.h"

G_BEGIN_DECLS

typedef struct
{
  AssayEmbedSetOptions set;  /* the encoder; its dataset and field are the run's test documents */
  gint64               run;  /* the one-vs-rest SVM run */
  guint                top_k; /* labels kept per document (default 10, at least 5) */
  guint                keywords; /* keywords per description (0: the run's k) */
  double               propensity_a, propensity_b; /* 0: 0.55 and 1.5 */
} AssayDeplOptions;

void      assay_depl_options_clear (AssayDeplOptions *options);

/* Result: {"svm_run", "dense_run", "fused_run", "labels", "test_documents", "without_text",
 * "embedded", "seconds", "backend", "svm": {metrics}, "dense": {metrics}, "fused": {metrics}}
 * (metrics as assay_xmtc_evaluate gives them). */
gboolean  assay_depl_run (AssayStore             *store,
                          const AssayDeplOptions *options,
                          AssayBackend           *backend,
                          void (*progress) (double fraction, const char *message, gpointer data),
                          gpointer                progress_data,
                          GCancellable           *cancellable,
                          JsonObject            **result,
                          GError                **error);
AssayJob *assay_depl_job_new (const AssayDeplOptions *options);

/* The newest dense and fused runs made from an SVM run, as {"svm_run", "dense_run", "fused_run",
 * "model", "svm", "dense", "fused"}; NULL without an error when there are none. */
JsonObject *assay_depl_comparison (AssayStore *store, gint64 svm_run, GError **error);

G_END_DECLS
