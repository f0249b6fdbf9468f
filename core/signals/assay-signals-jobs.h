/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-signals-jobs.h: the label model's fit on the worker. */
#pragma once

#include "assay-job.h"
#include "assay-signals.h"

G_BEGIN_DECLS

/* Fits the label model over a dataset's signals (assay_signals_fit); the result is its object. */
/* options NULL: the defaults, keeping the label model of the dataset's current fit */
AssayJob *assay_signals_fit_job_new (gint64 dataset_id, const AssaySignalsFitOptions *options);

G_END_DECLS
