/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-worker.h"

#include <glib/gi18n.h>

#include "assay-error.h"
#include "assay-job-private.h"

#define IO_THREADS 2

typedef enum
{
  ITEM_JOB,
  ITEM_RECONFIGURE,
  ITEM_STOP,
} ItemType;

typedef struct
{
  ItemType               type;
  AssayJob              *job;
  AssayBackendPreference preference;
} Item;

struct _AssayWorker
{
  GObject                parent_instance;

  GThread               *compute_thread;
  GAsyncQueue           *compute_queue;
  GThreadPool           *io_pool;
  GListStore            *jobs;
  char                  *workspace_path;
  int                    cpu_threads;

  /* Owned by the compute thread */
  AssayBackend          *backend;
  AssayBackend          *cpu_backend;

  /* Published by the compute thread under lock */
  GMutex                 lock;
  GCond                  cond;
  gboolean               backend_ready;
  char                  *backend_description;
  char                  *backend_note;
  AssayBackendKind       backend_kind;
  AssayBackendPreference preference;
};

enum
{
  PROP_0,
  PROP_N_ACTIVE,
  PROP_BACKEND_DESCRIPTION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (AssayWorker, assay_worker, G_TYPE_OBJECT)

static Item *
item_new (ItemType type, AssayJob *job)
{
  Item *item = g_new0 (Item, 1);

  item->type = type;
  item->job = job != NULL ? g_object_ref (job) : NULL;
  return item;
}

static void
item_free (Item *item)
{
  g_clear_object (&item->job);
  g_free (item);
}

/* ---- the compute thread --------------------------------------------------------------------- */

static void
choose_backend (AssayWorker *self, AssayBackendPreference preference)
{
  char             err[512] = "";
  g_autofree char *note = NULL;
  AssayBackend    *backend = NULL;

  g_clear_pointer (&self->backend, assay_backend_free);
  if (preference != ASSAY_BACKEND_PREFERENCE_CPU)
    {
      if (!assay_backend_cuda_compiled ())
        g_strlcpy (err, _("this build has no CUDA backend"), sizeof err);
      else
        backend = assay_backend_cuda_new (0, err, sizeof err);
      /* Auto falls back to the CPU as it should; CUDA chosen in Preferences did not happen. */
      if (backend == NULL)
        note = g_strdup_printf (preference == ASSAY_BACKEND_PREFERENCE_AUTO
                                  ? _("No GPU in use: %s")
                                  : _("CUDA was chosen but cannot be used: %s"), err);
      if (preference == ASSAY_BACKEND_PREFERENCE_AUTO && backend == NULL
          && !assay_backend_cuda_compiled ())
        g_clear_pointer (&note, g_free); /* nothing to say: auto on a CPU-only build */
    }
  if (backend == NULL)
    {
      if (self->cpu_backend == NULL)
        self->cpu_backend = assay_backend_cpu_new (self->cpu_threads, err, sizeof err);
      backend = NULL; /* the CPU backend is kept in cpu_backend */
    }
  self->backend = backend;

  g_mutex_lock (&self->lock);
  g_free (self->backend_description);
  g_free (self->backend_note);
  self->backend_description = g_strdup (assay_backend_describe (backend != NULL ? backend
                                                                                : self->cpu_backend));
  self->backend_kind = backend != NULL ? assay_backend_kind (backend) : ASSAY_BACKEND_CPU;
  self->backend_note = g_steal_pointer (&note);
  self->backend_ready = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

static gboolean
notify_backend_cb (gpointer data)
{
  g_object_notify_by_pspec (G_OBJECT (data), properties[PROP_BACKEND_DESCRIPTION]);
  return G_SOURCE_REMOVE;
}

static gpointer
compute_thread_main (gpointer data)
{
  AssayWorker *self = data;
  Item        *item;

  choose_backend (self, self->preference);
  while ((item = g_async_queue_pop (self->compute_queue)) != NULL)
    {
      if (item->type == ITEM_STOP)
        {
          item_free (item);
          break;
        }
      if (item->type == ITEM_RECONFIGURE)
        {
          choose_backend (self, item->preference);
          g_idle_add_full (G_PRIORITY_DEFAULT, notify_backend_cb, g_object_ref (self),
                           g_object_unref);
        }
      else
        {
          AssayBackend *backend = self->backend;
          if (backend == NULL || assay_job_get_force_cpu (item->job))
            {
              if (self->cpu_backend == NULL)
                self->cpu_backend = assay_backend_cpu_new (self->cpu_threads, NULL, 0);
              backend = self->cpu_backend;
            }
          assay_job_execute (item->job, backend);
        }
      item_free (item);
    }
  g_clear_pointer (&self->backend, assay_backend_free);
  g_clear_pointer (&self->cpu_backend, assay_backend_free);
  return NULL;
}

static void
io_thread_main (gpointer data, gpointer user_data)
{
  AssayJob *job = data;

  assay_job_execute (job, NULL);
  g_object_unref (job);
}

/* ---- object ------------------------------------------------------------------------------------ */

static void
assay_worker_dispose (GObject *object)
{
  AssayWorker *self = ASSAY_WORKER (object);

  if (self->compute_thread != NULL)
    {
      assay_worker_cancel_all (self);
      g_async_queue_push (self->compute_queue, item_new (ITEM_STOP, NULL));
      g_thread_join (g_steal_pointer (&self->compute_thread));
    }
  if (self->io_pool != NULL)
    g_thread_pool_free (g_steal_pointer (&self->io_pool), FALSE, TRUE);
  G_OBJECT_CLASS (assay_worker_parent_class)->dispose (object);
}

static void
assay_worker_finalize (GObject *object)
{
  AssayWorker *self = ASSAY_WORKER (object);

  g_clear_pointer (&self->compute_queue, g_async_queue_unref);
  g_clear_object (&self->jobs);
  g_free (self->workspace_path);
  g_free (self->backend_description);
  g_free (self->backend_note);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (assay_worker_parent_class)->finalize (object);
}

static void
assay_worker_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  AssayWorker *self = ASSAY_WORKER (object);

  switch (prop_id)
    {
    case PROP_N_ACTIVE:
      g_value_set_uint (value, assay_worker_get_n_active (self));
      break;
    case PROP_BACKEND_DESCRIPTION:
      g_value_take_string (value, assay_worker_dup_backend_description (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
assay_worker_class_init (AssayWorkerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = assay_worker_dispose;
  object_class->finalize = assay_worker_finalize;
  object_class->get_property = assay_worker_get_property;

  properties[PROP_N_ACTIVE] = g_param_spec_uint ("n-active", NULL, NULL, 0, G_MAXUINT, 0,
                                                 G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_BACKEND_DESCRIPTION] = g_param_spec_string (
    "backend-description", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
assay_worker_init (AssayWorker *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->jobs = g_list_store_new (ASSAY_TYPE_JOB);
  self->compute_queue = g_async_queue_new_full ((GDestroyNotify) item_free);
}

AssayWorker *
assay_worker_new (AssayBackendPreference preference, int cpu_threads)
{
  AssayWorker *self = g_object_new (ASSAY_TYPE_WORKER, NULL);

  self->preference = preference;
  self->cpu_threads = cpu_threads > 0 ? cpu_threads : (int) g_get_num_processors ();
  self->compute_thread = g_thread_new ("assay-compute", compute_thread_main, self);
  self->io_pool = g_thread_pool_new (io_thread_main, self, IO_THREADS, FALSE, NULL);
  return self;
}

gboolean
assay_worker_parse_preference (const char *text, AssayBackendPreference *preference)
{
  if (g_strcmp0 (text, "auto") == 0)
    *preference = ASSAY_BACKEND_PREFERENCE_AUTO;
  else if (g_strcmp0 (text, "cpu") == 0)
    *preference = ASSAY_BACKEND_PREFERENCE_CPU;
  else if (g_strcmp0 (text, "cuda") == 0)
    *preference = ASSAY_BACKEND_PREFERENCE_CUDA;
  else
    return FALSE;
  return TRUE;
}

void
assay_worker_set_backend_preference (AssayWorker *self, AssayBackendPreference preference)
{
  Item *item;

  g_return_if_fail (ASSAY_IS_WORKER (self));
  g_mutex_lock (&self->lock);
  self->preference = preference;
  g_mutex_unlock (&self->lock);
  item = item_new (ITEM_RECONFIGURE, NULL);
  item->preference = preference;
  g_async_queue_push (self->compute_queue, item);
}

void
assay_worker_set_workspace (AssayWorker *self, const char *path)
{
  g_return_if_fail (ASSAY_IS_WORKER (self));
  g_free (self->workspace_path);
  self->workspace_path = g_strdup (path);
}

const char *
assay_worker_get_workspace (AssayWorker *self)
{
  return self->workspace_path;
}

static void
job_state_changed_cb (AssayJob *job, GParamSpec *pspec, AssayWorker *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ACTIVE]);
}

static void
enqueue (AssayWorker *self, AssayJob *job)
{
  g_autoptr (GMainContext) context = g_main_context_ref_thread_default ();

  assay_job_prepare (job, context, self->workspace_path);
  if (assay_job_get_lane (job) == ASSAY_JOB_LANE_IO)
    g_thread_pool_push (self->io_pool, g_object_ref (job), NULL);
  else
    g_async_queue_push (self->compute_queue, item_new (ITEM_JOB, job));
}

void
assay_worker_submit (AssayWorker *self, AssayJob *job)
{
  g_return_if_fail (ASSAY_IS_WORKER (self));
  g_return_if_fail (ASSAY_IS_JOB (job));

  g_list_store_append (self->jobs, job);
  g_signal_connect_object (job, "notify::state", G_CALLBACK (job_state_changed_cb), self, 0);
  enqueue (self, job);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ACTIVE]);
}

void
assay_worker_retry_on_cpu (AssayWorker *self, AssayJob *job)
{
  g_return_if_fail (ASSAY_IS_WORKER (self));
  g_return_if_fail (assay_job_is_finished (job));

  assay_job_reset (job);
  assay_job_set_force_cpu (job, TRUE);
  enqueue (self, job);
}

static void
finished_cb (AssayJob *job, gboolean *done)
{
  *done = TRUE;
}

gboolean
assay_worker_run_sync (AssayWorker *self, AssayJob *job, GError **error)
{
  g_autoptr (GMainContext) context = g_main_context_ref_thread_default ();
  gboolean done = FALSE;
  gulong   handler;

  handler = g_signal_connect (job, "finished", G_CALLBACK (finished_cb), &done);
  assay_worker_submit (self, job);
  while (!done)
    g_main_context_iteration (context, TRUE);
  g_signal_handler_disconnect (job, handler);
  if (assay_job_get_state (job) != ASSAY_JOB_SUCCEEDED)
    {
      const GError *job_error = assay_job_get_error (job);
      if (job_error != NULL)
        g_propagate_error (error, g_error_copy (job_error));
      else
        g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, _("%s failed"),
                     assay_job_get_title (job));
      return FALSE;
    }
  return TRUE;
}

void
assay_worker_cancel_all (AssayWorker *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->jobs));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (AssayJob) job = g_list_model_get_item (G_LIST_MODEL (self->jobs), i);
      assay_job_cancel (job);
    }
}

GListModel *
assay_worker_get_jobs (AssayWorker *self)
{
  return G_LIST_MODEL (self->jobs);
}

guint
assay_worker_get_n_active (AssayWorker *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->jobs)), active = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (AssayJob) job = g_list_model_get_item (G_LIST_MODEL (self->jobs), i);
      if (!assay_job_is_finished (job))
        active++;
    }
  return active;
}

void
assay_worker_clear_finished (AssayWorker *self)
{
  for (guint i = g_list_model_get_n_items (G_LIST_MODEL (self->jobs)); i > 0; i--)
    {
      g_autoptr (AssayJob) job = g_list_model_get_item (G_LIST_MODEL (self->jobs), i - 1);
      if (assay_job_is_finished (job))
        g_list_store_remove (self->jobs, i - 1);
    }
}

static void
wait_ready (AssayWorker *self)
{
  while (!self->backend_ready)
    g_cond_wait (&self->cond, &self->lock);
}

char *
assay_worker_dup_backend_description (AssayWorker *self)
{
  char *text;

  g_mutex_lock (&self->lock);
  wait_ready (self);
  text = g_strdup (self->backend_description);
  g_mutex_unlock (&self->lock);
  return text;
}

AssayBackendKind
assay_worker_get_backend_kind (AssayWorker *self)
{
  AssayBackendKind kind;

  g_mutex_lock (&self->lock);
  wait_ready (self);
  kind = self->backend_kind;
  g_mutex_unlock (&self->lock);
  return kind;
}

char *
assay_worker_dup_backend_note (AssayWorker *self)
{
  char *text;

  g_mutex_lock (&self->lock);
  wait_ready (self);
  text = g_strdup (self->backend_note);
  g_mutex_unlock (&self->lock);
  return text;
}

int
assay_worker_get_cpu_threads (AssayWorker *self)
{
  return self->cpu_threads;
}
