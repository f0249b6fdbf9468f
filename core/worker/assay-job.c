/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-job.h"

#include <math.h>

#include <glib/gi18n.h>

#include "assay-error.h"
#include "assay-job-private.h"

struct _AssayJob
{
  GObject        parent_instance;

  char          *kind;
  char          *title;
  AssayJobLane   lane;
  AssayJobFunc   func;
  gpointer       user_data;
  GDestroyNotify destroy;
  GCancellable  *cancellable;
  gboolean       force_cpu;
  gboolean       reads_only;

  /* Set by the worker before the job runs */
  GMainContext  *context;
  char          *workspace_path;
  gboolean       workspace_explicit;

  /* Only touched by the thread running the job */
  AssayBackend  *backend;
  AssayStore    *store;
  gint64         job_row;

  /* Shared: guarded by lock, announced by one idle callback at a time */
  GMutex         lock;
  AssayJobState  state;
  double         fraction;
  char          *message;
  GError        *error;
  JsonNode      *result;
  double         seconds;
  gint64         started_us; /* monotonic time it started running (0: not yet) */
  char          *backend_description;
  JsonNode      *partial;    /* what the job has so far (e.g. a training run's steps) */
  guint          partial_serial;
  guint          idle_source;

  /* Main thread copies, as last announced */
  AssayJobState  shown_state;
  double         shown_fraction;
  char          *shown_message;
  JsonNode      *shown_partial;
  guint          shown_partial_serial;
  gboolean       finished_emitted;
};

enum
{
  PROP_0,
  PROP_STATE,
  PROP_FRACTION,
  PROP_MESSAGE,
  PROP_PARTIAL,
  N_PROPS
};

enum
{
  FINISHED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint       signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (AssayJob, assay_job, G_TYPE_OBJECT)

static void
assay_job_finalize (GObject *object)
{
  AssayJob *self = ASSAY_JOB (object);

  if (self->destroy != NULL)
    self->destroy (self->user_data);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->store);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->error, g_error_free);
  g_clear_pointer (&self->result, json_node_unref);
  g_free (self->kind);
  g_free (self->title);
  g_free (self->workspace_path);
  g_free (self->message);
  g_free (self->shown_message);
  g_clear_pointer (&self->partial, json_node_unref);
  g_clear_pointer (&self->shown_partial, json_node_unref);
  g_free (self->backend_description);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (assay_job_parent_class)->finalize (object);
}

static void
assay_job_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  AssayJob *self = ASSAY_JOB (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_int (value, self->shown_state);
      break;
    case PROP_FRACTION:
      g_value_set_double (value, self->shown_fraction);
      break;
    case PROP_MESSAGE:
      g_value_set_string (value, self->shown_message);
      break;
    case PROP_PARTIAL:
      g_value_set_boxed (value, self->shown_partial);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
assay_job_class_init (AssayJobClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = assay_job_finalize;
  object_class->get_property = assay_job_get_property;

  properties[PROP_STATE] = g_param_spec_int ("state", NULL, NULL, ASSAY_JOB_QUEUED,
                                             ASSAY_JOB_CANCELLED, ASSAY_JOB_QUEUED,
                                             G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_FRACTION] = g_param_spec_double ("fraction", NULL, NULL, 0.0, 1.0, 0.0,
                                                   G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_MESSAGE] = g_param_spec_string ("message", NULL, NULL, NULL,
                                                  G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /* a JsonNode: what the job has so far, as it last announced it */
  properties[PROP_PARTIAL] = g_param_spec_boxed ("partial", NULL, NULL, JSON_TYPE_NODE,
                                                 G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * AssayJob::finished:
   *
   * Emitted once on the submitting main context when the job succeeded, failed or was
   * cancelled.
   */
  signals[FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                    NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
assay_job_init (AssayJob *self)
{
  g_mutex_init (&self->lock);
  self->cancellable = g_cancellable_new ();
}

AssayJob *
assay_job_new (const char *kind, const char *title, AssayJobLane lane, AssayJobFunc func,
               gpointer user_data, GDestroyNotify destroy)
{
  AssayJob *self;

  g_return_val_if_fail (kind != NULL, NULL);
  g_return_val_if_fail (func != NULL, NULL);

  self = g_object_new (ASSAY_TYPE_JOB, NULL);
  self->kind = g_strdup (kind);
  self->title = g_strdup (title != NULL ? title : kind);
  self->lane = lane;
  self->func = func;
  self->user_data = user_data;
  self->destroy = destroy;
  return self;
}

const char *
assay_job_get_kind (AssayJob *self)
{
  return self->kind;
}

const char *
assay_job_get_title (AssayJob *self)
{
  return self->title;
}

AssayJobLane
assay_job_get_lane (AssayJob *self)
{
  return self->lane;
}

GCancellable *
assay_job_get_cancellable (AssayJob *self)
{
  return self->cancellable;
}

void
assay_job_cancel (AssayJob *self)
{
  g_return_if_fail (ASSAY_IS_JOB (self));
  g_cancellable_cancel (self->cancellable);
}

void
assay_job_set_workspace (AssayJob *self, const char *path)
{
  g_return_if_fail (ASSAY_IS_JOB (self));
  g_free (self->workspace_path);
  self->workspace_path = g_strdup (path);
  self->workspace_explicit = TRUE;
}

const char *
assay_job_get_workspace (AssayJob *self)
{
  return self->workspace_path;
}

void
assay_job_set_reads_only (AssayJob *self, gboolean reads_only)
{
  g_return_if_fail (ASSAY_IS_JOB (self));
  self->reads_only = reads_only;
}

void
assay_job_set_force_cpu (AssayJob *self, gboolean force_cpu)
{
  self->force_cpu = force_cpu;
}

gboolean
assay_job_get_force_cpu (AssayJob *self)
{
  return self->force_cpu;
}

AssayBackend *
assay_job_get_backend (AssayJob *self)
{
  return self->backend;
}

gboolean
assay_job_check_cancelled (AssayJob *self, GError **error)
{
  return g_cancellable_set_error_if_cancelled (self->cancellable, error);
}

AssayStore *
assay_job_open_store (AssayJob *self, GError **error)
{
  if (self->store != NULL)
    return self->store;
  if (self->workspace_path == NULL)
    {
      g_set_error_literal (error, ASSAY_ERROR, ASSAY_ERROR_FAILED,
                           _("No workspace is open for this job"));
      return NULL;
    }
  self->store = assay_store_open_secondary (self->workspace_path, error);
  return self->store;
}

/* ---- announcing on the main context ---------------------------------------------------------- */

static gboolean
announce_cb (gpointer data)
{
  AssayJob     *self = data;
  AssayJobState state;
  double        fraction;
  char         *message;
  JsonNode     *partial = NULL;
  guint         partial_serial;
  gboolean      state_changed, fraction_changed, message_changed, finished;

  g_mutex_lock (&self->lock);
  self->idle_source = 0;
  state = self->state;
  fraction = self->fraction;
  message = g_strdup (self->message);
  partial_serial = self->partial_serial;
  if (partial_serial != self->shown_partial_serial && self->partial != NULL)
    partial = json_node_ref (self->partial);
  g_mutex_unlock (&self->lock);

  state_changed = state != self->shown_state;
  fraction_changed = fraction != self->shown_fraction;
  message_changed = g_strcmp0 (message, self->shown_message) != 0;
  self->shown_state = state;
  self->shown_fraction = fraction;
  g_free (self->shown_message);
  self->shown_message = message;

  g_object_freeze_notify (G_OBJECT (self));
  if (partial != NULL)
    {
      g_clear_pointer (&self->shown_partial, json_node_unref);
      self->shown_partial = partial;
      self->shown_partial_serial = partial_serial;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PARTIAL]);
    }
  if (state_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
  if (fraction_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FRACTION]);
  if (message_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MESSAGE]);
  g_object_thaw_notify (G_OBJECT (self));

  finished = state >= ASSAY_JOB_SUCCEEDED;
  if (finished && !self->finished_emitted)
    {
      self->finished_emitted = TRUE;
      g_signal_emit (self, signals[FINISHED], 0);
    }
  return G_SOURCE_REMOVE;
}

/* Called with the lock held. */
static void
schedule_announce_locked (AssayJob *self)
{
  GSource *source;

  if (self->idle_source != 0 || self->context == NULL)
    return;
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, announce_cb, g_object_ref (self), g_object_unref);
  g_source_set_static_name (source, "[assay] job announce");
  self->idle_source = g_source_attach (source, self->context);
  g_source_unref (source);
}

void
assay_job_set_partial (AssayJob *self, JsonNode *partial)
{
  g_return_if_fail (ASSAY_IS_JOB (self));

  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->partial, json_node_unref);
  self->partial = partial;
  self->partial_serial++;
  schedule_announce_locked (self);
  g_mutex_unlock (&self->lock);
}

JsonNode *
assay_job_get_partial (AssayJob *self)
{
  g_return_val_if_fail (ASSAY_IS_JOB (self), NULL);
  return self->shown_partial;
}

void
assay_job_set_progress (AssayJob *self, double fraction, const char *message)
{
  g_return_if_fail (ASSAY_IS_JOB (self));

  g_mutex_lock (&self->lock);
  self->fraction = CLAMP (fraction, 0.0, 1.0);
  if (message != NULL && g_strcmp0 (message, self->message) != 0)
    {
      g_free (self->message);
      self->message = g_strdup (message);
    }
  schedule_announce_locked (self);
  g_mutex_unlock (&self->lock);
}

void
assay_job_set_result (AssayJob *self, JsonNode *result)
{
  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->result, json_node_unref);
  self->result = result;
  g_mutex_unlock (&self->lock);
}

void
assay_job_take_result_object (AssayJob *self, JsonObject *object)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (node, object);
  assay_job_set_result (self, node);
}

void
assay_job_progress_func (double fraction, const char *message, gpointer job)
{
  assay_job_set_progress (job, fraction, message);
}

static void
set_state (AssayJob *self, AssayJobState state)
{
  g_mutex_lock (&self->lock);
  self->state = state;
  schedule_announce_locked (self);
  g_mutex_unlock (&self->lock);
}

/* ---- worker side ------------------------------------------------------------------------------ */

void
assay_job_prepare (AssayJob *self, GMainContext *context, const char *workspace_path)
{
  g_clear_pointer (&self->context, g_main_context_unref);
  self->context = g_main_context_ref (context);
  if (!self->workspace_explicit)
    {
      g_free (self->workspace_path);
      self->workspace_path = g_strdup (workspace_path);
    }
}

void
assay_job_reset (AssayJob *self)
{
  g_mutex_lock (&self->lock);
  self->state = ASSAY_JOB_QUEUED;
  self->fraction = 0.0;
  g_clear_pointer (&self->message, g_free);
  g_clear_pointer (&self->error, g_error_free);
  g_clear_pointer (&self->result, json_node_unref);
  self->finished_emitted = FALSE;
  schedule_announce_locked (self);
  g_mutex_unlock (&self->lock);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
}

void
assay_job_execute (AssayJob *self, AssayBackend *backend)
{
  g_autoptr (GError) error = NULL;
  AssayJobState final_state;
  gboolean      ok;

  if (g_cancellable_is_cancelled (self->cancellable))
    {
      g_mutex_lock (&self->lock);
      self->error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Cancelled"));
      g_mutex_unlock (&self->lock);
      set_state (self, ASSAY_JOB_CANCELLED);
      return;
    }

  self->backend = backend;
  g_mutex_lock (&self->lock);
  g_free (self->backend_description);
  self->backend_description = g_strdup (backend != NULL ? assay_backend_describe (backend) : NULL);
  self->started_us = g_get_monotonic_time ();
  g_mutex_unlock (&self->lock);
  set_state (self, ASSAY_JOB_RUNNING);

  if (self->workspace_path != NULL && !self->reads_only)
    {
      g_autoptr (GError) record_error = NULL;
      AssayStore *store = assay_job_open_store (self, &record_error);
      if (store != NULL)
        self->job_row = assay_store_add_job (store, self->kind, self->title,
                                             self->backend_description, NULL);
    }

  ok = self->func (self, self->user_data, &error);
  if (!ok && error == NULL)
    error = g_error_new (ASSAY_ERROR, ASSAY_ERROR_FAILED, _("%s failed"), self->title);
  if (ok)
    final_state = ASSAY_JOB_SUCCEEDED;
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    final_state = ASSAY_JOB_CANCELLED;
  else
    final_state = ASSAY_JOB_FAILED;

  if (self->store != NULL && self->job_row > 0)
    {
      static const char *names[] = { "queued", "running", "succeeded", "failed", "cancelled" };
      assay_store_finish_job (self->store, self->job_row, names[final_state], error, NULL);
    }
  g_clear_object (&self->store);
  self->backend = NULL;

  g_mutex_lock (&self->lock);
  self->seconds = (g_get_monotonic_time () - self->started_us) / 1e6;
  self->error = g_steal_pointer (&error);
  if (final_state == ASSAY_JOB_SUCCEEDED)
    self->fraction = 1.0;
  g_mutex_unlock (&self->lock);
  set_state (self, final_state);
}

/* ---- main-thread getters ---------------------------------------------------------------------- */

AssayJobState
assay_job_get_state (AssayJob *self)
{
  return self->shown_state;
}

double
assay_job_get_fraction (AssayJob *self)
{
  return self->shown_fraction;
}

char *
assay_job_dup_message (AssayJob *self)
{
  return g_strdup (self->shown_message);
}

gboolean
assay_job_is_finished (AssayJob *self)
{
  return self->shown_state >= ASSAY_JOB_SUCCEEDED;
}

const GError *
assay_job_get_error (AssayJob *self)
{
  const GError *error;

  g_mutex_lock (&self->lock);
  error = self->error;
  g_mutex_unlock (&self->lock);
  return error;
}

JsonNode *
assay_job_get_result (AssayJob *self)
{
  JsonNode *result;

  g_mutex_lock (&self->lock);
  result = self->result;
  g_mutex_unlock (&self->lock);
  return result;
}

double
assay_job_get_elapsed (AssayJob *self)
{
  double elapsed = 0;

  g_return_val_if_fail (ASSAY_IS_JOB (self), 0);
  g_mutex_lock (&self->lock);
  if (self->shown_state >= ASSAY_JOB_SUCCEEDED)
    elapsed = self->seconds;
  else if (self->started_us > 0)
    elapsed = (g_get_monotonic_time () - self->started_us) / 1e6;
  g_mutex_unlock (&self->lock);
  return elapsed;
}

static char *
format_clock (double s)
{
  long t = (long) (s + 0.5);

  if (t < 60)
    return g_strdup_printf (_("%ld s"), t);
  if (t < 3600)
    return g_strdup_printf ("%ld:%02ld", t / 60, t % 60);
  return g_strdup_printf ("%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
}

double
assay_job_estimate_remaining (double elapsed, double fraction)
{
  /* too early to say: the first percent and the first second are mostly start-up */
  if (!isfinite (elapsed) || !isfinite (fraction) || fraction < 0.01 || fraction >= 1.0 || elapsed < 1.0)
    return -1;
  return elapsed * (1.0 - fraction) / fraction;
}

char *
assay_job_format_time (double elapsed, double fraction)
{
  g_autofree char *clock = format_clock (elapsed);
  double           left = assay_job_estimate_remaining (elapsed, fraction);
  g_autofree char *rest = NULL;

  if (left < 0)
    return g_strdup_printf (_("%s elapsed"), clock);
  if (left < 10)
    rest = g_strdup (_("a few seconds left"));
  else if (left < 90)
    rest = g_strdup_printf (_("about %d s left"), (int) (round (left / 10) * 10));
  else if (left < 3600 * 1.5)
    rest = g_strdup_printf (_("about %d min left"), (int) round (left / 60));
  else
    rest = g_strdup_printf (_("about %.1f h left"), left / 3600);
  return g_strdup_printf (_("%s elapsed · %s"), clock, rest);
}

char *
assay_job_dup_time_text (AssayJob *self)
{
  g_return_val_if_fail (ASSAY_IS_JOB (self), NULL);
  if (self->shown_state != ASSAY_JOB_RUNNING)
    return NULL;
  return assay_job_format_time (assay_job_get_elapsed (self), self->shown_fraction);
}

double
assay_job_get_seconds (AssayJob *self)
{
  return self->seconds;
}

const char *
assay_job_get_backend_description (AssayJob *self)
{
  return self->backend_description;
}
