/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-jobs-button.h: header-bar button whose popover lists running and queued jobs. */
#pragma once

#include <adwaita.h>

#include "assay-worker.h"

G_BEGIN_DECLS

#define ASSAY_TYPE_JOBS_BUTTON (assay_jobs_button_get_type ())
G_DECLARE_FINAL_TYPE (AssayJobsButton, assay_jobs_button, ASSAY, JOBS_BUTTON, AdwBin)

void assay_jobs_button_set_worker (AssayJobsButton *self, AssayWorker *worker);
/* Opens the list of jobs (a failed job's toast offers it as Details). */
void assay_jobs_button_popup (AssayJobsButton *self);

G_END_DECLS
