/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-job-row.h: one job in the jobs popover: title, progress, message, Cancel / Retry. */
#pragma once

#include <gtk/gtk.h>

#include "assay-worker.h"

G_BEGIN_DECLS

#define ASSAY_TYPE_JOB_ROW (assay_job_row_get_type ())
G_DECLARE_FINAL_TYPE (AssayJobRow, assay_job_row, ASSAY, JOB_ROW, GtkWidget)

GtkWidget  *assay_job_row_new (AssayJob *job, AssayWorker *worker);
AssayJob   *assay_job_row_get_job (AssayJobRow *self);
/* "0:42 elapsed · about 2 min left" while the job runs, else NULL */
const char *assay_job_row_get_time_text (AssayJobRow *self);

G_END_DECLS
