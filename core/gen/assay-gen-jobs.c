/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-gen-jobs.h"

#include "assay-gen-dedup.h"

#include <glib/gi18n.h>

typedef struct
{
  char                 *path;
  char                 *name;
  AssayGenImportOptions options;
} ImportData;

static void
import_data_free (ImportData *data)
{
  g_free (data->path);
  g_free (data->name);
  g_clear_pointer (&data->options.fields, json_object_unref);
  g_free (data);
}

static gboolean
import_run (AssayJob *job, gpointer user_data, GError **error)
{
  ImportData          *data = user_data;
  AssayStore          *store = assay_job_open_store (job, error);
  AssayGenImportResult r;
  JsonObject          *o;

  if (store == NULL)
    return FALSE;
  if (!assay_gen_import (store, data->path, &data->options, &r, assay_job_progress_func, job,
                         assay_job_get_cancellable (job), error))
    return FALSE;
  o = json_object_new ();
  json_object_set_int_member (o, "dataset", r.dataset);
  json_object_set_int_member (o, "imported", r.imported);
  json_object_set_int_member (o, "numbers_as_text", r.numbers_as_text);
  json_object_set_string_member (o, "mapping", assay_gen_mapping_name (r.mapping));
  assay_job_take_result_object (job, o);
  return TRUE;
}

AssayJob *
assay_gen_import_job_new (const char *path, const AssayGenImportOptions *options)
{
  ImportData      *data = g_new0 (ImportData, 1);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *title = g_strdup_printf (_("Import %s"), base);

  data->path = g_strdup (path);
  if (options != NULL)
    data->options = *options;
  else
    assay_gen_import_options_init (&data->options);
  data->name = g_strdup (data->options.name);
  data->options.name = data->name;
  if (data->options.fields != NULL)
    json_object_ref (data->options.fields);
  return assay_job_new ("gen-import", title, ASSAY_JOB_LANE_IO, import_run, data,
                        (GDestroyNotify) import_data_free);
}

typedef struct
{
  gint64 dataset;
  double threshold;
} DedupData;

static gboolean
dedup_run (AssayJob *job, gpointer user_data, GError **error)
{
  DedupData  *d = user_data;
  AssayStore *store = assay_job_open_store (job, error);
  JsonObject *result;

  if (store == NULL)
    return FALSE;
  assay_job_set_progress (job, 0.1, _("Signatures of the texts"));
  if ((result = assay_gen_dedup (store, d->dataset, d->threshold, NULL, error)) == NULL)
    return FALSE;
  assay_job_take_result_object (job, result);
  return TRUE;
}

AssayJob *
assay_gen_dedup_job_new (gint64 dataset, double threshold)
{
  DedupData *d = g_new0 (DedupData, 1);

  d->dataset = dataset;
  d->threshold = threshold;
  return assay_job_new ("gen-dedup", _("Find near-duplicates"), ASSAY_JOB_LANE_COMPUTE, dedup_run, d, g_free);
}
