/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-cluster-watch.h"

#include <gio/gio.h>

#include "assay-slurm.h"

#define INTERVAL_S 15

struct _AssayClusterWatch
{
  GObject       parent_instance;

  AssayStore   *store;
  guint         timeout_id;
  GCancellable *cancellable; /* the look under way, or NULL */
};

G_DEFINE_FINAL_TYPE (AssayClusterWatch, assay_cluster_watch, G_TYPE_OBJECT)

enum { UPDATED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
emit_none (AssayClusterWatch *self)
{
  g_autoptr (JsonObject) none = json_object_new ();
  json_object_set_array_member (none, "jobs", json_array_new ());
  g_signal_emit (self, signals[UPDATED], 0, none);
}

static void
look_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  const char *path = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (AssayStore) store = assay_store_open_secondary (path, &error);
  JsonObject *result = NULL;

  /* merge what has been written, unless the workspace is only for reading */
  if (store == NULL || !assay_slurm_status (store, !assay_store_is_read_only (store), &result, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, result, (GDestroyNotify) json_object_unref);
}

static void
look_done (GObject *source, GAsyncResult *res, gpointer data)
{
  AssayClusterWatch *self = ASSAY_CLUSTER_WATCH (source);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) result = g_task_propagate_pointer (G_TASK (res), &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->cancellable);
  if (result == NULL)
    {
      g_warning ("Cluster jobs: %s", error->message);
      return;
    }
  g_signal_emit (self, signals[UPDATED], 0, result);
}

/* Whether any job is not over: only then are squeue and sacct asked again. */
static gboolean
jobs_live (AssayStore *store, gboolean *any)
{
  *any = assay_store_query_int (store, "SELECT count(*) FROM cluster_jobs", 0) > 0;
  return assay_store_query_int (store, "SELECT count(*) FROM cluster_jobs WHERE state NOT IN ('merged', 'failed')",
                                0) > 0;
}

void
assay_cluster_watch_refresh (AssayClusterWatch *self)
{
  g_autoptr (GTask) task = NULL;
  gboolean any;

  g_return_if_fail (ASSAY_IS_CLUSTER_WATCH (self));
  if (self->store == NULL || self->cancellable != NULL)
    return;
  jobs_live (self->store, &any);
  if (!any)
    {
      emit_none (self);
      return;
    }
  self->cancellable = g_cancellable_new ();
  task = g_task_new (self, self->cancellable, look_done, NULL);
  g_task_set_task_data (task, g_strdup (assay_store_get_path (self->store)), g_free);
  g_task_run_in_thread (task, look_thread);
}

static gboolean
timeout_cb (gpointer data)
{
  AssayClusterWatch *self = data;
  gboolean           any;

  if (self->store != NULL && jobs_live (self->store, &any))
    assay_cluster_watch_refresh (self);
  return G_SOURCE_CONTINUE;
}

void
assay_cluster_watch_set_store (AssayClusterWatch *self, AssayStore *store)
{
  g_return_if_fail (ASSAY_IS_CLUSTER_WATCH (self));

  if (self->cancellable != NULL)
    {
      g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
    }
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  g_set_object (&self->store, store);
  if (store != NULL)
    {
      self->timeout_id = g_timeout_add_seconds (INTERVAL_S, timeout_cb, self);
      assay_cluster_watch_refresh (self);
    }
  else
    emit_none (self);
}

static void
assay_cluster_watch_dispose (GObject *object)
{
  AssayClusterWatch *self = ASSAY_CLUSTER_WATCH (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (assay_cluster_watch_parent_class)->dispose (object);
}

static void
assay_cluster_watch_class_init (AssayClusterWatchClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = assay_cluster_watch_dispose;
  signals[UPDATED] = g_signal_new ("updated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                   NULL, NULL, G_TYPE_NONE, 1, JSON_TYPE_OBJECT);
}

static void
assay_cluster_watch_init (AssayClusterWatch *self)
{
}

AssayClusterWatch *
assay_cluster_watch_new (void)
{
  return g_object_new (ASSAY_TYPE_CLUSTER_WATCH, NULL);
}
