/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-signals-jobs.c: the label model's fit on the worker. */
#include "config.h"

#include "assay-signals-jobs.h"

#include <glib/gi18n-lib.h>

typedef struct
{
  gint64                 dataset;
  AssaySignalsFitOptions options;
  gboolean               defaults; /* NULL was given: the dataset's current label model */
} FitData;

static gboolean
fit_run (AssayJob *job, gpointer user_data, GError **error)
{
  FitData    *data = user_data;
  AssayStore *store = assay_job_open_store (job, error);
  JsonObject *result;

  if (store == NULL)
    return FALSE;
  result = assay_signals_fit (store, data->dataset, data->defaults ? NULL : &data->options,
                              assay_job_get_cancellable (job), error);
  if (result == NULL)
    return FALSE;
  assay_job_take_result_object (job, result);
  return TRUE;
}

AssayJob *
assay_signals_fit_job_new (gint64 dataset_id, const AssaySignalsFitOptions *options)
{
  FitData *data = g_new0 (FitData, 1);

  data->dataset = dataset_id;
  if (options != NULL)
    data->options = *options;
  else
    data->defaults = TRUE;
  return assay_job_new ("signals-fit", _("Weigh signals"), ASSAY_JOB_LANE_COMPUTE, fit_run, data, g_free);
}
