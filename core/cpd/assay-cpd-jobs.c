/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-cpd-jobs.h"

#include <glib/gi18n.h>

typedef struct
{
  AssaySpringChange change;
  guint             count;
  guint64           seed;
} SimulateData;

static gboolean
simulate_run (AssayJob *job, gpointer user_data, GError **error)
{
  SimulateData *data = user_data;
  AssayStore   *store = assay_job_open_store (job, error);
  gint64        dataset;
  JsonObject   *o;

  if (store == NULL || !assay_cpd_simulate_dataset (store, data->change, data->count, data->seed,
                                                    &dataset, error))
    return FALSE;
  o = json_object_new ();
  json_object_set_int_member (o, "dataset", dataset);
  json_object_set_int_member (o, "series", data->count);
  assay_job_take_result_object (job, o);
  return TRUE;
}

AssayJob *
assay_cpd_simulate_job_new (AssaySpringChange change, guint count, guint64 seed)
{
  SimulateData    *data = g_new0 (SimulateData, 1);
  g_autofree char *title = g_strdup_printf (_("Simulate %u %s changes"), count,
                                            assay_spring_change_name (change));

  data->change = change;
  data->count = count;
  data->seed = seed;
  return assay_job_new ("cpd-simulate", title, ASSAY_JOB_LANE_IO, simulate_run, data, g_free);
}

typedef struct
{
  GStrv                 paths;
  AssayCpdImportOptions options;
  char                 *name;
  char                 *time_column;
} ImportData;

static void
import_data_free (ImportData *data)
{
  g_strfreev (data->paths);
  g_free (data->name);
  g_free (data->time_column);
  g_free (data);
}

static gboolean
import_run (AssayJob *job, gpointer user_data, GError **error)
{
  ImportData          *data = user_data;
  AssayStore          *store = assay_job_open_store (job, error);
  AssayCpdImportResult r;
  JsonObject          *o;

  if (store == NULL)
    return FALSE;
  assay_job_set_progress (job, 0.1, _("Reading series"));
  if (!assay_cpd_import (store, (const char *const *) data->paths, &data->options, &r,
                         assay_job_get_cancellable (job), error))
    return FALSE;
  o = json_object_new ();
  json_object_set_int_member (o, "dataset", r.dataset);
  json_object_set_int_member (o, "series", r.series);
  json_object_set_int_member (o, "missing", r.missing);
  json_object_set_int_member (o, "annotated", r.annotated);
  assay_job_take_result_object (job, o);
  return TRUE;
}

AssayJob *
assay_cpd_import_job_new (const char *const *paths, const AssayCpdImportOptions *options)
{
  ImportData      *data = g_new0 (ImportData, 1);
  g_autofree char *base = g_path_get_basename (paths[0]);
  g_autofree char *title = g_strdup_printf (_("Import %s"), base);

  data->paths = g_strdupv ((char **) paths);
  if (options != NULL)
    data->options = *options;
  else
    assay_cpd_import_options_init (&data->options);
  data->name = g_strdup (data->options.name);
  data->time_column = g_strdup (data->options.time_column);
  data->options.name = data->name;
  data->options.time_column = data->time_column;
  return assay_job_new ("cpd-import", title, ASSAY_JOB_LANE_IO, import_run, data,
                        (GDestroyNotify) import_data_free);
}

typedef struct
{
  gint64               dataset;
  AssayCpdScoreOptions options;
  char                *shard_out;
} ScoreData;

static void
score_data_free (ScoreData *data)
{
  g_free (data->shard_out);
  g_free (data);
}

static gboolean
score_run (AssayJob *job, gpointer user_data, GError **error)
{
  ScoreData    *data = user_data;
  g_autoptr (AssayStore) reader = NULL;
  AssayStore   *store = data->options.shard.n > 0
                          ? (reader = assay_store_open_reader (assay_job_get_workspace (job), error))
                          : assay_job_open_store (job, error);
  AssayBackend *backend = assay_job_get_backend (job);
  AssayCpdScoreOptions options = data->options;
  g_autoptr (JsonObject) metrics = NULL;
  g_autoptr (GTimer) timer = g_timer_new ();
  JsonObject   *o;
  gint64        run;

  if (store == NULL)
    return FALSE;
  if (options.threads <= 0 && backend != NULL && assay_backend_kind (backend) == ASSAY_BACKEND_CPU)
    options.threads = assay_backend_threads (backend);
  if (!assay_cpd_score_dataset (store, data->dataset, &options, assay_job_progress_func, job,
                                assay_job_get_cancellable (job), &run, error))
    return FALSE;
  if (options.shard.n > 0)
    {
      o = json_object_new ();
      json_object_set_string_member (o, "shard_out", options.shard_out);
      json_object_set_int_member (o, "k", options.shard.k);
      json_object_set_int_member (o, "n", options.shard.n);
      json_object_set_int_member (o, "dataset", data->dataset);
      json_object_set_double_member (o, "seconds", g_timer_elapsed (timer, NULL));
      assay_job_take_result_object (job, o);
      return TRUE;
    }
  metrics = assay_cpd_evaluate_run (store, run, error);
  if (metrics == NULL)
    return FALSE;
  o = json_object_new ();
  json_object_set_int_member (o, "run", run);
  json_object_set_int_member (o, "dataset", data->dataset);
  json_object_set_double_member (o, "seconds", g_timer_elapsed (timer, NULL));
  {
    static const char *keys[] = { "auc", "tri", "dist", "f1", "cover", "type_accuracy", "series" };
    for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
      if (json_object_has_member (metrics, keys[i]))
        json_object_set_member (o, keys[i], json_node_copy (json_object_get_member (metrics, keys[i])));
  }
  assay_job_take_result_object (job, o);
  return TRUE;
}

AssayJob *
assay_cpd_score_job_new (gint64 dataset, const AssayCpdScoreOptions *options)
{
  ScoreData       *data = g_new0 (ScoreData, 1);
  g_autofree char *title = NULL;
  AssayJob        *job;

  data->dataset = dataset;
  if (options != NULL)
    data->options = *options;
  else
    assay_cpd_score_options_init (&data->options);
  data->shard_out = g_strdup (data->options.shard_out);
  data->options.shard_out = data->shard_out;
  title = g_strdup_printf (_("Score change points (%s)"), assay_detector_name (data->options.detector));
  job = assay_job_new ("cpd-score", title, ASSAY_JOB_LANE_COMPUTE, score_run, data,
                       (GDestroyNotify) score_data_free);
  assay_job_set_reads_only (job, data->options.shard.n > 0);
  return job;
}

typedef struct
{
  GArray               *datasets;
  AssayCordTrainOptions options;
} TrainData;

static void
train_data_free (TrainData *data)
{
  g_array_unref (data->datasets);
  g_free (data);
}

static gboolean
train_run (AssayJob *job, gpointer user_data, GError **error)
{
  TrainData  *data = user_data;
  AssayStore *store = assay_job_open_store (job, error);
  JsonObject *result = NULL;
  gint64      model = 0;

  if (store == NULL)
    return FALSE;
  if (!assay_cord_train (store, data->datasets, &data->options, assay_job_progress_func, job,
                         assay_job_get_cancellable (job), &model, &result, error))
    return FALSE;
  assay_job_take_result_object (job, result);
  return TRUE;
}

AssayJob *
assay_cpd_train_job_new (GArray *datasets, const AssayCordTrainOptions *options)
{
  TrainData *data = g_new0 (TrainData, 1);

  data->datasets = g_array_copy (datasets);
  if (options != NULL)
    data->options = *options;
  else
    assay_cord_train_options_init (&data->options);
  return assay_job_new ("cpd-train", _("Train a change-point model"), ASSAY_JOB_LANE_COMPUTE, train_run, data,
                        (GDestroyNotify) train_data_free);
}
