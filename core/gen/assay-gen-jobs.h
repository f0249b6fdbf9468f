/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-gen-jobs.h: generation imports as worker jobs (I/O lane, with progress). Result:
 * {"dataset", "imported", "mapping"}. */
#pragma once

#include "assay-gen-import.h"
#include "assay-job.h"

G_BEGIN_DECLS

AssayJob *assay_gen_import_job_new (const char *path, const AssayGenImportOptions *options);

G_END_DECLS
