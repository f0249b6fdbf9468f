/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-xmtc-jobs.h: import and training as worker jobs. Their JSON results:
 *   import: {"dataset", "documents", "labels", "train", "test", "skipped_duplicates",
 *            "skipped_empty", "skipped_unlabelled", "out_of_range", "labels_without_train",
 *            "labels_dropped"}
 *   train:  {"run", "seconds", "features", "trained_labels", "weights", "seconds_*", "p@1", ...} */
#pragma once

#include "assay-job.h"
#include "assay-xmtc-eval.h"
#include "assay-xmtc-import.h"
#include "assay-xmtc-errors.h"
#include "assay-xmtc-train.h"

G_BEGIN_DECLS

AssayJob *assay_xmtc_import_job_new (const char *path, const AssayXmtcImportOptions *options);
AssayJob *assay_xmtc_train_job_new (gint64 dataset_id, const AssayXmtcTrainOptions *options);
/* A search for label errors with the signature of assay_xmtc_label_errors */
typedef JsonObject *(*AssayLabelErrorsFunc) (AssayStore                  *store,
                                             gint64                       dataset,
                                             const AssayXmtcErrorOptions *options,
                                             AssayXmtcErrorProgress       progress,
                                             gpointer                     progress_data,
                                             GCancellable                *cancellable,
                                             GError                     **error);
/* Runs func on the worker (options copied; NULL: the defaults, with the mean of the SVM and
 * logistic regression on the embeddings when the dataset has an embedding set of its texts);
 * the result is its object. */
AssayJob *assay_label_errors_job_new (const char *kind, const char *title, AssayLabelErrorsFunc func,
                                      gint64 dataset_id, const AssayXmtcErrorOptions *options);
/* Likely label errors by confident learning (assay-xmtc-errors.h); the result is its object. */
AssayJob *assay_xmtc_errors_job_new (gint64 dataset_id, const AssayXmtcErrorOptions *options);

G_END_DECLS
