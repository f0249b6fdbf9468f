/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The compute worker: progress announced on the main context, cancellation within a second,
 * errors, both lanes, and jobs recorded in the workspace. */
#include <math.h>
#include <string.h>

#include "assay-error.h"
#include "assay-test-util.h"
#include "assay-worker.h"

typedef struct
{
  int      steps;
  int      step_ms;
  gboolean fail;
  GThread *thread;
  gboolean had_backend;
  gboolean had_store;
} Spec;

static gboolean
counting_job (AssayJob *job, gpointer data, GError **error)
{
  Spec *spec = data;

  spec->thread = g_thread_self ();
  spec->had_backend = assay_job_get_backend (job) != NULL;
  spec->had_store = assay_job_open_store (job, NULL) != NULL;
  for (int i = 0; i < spec->steps; i++)
    {
      g_autofree char *msg = g_strdup_printf ("step %d of %d", i + 1, spec->steps);
      if (assay_job_check_cancelled (job, error))
        return FALSE;
      g_usleep (spec->step_ms * 1000);
      assay_job_set_progress (job, (i + 1.0) / spec->steps, msg);
    }
  if (spec->fail)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "line 3: broken on purpose");
      return FALSE;
    }
  {
    g_autoptr (JsonBuilder) b = json_builder_new ();
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "steps");
    json_builder_add_int_value (b, spec->steps);
    json_builder_end_object (b);
    assay_job_set_result (job, json_builder_get_root (b));
  }
  return TRUE;
}

static void
fraction_cb (AssayJob *job, GParamSpec *pspec, GArray *seen)
{
  double f = assay_job_get_fraction (job);

  g_assert_true (g_main_context_is_owner (g_main_context_default ()));
  g_array_append_val (seen, f);
}

static void
test_progress_and_result (void)
{
  g_autoptr (AssayWorker) worker = assay_worker_new (ASSAY_BACKEND_PREFERENCE_CPU, 1);
  Spec spec = { 10, 20, FALSE };
  g_autoptr (AssayJob) job = assay_job_new ("count", "Counting", ASSAY_JOB_LANE_COMPUTE,
                                            counting_job, &spec, NULL);
  g_autoptr (GArray) seen = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GError) error = NULL;
  g_autofree char *message = NULL;
  g_autofree char *backend = assay_worker_dup_backend_description (worker);

  g_assert_true (g_str_has_prefix (backend, "CPU"));
  g_signal_connect (job, "notify::fraction", G_CALLBACK (fraction_cb), seen);
  g_assert_true (assay_worker_run_sync (worker, job, &error));
  g_assert_no_error (error);
  g_assert_cmpint (assay_job_get_state (job), ==, ASSAY_JOB_SUCCEEDED);
  g_assert_true (spec.thread != g_thread_self ());
  g_assert_true (spec.had_backend);
  g_assert_false (spec.had_store); /* no workspace */
  /* Several intermediate announcements, increasing, ending at 1. */
  g_assert_cmpuint (seen->len, >=, 3);
  for (guint i = 1; i < seen->len; i++)
    g_assert_cmpfloat (g_array_index (seen, double, i), >=, g_array_index (seen, double, i - 1));
  g_assert_cmpfloat (assay_job_get_fraction (job), ==, 1.0);
  message = assay_job_dup_message (job);
  g_assert_cmpstr (message, ==, "step 10 of 10");
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (assay_job_get_result (job)),
                                               "steps"),
                   ==, 10);
  g_assert_cmpuint (assay_worker_get_n_active (worker), ==, 0);
}

static gboolean
cancel_later (gpointer data)
{
  assay_job_cancel (data);
  return G_SOURCE_REMOVE;
}

static void
test_cancel_within_a_second (void)
{
  g_autoptr (AssayWorker) worker = assay_worker_new (ASSAY_BACKEND_PREFERENCE_CPU, 1);
  Spec spec = { 100000, 10, FALSE }; /* would take 1000 s */
  Spec queued_spec = { 1, 1, FALSE };
  g_autoptr (AssayJob) job = assay_job_new ("long", "Long", ASSAY_JOB_LANE_COMPUTE, counting_job,
                                            &spec, NULL);
  g_autoptr (AssayJob) queued = assay_job_new ("queued", "Queued", ASSAY_JOB_LANE_COMPUTE,
                                               counting_job, &queued_spec, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GTimer) timer = NULL;

  assay_worker_submit (worker, queued); /* submitted behind nothing: runs first, quickly */
  g_timeout_add (300, cancel_later, job);
  timer = g_timer_new ();
  g_assert_false (assay_worker_run_sync (worker, job, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (assay_job_get_state (job), ==, ASSAY_JOB_CANCELLED);
  g_assert_cmpfloat (g_timer_elapsed (timer, NULL), <, 1.3);
  g_assert_cmpfloat (assay_job_get_fraction (job), <, 0.01);
}

static void
test_cancel_queued (void)
{
  g_autoptr (AssayWorker) worker = assay_worker_new (ASSAY_BACKEND_PREFERENCE_CPU, 1);
  Spec blocker_spec = { 20, 10, FALSE };
  Spec spec = { 1, 1, FALSE };
  g_autoptr (AssayJob) blocker = assay_job_new ("b", "Blocker", ASSAY_JOB_LANE_COMPUTE,
                                                counting_job, &blocker_spec, NULL);
  g_autoptr (AssayJob) job = assay_job_new ("q", "Queued", ASSAY_JOB_LANE_COMPUTE, counting_job,
                                            &spec, NULL);
  g_autoptr (GError) error = NULL;

  assay_worker_submit (worker, blocker);
  assay_job_cancel (job);
  g_assert_false (assay_worker_run_sync (worker, job, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (spec.thread); /* never ran */
}

static void
test_failure_is_reported (void)
{
  g_autoptr (AssayWorker) worker = assay_worker_new (ASSAY_BACKEND_PREFERENCE_CPU, 1);
  Spec spec = { 2, 1, TRUE };
  Spec after = { 2, 1, FALSE };
  g_autoptr (AssayJob) job = assay_job_new ("fail", "Failing", ASSAY_JOB_LANE_COMPUTE,
                                            counting_job, &spec, NULL);
  g_autoptr (AssayJob) next = assay_job_new ("ok", "After", ASSAY_JOB_LANE_COMPUTE, counting_job,
                                             &after, NULL);
  g_autoptr (GError) error = NULL;

  g_assert_false (assay_worker_run_sync (worker, job, &error));
  g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT);
  g_assert_cmpstr (error->message, ==, "line 3: broken on purpose");
  g_assert_cmpint (assay_job_get_state (job), ==, ASSAY_JOB_FAILED);
  g_clear_error (&error);
  /* The worker goes on. */
  g_assert_true (assay_worker_run_sync (worker, next, &error));
}

static void
test_io_lane_and_workspace (void)
{
  g_autofree char *path = assay_test_path ("worker.assay");
  g_autoptr (AssayStore) store = assay_store_open (path, NULL);
  g_autoptr (AssayWorker) worker = assay_worker_new (ASSAY_BACKEND_PREFERENCE_CPU, 1);
  Spec spec = { 3, 1, FALSE };
  Spec failing = { 1, 1, TRUE };
  g_autoptr (AssayJob) job = assay_job_new ("import", "Import", ASSAY_JOB_LANE_IO, counting_job,
                                            &spec, NULL);
  g_autoptr (AssayJob) bad = assay_job_new ("import", "Import bad", ASSAY_JOB_LANE_IO,
                                            counting_job, &failing, NULL);
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (store);
  assay_worker_set_workspace (worker, path);
  g_assert_true (assay_worker_run_sync (worker, job, &error));
  g_assert_false (spec.had_backend); /* I/O lane: no backend */
  g_assert_true (spec.had_store);
  g_assert_false (assay_worker_run_sync (worker, bad, &error));
  g_clear_error (&error);
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM jobs WHERE status = "
                                                 "'succeeded'", -1),
                   ==, 1);
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM jobs WHERE status = 'failed'"
                                                 " AND error LIKE '%broken on purpose%'", -1),
                   ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (assay_worker_get_jobs (worker)), ==, 2);
  assay_worker_clear_finished (worker);
  g_assert_cmpuint (g_list_model_get_n_items (assay_worker_get_jobs (worker)), ==, 0);
}

static void
test_cuda_preference_falls_back (void)
{
  g_autoptr (AssayWorker) worker = assay_worker_new (ASSAY_BACKEND_PREFERENCE_CUDA, 1);
  g_autofree char *description = assay_worker_dup_backend_description (worker);
  g_autofree char *note = assay_worker_dup_backend_note (worker);

  if (assay_worker_get_backend_kind (worker) == ASSAY_BACKEND_CUDA)
    {
      g_assert_true (g_str_has_prefix (description, "CUDA: "));
      g_assert_null (note);
    }
  else
    {
      /* No GPU: the CPU is used and the worker says why. */
      g_assert_true (g_str_has_prefix (description, "CPU: "));
      g_assert_nonnull (note);
      g_assert_true (g_str_has_prefix (note, "CUDA was chosen but cannot be used: "));
      /* the reason in words a user can act on, not the runtime's "driver version is
       * insufficient" on a machine without a driver */
      g_assert_true (strstr (note, "no NVIDIA driver") != NULL || strstr (note, "no NVIDIA GPU") != NULL
                     || strstr (note, "no CUDA backend") != NULL || strstr (note, "CUDA device") != NULL);
      g_assert_null (strstr (note, "insufficient"));
    }
}

/* Elapsed time and the estimate of time left, as the jobs list and the pages show them */
static void
time_cb (AssayJob *job, GParamSpec *pspec, GPtrArray *texts)
{
  char *t = assay_job_dup_time_text (job);
  if (t != NULL)
    g_ptr_array_add (texts, t);
}

static void
test_time_left (void)
{
  g_autoptr (AssayWorker) worker = assay_worker_new (ASSAY_BACKEND_PREFERENCE_CPU, 1);
  Spec spec = { 6, 250, FALSE };
  g_autoptr (AssayJob) job = assay_job_new ("count", "Counting", ASSAY_JOB_LANE_COMPUTE,
                                            counting_job, &spec, NULL);
  g_autoptr (GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  g_autofree char *t1 = NULL, *t2 = NULL, *t3 = NULL, *t4 = NULL, *t5 = NULL, *t6 = NULL;

  /* the pace so far: 1.5 s for a quarter leaves 4.5 s; too early under 1 % or 1 s */
  g_assert_cmpfloat_with_epsilon (assay_job_estimate_remaining (1.5, 0.25), 4.5, 1e-12);
  g_assert_cmpfloat (assay_job_estimate_remaining (0.5, 0.5), ==, -1);
  g_assert_cmpfloat (assay_job_estimate_remaining (30, 0.005), ==, -1);
  g_assert_cmpfloat (assay_job_estimate_remaining (30, 1.0), ==, -1);
  g_assert_cmpfloat (assay_job_estimate_remaining (NAN, 0.5), ==, -1);
  t1 = assay_job_format_time (0.4, 0.0);
  g_assert_cmpstr (t1, ==, "0 s elapsed");
  t2 = assay_job_format_time (12, 0.5);
  g_assert_cmpstr (t2, ==, "12 s elapsed · about 10 s left");
  t3 = assay_job_format_time (83, 0.25);
  g_assert_cmpstr (t3, ==, "1:23 elapsed · about 4 min left");
  t4 = assay_job_format_time (3725, 0.5);
  g_assert_cmpstr (t4, ==, "1:02:05 elapsed · about 62 min left");
  t5 = assay_job_format_time (9, 0.95);
  g_assert_cmpstr (t5, ==, "9 s elapsed · a few seconds left");
  t6 = assay_job_format_time (20000, 0.2);
  g_assert_cmpstr (t6, ==, "5:33:20 elapsed · about 22.2 h left");

  /* a running job: its elapsed time grows with the clock, and once finished it is its run time */
  g_signal_connect (job, "notify::fraction", G_CALLBACK (time_cb), texts);
  g_assert_true (assay_worker_run_sync (worker, job, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (texts->len, >=, 3);
  g_assert_nonnull (strstr (g_ptr_array_index (texts, 0), " elapsed"));
  /* from the fourth step on (1 s in) there is an estimate */
  g_assert_nonnull (strstr (g_ptr_array_index (texts, texts->len - 2), " left"));
  g_assert_cmpfloat (assay_job_get_elapsed (job), >=, 1.4);
  g_assert_cmpfloat (assay_job_get_elapsed (job), ==, assay_job_get_seconds (job));
  g_assert_null (assay_job_dup_time_text (job));
}

/* Auto on a machine without a GPU uses the CPU; it says so only where a CUDA backend was built. */
static void
test_auto_preference_note (void)
{
  g_autoptr (AssayWorker) worker = assay_worker_new (ASSAY_BACKEND_PREFERENCE_AUTO, 1);
  g_autofree char *note = assay_worker_dup_backend_note (worker);

  if (assay_worker_get_backend_kind (worker) == ASSAY_BACKEND_CUDA || !assay_backend_cuda_compiled ())
    g_assert_null (note);
  else
    {
      g_assert_nonnull (note);
      g_assert_true (g_str_has_prefix (note, "No GPU in use: "));
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/worker/progress-and-result", test_progress_and_result);
  g_test_add_func ("/worker/cancel-within-a-second", test_cancel_within_a_second);
  g_test_add_func ("/worker/cancel-queued", test_cancel_queued);
  g_test_add_func ("/worker/failure-is-reported", test_failure_is_reported);
  g_test_add_func ("/worker/io-lane-and-workspace", test_io_lane_and_workspace);
  g_test_add_func ("/worker/cuda-preference-falls-back", test_cuda_preference_falls_back);
  g_test_add_func ("/worker/auto-preference-note", test_auto_preference_note);
  g_test_add_func ("/worker/time-left", test_time_left);
  return g_test_run ();
}
