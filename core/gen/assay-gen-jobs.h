/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-gen-jobs.h: generation imports as worker jobs (I/O lane, with progress). Result:
 * {"dataset", "imported", "mapping"}. */
#pragma once

#include "assay-gen-import.h"
#include "assay-job.h"

G_BEGIN_DECLS

AssayJob *assay_gen_import_job_new (const char *path, const AssayGenImportOptions *options);

/* Near-duplicates of a dataset (0: all) at threshold, on the compute lane; the result is
 * assay_gen_dedup's. */
AssayJob *assay_gen_dedup_job_new (gint64 dataset, double threshold);

G_END_DECLS
