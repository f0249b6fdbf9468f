/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-demo.h"

#include <glib/gi18n.h>

#include "assay-cpd-jobs.h"
#include "assay-cpd-run.h"
#include "assay-error.h"
#include "assay-gen-demo.h"
#include "assay-lm-demo.h"
#include "assay-trace-credit.h"
#include "assay-video-demo.h"
#include "assay-video-import.h"
#include "assay-xmtc-demo.h"
#include "assay-xmtc-jobs.h"

typedef gboolean (*AssayDemoRecipe) (AssayStore *store, AssayWorker *worker, GError **error);

static gboolean
recipe_workspace (AssayStore *store, AssayWorker *worker, GError **error)
{
  sqlite3_stmt *stmt = assay_store_prepare (
    store, "INSERT OR REPLACE INTO meta (key, value) VALUES ('title', ?)", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, _("Assay demo"), -1, SQLITE_TRANSIENT);
  return assay_store_step_done (store, stmt, error);
}

/* Labels: a long-tailed corpus, trained on the worker (or here, without one). */
static gboolean
recipe_labels (AssayStore *store, AssayWorker *worker, GError **error)
{
  AssayXmtcTrainOptions options;
  gint64                dataset = assay_xmtc_demo_import (store, error);

  if (dataset == 0)
    return FALSE;
  assay_xmtc_train_options_init (&options);
  options.tfidf.stop_words = TRUE;
  options.keywords = 12;
  if (worker != NULL)
    {
      g_autoptr (AssayJob) job = assay_xmtc_train_job_new (dataset, &options);
      assay_job_set_workspace (job, assay_store_get_path (store));
      assay_worker_submit (worker, job);
      return TRUE;
    }
  else
    {
      AssayXmtcTrainResult result;
      return assay_xmtc_train (store, dataset, &options, NULL, NULL, NULL, NULL, &result, error);
    }
}

/* Change points: particle-spring series with each change type, scored by CoRD-CPD with the
 * relational encoder (on the worker when there is one). */
static gboolean
recipe_changepoints (AssayStore *store, AssayWorker *worker, GError **error)
{
  static const AssaySpringChange changes[] = { ASSAY_SPRING_LOCATION, ASSAY_SPRING_VELOCITY,
                                               ASSAY_SPRING_CONNECTION };
  AssayCpdScoreOptions options;

  assay_cpd_score_options_init (&options);
  options.detector = ASSAY_DETECTOR_CORD;
  options.cord.encoder = ASSAY_CORD_ENCODER_RELATIONAL;
  for (guint i = 0; i < G_N_ELEMENTS (changes); i++)
    {
      gint64 dataset = 0;
      if (!assay_cpd_simulate_dataset (store, changes[i], 12, 1, &dataset, error))
        return FALSE;
      /* the connection changes also get a BOCPD run, to compare detectors (CoRD-CPD last, so
       * that the page opens on it) */
      gboolean both = changes[i] == ASSAY_SPRING_CONNECTION;
      for (guint d = both ? 0 : 1; d < 2; d++)
        {
          AssayCpdScoreOptions o = options;
          if (d == 0)
            o.detector = ASSAY_DETECTOR_BOCPD;
          if (worker != NULL)
            {
              g_autoptr (AssayJob) job = assay_cpd_score_job_new (dataset, &o);
              assay_job_set_workspace (job, assay_store_get_path (store));
              assay_worker_submit (worker, job);
            }
          else
            {
              gint64 run = 0;
              if (!assay_cpd_score_dataset (store, dataset, &o, NULL, NULL, NULL, &run, error))
                return FALSE;
            }
        }
    }
  return TRUE;
}

/* Generations: records of every kind, a review under way */
static gboolean
recipe_generations (AssayStore *store, AssayWorker *worker, GError **error)
{
  return assay_gen_demo_import (store, error);
}

/* Traces: a credit run over the demo's traces and trace pairs, with a toy policy/reference pair
 * written next to the workspace (assay-lm-demo.h: the policy favours the characters of the
 * chosen answers), so that the page shows coloured tokens, step rewards and first errors. The
 * models stay for Compute Credit. */
static gboolean
recipe_traces (AssayStore *store, AssayWorker *worker, GError **error)
{
  g_autofree char *dir = g_strconcat (assay_store_get_path (store), "-models", NULL);
  g_autoptr (GStrvBuilder) chosen = g_strv_builder_new ();
  g_autoptr (GStrvBuilder) rejected = g_strv_builder_new ();
  g_auto (GStrv) good = NULL, bad = NULL;
  g_autofree char *policy = NULL, *reference = NULL;
  AssayTraceCreditOptions options = { 0 };
  sqlite3_stmt *stmt = assay_store_prepare (store, "SELECT kind, text, rejected, correct FROM gen_records "
                                                   "WHERE kind IN " ASSAY_TRACE_KINDS_SQL, error);

  if (stmt == NULL)
    return FALSE;
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *kind = (const char *) sqlite3_column_text (stmt, 0);
      const char *text = (const char *) sqlite3_column_text (stmt, 1);
      const char *other = (const char *) sqlite3_column_text (stmt, 2);
      if (g_strcmp0 (kind, "pair") == 0 && text != NULL && other != NULL)
        {
          g_strv_builder_add (chosen, text);
          g_strv_builder_add (rejected, other);
        }
      else if (text != NULL && sqlite3_column_type (stmt, 3) != SQLITE_NULL)
        g_strv_builder_add (sqlite3_column_int (stmt, 3) ? chosen : rejected, text);
    }
  sqlite3_reset (stmt);
  good = g_strv_builder_end (chosen);
  bad = g_strv_builder_end (rejected);
  if (!assay_lm_demo_write_pair (dir, (const char *const *) good, (const char *const *) bad, &policy,
                                 &reference, error))
    return FALSE;
  options.policy = policy;
  options.reference = reference;
  if (worker != NULL)
    {
      g_autoptr (AssayJob) job = assay_trace_credit_job_new (&options);
      assay_job_set_workspace (job, assay_store_get_path (store));
      assay_worker_submit (worker, job);
      return TRUE;
    }
  else
    {
      char          err[256] = "";
      AssayBackend *backend = assay_backend_cpu_new (2, err, sizeof err);
      JsonObject   *result = NULL;
      gboolean      ok;

      if (backend == NULL)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, "%s", err);
          return FALSE;
        }
      ok = assay_trace_credit (store, &options, backend, NULL, NULL, NULL, &result, error);
      if (result != NULL)
        json_object_unref (result);
      assay_backend_free (backend);
      return ok;
    }
}

/* Videos: three short clips drawn and encoded here, next to the workspace, with captions,
 * questions and scored responses about them; imported (frames sampled) on the worker. */
static gboolean
recipe_videos (AssayStore *store, AssayWorker *worker, GError **error)
{
  g_autofree char *dir = g_strconcat (assay_store_get_path (store), "-videos", NULL);
  g_auto (GStrv) paths = assay_video_demo_write (dir, error);

  if (paths == NULL)
    return FALSE;
  if (worker != NULL)
    {
      g_autoptr (AssayJob) job = assay_video_import_job_new ((const char *const *) paths, 10, _("Demo clips"));
      assay_job_set_workspace (job, assay_store_get_path (store));
      assay_worker_submit (worker, job);
      return TRUE;
    }
  else
    {
      AssayVideoImportResult r;
      gboolean ok = assay_video_import (store, (const char *const *) paths, 10, _("Demo clips"), &r, NULL, NULL, NULL, error);
      assay_video_import_result_clear (&r);
      return ok;
    }
}

/* One entry per area, in order. Names are stored in the workspace: never rename one. */
static const struct
{
  const char     *name;
  AssayDemoRecipe recipe;
} recipes[] = {
  { "workspace", recipe_workspace },
  { "labels", recipe_labels },
  { "changepoints", recipe_changepoints },
  { "generations", recipe_generations },
  { "videos", recipe_videos },
  { "traces", recipe_traces },
};

char *
assay_demo_default_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "assay", "demo.assay", NULL);
}

static gboolean
applied (AssayStore *store, const char *name)
{
  sqlite3_stmt *stmt = assay_store_prepare (store, "SELECT 1 FROM meta WHERE key = ?", NULL);
  g_autofree char *key = g_strconcat ("demo.", name, NULL);
  gboolean         found;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_TRANSIENT);
  found = sqlite3_step (stmt) == SQLITE_ROW;
  sqlite3_reset (stmt);
  return found;
}

static gboolean
mark_applied (AssayStore *store, const char *name, GError **error)
{
  sqlite3_stmt *stmt = assay_store_prepare (
    store, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, 'done')", error);
  g_autofree char *key = g_strconcat ("demo.", name, NULL);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_TRANSIENT);
  return assay_store_step_done (store, stmt, error);
}

gboolean
assay_demo_populate (AssayStore *store, AssayWorker *worker, GError **error)
{
  g_return_val_if_fail (ASSAY_IS_STORE (store), FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (recipes); i++)
    {
      if (applied (store, recipes[i].name))
        continue;
      if (!assay_store_begin (store, error))
        return FALSE;
      if (!recipes[i].recipe (store, worker, error) || !mark_applied (store, recipes[i].name, error))
        {
          assay_store_rollback (store);
          g_prefix_error (error, _("Demo content “%s”: "), recipes[i].name);
          return FALSE;
        }
      if (!assay_store_commit (store, error))
        return FALSE;
    }
  return TRUE;
}

GStrv
assay_demo_applied (AssayStore *store)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; i < G_N_ELEMENTS (recipes); i++)
    if (applied (store, recipes[i].name))
      g_strv_builder_add (builder, recipes[i].name);
  return g_strv_builder_end (builder);
}
