/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-job-private.h: what the worker does to a job. */
#pragma once

#include "assay-job.h"

G_BEGIN_DECLS

void assay_job_prepare (AssayJob *self, GMainContext *context, const char *workspace_path);
void assay_job_execute (AssayJob *self, AssayBackend *backend);
void assay_job_reset (AssayJob *self);

G_END_DECLS
