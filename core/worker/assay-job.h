/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-job.h: one unit of background work.
 *
 * A job's function runs on a worker thread: the compute thread (which owns the kernels backend)
 * or the I/O pool. It reports progress with assay_job_set_progress(), polls its cancellable at
 * least every few hundred milliseconds, writes results to the workspace through its own
 * connection (assay_job_open_store()) and may leave a JSON result. State, progress and the end
 * are announced on the main context that submitted the job: as property notifications and the
 * "finished" signal.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "assay-backend.h"
#include "assay-store.h"

G_BEGIN_DECLS

typedef enum
{
  ASSAY_JOB_LANE_COMPUTE, /* the compute thread: has a backend */
  ASSAY_JOB_LANE_IO,      /* the I/O pool: decoding, imports */
} AssayJobLane;

typedef enum
{
  ASSAY_JOB_QUEUED,
  ASSAY_JOB_RUNNING,
  ASSAY_JOB_SUCCEEDED,
  ASSAY_JOB_FAILED,
  ASSAY_JOB_CANCELLED,
} AssayJobState;

#define ASSAY_TYPE_JOB (assay_job_get_type ())
G_DECLARE_FINAL_TYPE (AssayJob, assay_job, ASSAY, JOB, GObject)

typedef gboolean (*AssayJobFunc) (AssayJob *job, gpointer user_data, GError **error);

AssayJob     *assay_job_new (const char    *kind,
                             const char    *title,
                             AssayJobLane   lane,
                             AssayJobFunc   func,
                             gpointer       user_data,
                             GDestroyNotify destroy);

/* Any thread */
const char   *assay_job_get_kind (AssayJob *self);
const char   *assay_job_get_title (AssayJob *self);
AssayJobLane  assay_job_get_lane (AssayJob *self);
GCancellable *assay_job_get_cancellable (AssayJob *self);
void          assay_job_cancel (AssayJob *self);
/* The workspace the job opens with assay_job_open_store(); unset: the worker's. */
void          assay_job_set_workspace (AssayJob *self, const char *path);
const char   *assay_job_get_workspace (AssayJob *self);
/* The job only reads the workspace (opening it with assay_store_open_reader) and writes its
 * results elsewhere (a shard file): no row of the jobs table is written for it. */
void          assay_job_set_reads_only (AssayJob *self, gboolean reads_only);
/* Run on the CPU backend even where CUDA is in use (retry after a device failure). */
void          assay_job_set_force_cpu (AssayJob *self, gboolean force_cpu);
gboolean      assay_job_get_force_cpu (AssayJob *self);

/* From the job function */
AssayBackend *assay_job_get_backend (AssayJob *self);
AssayStore   *assay_job_open_store (AssayJob *self, GError **error);
void          assay_job_set_progress (AssayJob *self, double fraction, const char *message);
void          assay_job_set_result (AssayJob *self, JsonNode *result);
/* The result as a JSON object (taken) */
void          assay_job_take_result_object (AssayJob *self, JsonObject *object);
/* For the areas' progress callbacks, (fraction, message, data): data is the job. */
void          assay_job_progress_func (double fraction, const char *message, gpointer job);
/* What the job has so far (any thread; the node is taken), announced on the main context as the
 * "partial" property (e.g. a training run's steps, for curves that grow as it runs). */
void          assay_job_set_partial (AssayJob *self, JsonNode *partial);
/* Main thread: the last announced partial node (borrowed), or NULL. */
JsonNode     *assay_job_get_partial (AssayJob *self);
gboolean      assay_job_check_cancelled (AssayJob *self, GError **error);

/* Main thread (values as last announced) */
AssayJobState assay_job_get_state (AssayJob *self);
double        assay_job_get_fraction (AssayJob *self);
char         *assay_job_dup_message (AssayJob *self);
const GError *assay_job_get_error (AssayJob *self);
JsonNode     *assay_job_get_result (AssayJob *self);
double        assay_job_get_seconds (AssayJob *self);
/* Seconds since it started running (its run time once finished; 0 while queued) */
double        assay_job_get_elapsed (AssayJob *self);
/* While running: "1:23 elapsed · about 2 min left" (the estimate once there is one), else NULL */
char         *assay_job_dup_time_text (AssayJob *self);
/* Seconds left at this pace, or -1 while too early to say (under 1 % or 1 s) */
double        assay_job_estimate_remaining (double elapsed, double fraction);
char         *assay_job_format_time (double elapsed, double fraction);
const char   *assay_job_get_backend_description (AssayJob *self);
gboolean      assay_job_is_finished (AssayJob *self);

G_END_DECLS
