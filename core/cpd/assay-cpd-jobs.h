/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-cpd-jobs.h: simulate, import and score as worker jobs. Results:
 *   simulate {"dataset", "series"}; import {"dataset", "series", "missing", "annotated"};
 *   score {"run", "dataset", "seconds", and the averaged metrics}. */
#pragma once

#include "assay-cpd-import.h"
#include "assay-cpd-run.h"
#include "assay-cord-train.h"
#include "assay-job.h"

G_BEGIN_DECLS

AssayJob *assay_cpd_simulate_job_new (AssaySpringChange change, guint count, guint64 seed);
AssayJob *assay_cpd_import_job_new (const char *const *paths, const AssayCpdImportOptions *options);
AssayJob *assay_cpd_score_job_new (gint64 dataset, const AssayCpdScoreOptions *options);
/* Trains a learned CoRD-CPD model on the datasets (gint64 ids); result: the run's metrics with
 * "model" (its id). */
AssayJob *assay_cpd_train_job_new (GArray *datasets, const AssayCordTrainOptions *options);

G_END_DECLS
