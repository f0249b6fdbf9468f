/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-job-row.h: one job in the jobs popover: title, progress, message, Cancel / Retry. */
#pragma once

#include <gtk/gtk.h>

#include "assay-worker.h"

G_BEGIN_DECLS

#define ASSAY_TYPE_JOB_ROW (assay_job_row_get_type ())
G_DECLARE_FINAL_TYPE (AssayJobRow, assay_job_row, ASSAY, JOB_ROW, GtkWidget)

GtkWidget *assay_job_row_new (AssayJob *job, AssayWorker *worker);

G_END_DECLS
