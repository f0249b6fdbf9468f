/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-jobs-button.h: header-bar button whose popover lists running and queued jobs, and the
 * workspace's jobs on a cluster. */
#pragma once

#include <adwaita.h>
#include <json-glib/json-glib.h>

#include "assay-worker.h"

G_BEGIN_DECLS

#define ASSAY_TYPE_JOBS_BUTTON (assay_jobs_button_get_type ())
G_DECLARE_FINAL_TYPE (AssayJobsButton, assay_jobs_button, ASSAY, JOBS_BUTTON, AdwBin)

void assay_jobs_button_set_worker (AssayJobsButton *self, AssayWorker *worker);
/* Opens the list of jobs (a failed job's toast offers it as Details). */
void assay_jobs_button_popup (AssayJobsButton *self);
/* The workspace's cluster jobs as assay_slurm_status tells them ({"jobs", "squeue", "sacct"}),
 * shown under the local ones. */
void assay_jobs_button_set_cluster_status (AssayJobsButton *self, JsonObject *status);

G_END_DECLS
