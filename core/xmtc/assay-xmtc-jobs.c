/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-xmtc-jobs.h"

#include <glib/gi18n.h>

#include "assay-embeddings.h"

typedef struct
{
  char                  *path;
  AssayXmtcImportOptions options;
  GPtrArray             *strings; /* owned copies of the options' strings */
} ImportData;

static void
import_data_free (ImportData *data)
{
  g_free (data->path);
  g_ptr_array_unref (data->strings);
  g_free (data);
}

static const char *
keep (ImportData *data, const char *s)
{
  char *copy = g_strdup (s);

  if (copy != NULL)
    g_ptr_array_add (data->strings, copy);
  return copy;
}

static gboolean
import_run (AssayJob *job, gpointer user_data, GError **error)
{
  ImportData           *data = user_data;
  AssayXmtcImportResult r;
  AssayStore           *store = assay_job_open_store (job, error);
  JsonObject           *o;

  if (store == NULL)
    return FALSE;
  if (!assay_xmtc_import (store, data->path, &data->options, &r, assay_job_progress_func, job,
                          assay_job_get_cancellable (job), error))
    return FALSE;
  o = json_object_new ();
  json_object_set_int_member (o, "dataset", r.dataset);
  json_object_set_int_member (o, "documents", r.documents);
  json_object_set_int_member (o, "labels", r.labels);
  json_object_set_int_member (o, "train", r.train);
  json_object_set_int_member (o, "test", r.test);
  json_object_set_int_member (o, "skipped_duplicates", r.duplicates);
  json_object_set_int_member (o, "skipped_empty", r.empty);
  json_object_set_int_member (o, "skipped_unlabelled", r.unlabelled);
  json_object_set_int_member (o, "out_of_range", r.out_of_range);
  json_object_set_int_member (o, "labels_without_train", r.labels_without_train);
  json_object_set_int_member (o, "labels_dropped", r.labels_dropped);
  assay_job_take_result_object (job, o);
  return TRUE;
}

AssayJob *
assay_xmtc_import_job_new (const char *path, const AssayXmtcImportOptions *options)
{
  ImportData      *data = g_new0 (ImportData, 1);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *title = g_strdup_printf (_("Import %s"), base);

  data->path = g_strdup (path);
  data->strings = g_ptr_array_new_with_free_func (g_free);
  if (options != NULL)
    data->options = *options;
  else
    assay_xmtc_import_options_init (&data->options);
  data->options.name = keep (data, data->options.name);
  data->options.test_path = keep (data, data->options.test_path);
  data->options.vocabulary_path = keep (data, data->options.vocabulary_path);
  data->options.label_names_path = keep (data, data->options.label_names_path);
  data->options.text_columns = keep (data, data->options.text_columns);
  data->options.label_column = keep (data, data->options.label_column);
  data->options.label_separator = keep (data, data->options.label_separator);
  data->options.split_column = keep (data, data->options.split_column);
  return assay_job_new ("xmtc-import", title, ASSAY_JOB_LANE_IO, import_run, data,
                        (GDestroyNotify) import_data_free);
}

typedef struct
{
  gint64                dataset;
  AssayXmtcTrainOptions options;
  char                 *shard_out;
} TrainData;

static void
train_data_free (TrainData *data)
{
  g_free (data->shard_out);
  g_free (data);
}

static gboolean
train_run (AssayJob *job, gpointer user_data, GError **error)
{
  TrainData           *data = user_data;
  AssayXmtcTrainResult r;
  g_autoptr (AssayStore) reader = NULL;
  AssayStore          *store = data->options.shard.n > 0
                                 ? (reader = assay_store_open_reader (assay_job_get_workspace (job), error))
                                 : assay_job_open_store (job, error);
  AssayBackend        *backend = assay_job_get_backend (job);
  g_autoptr (JsonObject) metrics = NULL;
  JsonObject          *o;
  AssayXmtcTrainOptions options = data->options;

  if (store == NULL)
    return FALSE;
  /* The solver is sparse and runs on the CPU cores whatever the backend. */
  if (options.threads <= 0 && backend != NULL && assay_backend_kind (backend) == ASSAY_BACKEND_CPU)
    options.threads = assay_backend_threads (backend);
  if (!assay_xmtc_train (store, data->dataset, &options, backend, assay_job_progress_func, job,
                         assay_job_get_cancellable (job), &r, error))
    return FALSE;
  if (options.shard.n > 0)
    {
      o = json_object_new ();
      json_object_set_string_member (o, "shard_out", options.shard_out);
      json_object_set_int_member (o, "k", options.shard.k);
      json_object_set_int_member (o, "n", options.shard.n);
      json_object_set_double_member (o, "seconds_train", r.seconds_train);
      json_object_set_int_member (o, "max_passes", r.svm.max_passes);
      assay_job_take_result_object (job, o);
      return TRUE;
    }
  metrics = assay_xmtc_evaluate_run (store, r.run, options.propensity_a, options.propensity_b,
                                     NULL);
  o = json_object_new ();
  json_object_set_int_member (o, "run", r.run);
  json_object_set_double_member (o, "seconds", r.seconds);
  json_object_set_double_member (o, "seconds_load", r.seconds_load);
  json_object_set_double_member (o, "seconds_features", r.seconds_features);
  json_object_set_double_member (o, "seconds_train", r.seconds_train);
  json_object_set_double_member (o, "seconds_predict", r.seconds_predict);
  json_object_set_double_member (o, "seconds_store", r.seconds_store);
  json_object_set_int_member (o, "features", r.n_features);
  json_object_set_int_member (o, "trained_labels", r.n_trained);
  json_object_set_int_member (o, "weights", (gint64) r.n_weights);
  json_object_set_int_member (o, "max_passes", r.svm.max_passes);
  if (metrics != NULL)
    {
      static const char *keys[] = { "p@1", "p@3", "p@5", "psp@1", "psp@3", "psp@5", "ndcg@5",
                                    "tail_macro_f1@1", "tail_macro_f1@3" };
      for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
        if (json_object_has_member (metrics, keys[i]))
          json_object_set_double_member (o, keys[i], json_object_get_double_member (metrics, keys[i]));
    }
  assay_job_take_result_object (job, o);
  return TRUE;
}

AssayJob *
assay_xmtc_train_job_new (gint64 dataset_id, const AssayXmtcTrainOptions *options)
{
  TrainData *data = g_new0 (TrainData, 1);
  AssayJob  *job;

  data->dataset = dataset_id;
  if (options != NULL)
    data->options = *options;
  else
    assay_xmtc_train_options_init (&data->options);
  data->shard_out = g_strdup (data->options.shard_out);
  data->options.shard_out = data->shard_out;
  job = assay_job_new ("xmtc-train", _("Train label model"), ASSAY_JOB_LANE_COMPUTE, train_run, data,
                       (GDestroyNotify) train_data_free);
  assay_job_set_reads_only (job, data->options.shard.n > 0);
  return job;
}

typedef struct
{
  gint64                dataset;
  AssayXmtcErrorOptions options;
  AssayLabelErrorsFunc  func;
  gboolean              defaults; /* the embeddings join in when the dataset has a set */
} ErrorsData;

static gboolean
errors_run (AssayJob *job, gpointer user_data, GError **error)
{
  ErrorsData *data = user_data;
  AssayStore *store = assay_job_open_store (job, error);
  JsonObject *result;

  if (store == NULL)
    return FALSE;
  if (data->defaults)
    {
      gint64 set = assay_embeddings_latest_set (store, data->dataset, "text", error);
      if (set < 0)
        return FALSE;
      if (set > 0)
        {
          data->options.embedding_set = set;
          data->options.model = ASSAY_ERROR_MODEL_MEAN;
        }
    }
  result = data->func (store, data->dataset, &data->options, assay_job_progress_func, job,
                       assay_job_get_cancellable (job), error);
  if (result == NULL)
    return FALSE;
  assay_job_take_result_object (job, result);
  return TRUE;
}

AssayJob *
assay_label_errors_job_new (const char *kind, const char *title, AssayLabelErrorsFunc func, gint64 dataset_id,
                            const AssayXmtcErrorOptions *options)
{
  ErrorsData *data = g_new0 (ErrorsData, 1);

  data->dataset = dataset_id;
  data->func = func;
  if (options != NULL)
    data->options = *options;
  else
    {
      assay_xmtc_error_options_init (&data->options);
      data->defaults = TRUE;
    }
  return assay_job_new (kind, title, ASSAY_JOB_LANE_COMPUTE, errors_run, data, g_free);
}

AssayJob *
assay_xmtc_errors_job_new (gint64 dataset_id, const AssayXmtcErrorOptions *options)
{
  return assay_label_errors_job_new ("xmtc-errors", _("Find label errors"), assay_xmtc_label_errors, dataset_id,
                                     options);
}
