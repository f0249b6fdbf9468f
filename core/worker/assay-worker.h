/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-worker.h: the compute thread (owner of the kernels backend) and a small I/O pool.
 *
 * Jobs submitted from a thread run on the lane they ask for and are announced on the
 * thread-default main context of the submitting thread. The backend is chosen on the compute
 * thread at start: CUDA when asked for (or "auto") and a device answers, the CPU otherwise.
 */
#pragma once

#include <gio/gio.h>

#include "assay-backend.h"
#include "assay-job.h"

G_BEGIN_DECLS

typedef enum
{
  ASSAY_BACKEND_PREFERENCE_AUTO,
  ASSAY_BACKEND_PREFERENCE_CPU,
  ASSAY_BACKEND_PREFERENCE_CUDA,
} AssayBackendPreference;

#define ASSAY_TYPE_WORKER (assay_worker_get_type ())
G_DECLARE_FINAL_TYPE (AssayWorker, assay_worker, ASSAY, WORKER, GObject)

AssayWorker     *assay_worker_new (AssayBackendPreference preference, int cpu_threads);
void             assay_worker_set_backend_preference (AssayWorker           *self,
                                                      AssayBackendPreference preference);
gboolean         assay_worker_parse_preference (const char             *text,
                                                AssayBackendPreference *preference);

/* Jobs open their own connection to this workspace file (NULL: none). */
void             assay_worker_set_workspace (AssayWorker *self, const char *path);
const char      *assay_worker_get_workspace (AssayWorker *self);

void             assay_worker_submit (AssayWorker *self, AssayJob *job);
/* Runs the submitting thread's main context until the job ends; FALSE with its error unless it
 * succeeded. For the command line and tests. */
gboolean         assay_worker_run_sync (AssayWorker *self, AssayJob *job, GError **error);
/* Resubmits a failed job on the CPU backend. */
void             assay_worker_retry_on_cpu (AssayWorker *self, AssayJob *job);
void             assay_worker_cancel_all (AssayWorker *self);

/* AssayJob items, newest last; finished jobs stay until cleared. Main thread only. */
GListModel      *assay_worker_get_jobs (AssayWorker *self);
guint            assay_worker_get_n_active (AssayWorker *self);
void             assay_worker_clear_finished (AssayWorker *self);

/* Waits until the compute thread chose its backend. */
char            *assay_worker_dup_backend_description (AssayWorker *self);
AssayBackendKind assay_worker_get_backend_kind (AssayWorker *self);
/* Why the preferred backend is not in use (e.g. "No GPU in use: no NVIDIA driver (libcuda.so.1 is not installed)"), or NULL. */
char            *assay_worker_dup_backend_note (AssayWorker *self);
int              assay_worker_get_cpu_threads (AssayWorker *self);

G_END_DECLS
