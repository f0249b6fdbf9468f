/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-cpd-run.h"
#include "assay-cord-model.h"

#include <glib/gi18n.h>
#include <math.h>
#include <omp.h>
#include <string.h>

#include "assay-cpd-metrics.h"
#include "assay-error.h"
#include "assay-json.h"
#include "assay-series.h"

#define TRI_WINDOW 15.0
#define F1_MARGIN  5

void
assay_cpd_score_options_init (AssayCpdScoreOptions *options)
{
  memset (options, 0, sizeof *options);
  options->detector = ASSAY_DETECTOR_CORD;
  assay_cord_options_init (&options->cord);
  assay_baseline_options_init (&options->baseline);
}

JsonObject *
assay_cpd_score_options_to_json (const AssayCpdScoreOptions *options)
{
  JsonObject *o = json_object_new ();

  json_object_set_string_member (o, "detector", assay_detector_name (options->detector));
  if (options->detector == ASSAY_DETECTOR_CORD_LEARNED)
    {
      json_object_set_int_member (o, "model", options->model);
      json_object_set_double_member (o, "alpha", options->cord.alpha);
      json_object_set_double_member (o, "tau", options->cord.tau);
      json_object_set_double_member (o, "threshold", options->cord.threshold);
    }
  else if (options->detector == ASSAY_DETECTOR_CORD)
    {
      json_object_set_string_member (o, "encoder", assay_cord_encoder_name (options->cord.encoder));
      json_object_set_int_member (o, "window", options->cord.window);
      json_object_set_int_member (o, "k", options->cord.k);
      json_object_set_double_member (o, "alpha", options->cord.alpha);
      json_object_set_double_member (o, "tau", options->cord.tau);
      json_object_set_double_member (o, "threshold", options->cord.threshold);
    }
  else
    {
      json_object_set_double_member (o, "penalty", options->baseline.penalty);
      json_object_set_int_member (o, "min_size", options->baseline.min_size);
      if (options->detector == ASSAY_DETECTOR_BOCPD)
        {
          json_object_set_double_member (o, "lambda", options->baseline.lambda);
          json_object_set_int_member (o, "lag", options->baseline.lag);
        }
    }
  return o;
}

gboolean
assay_cpd_simulate_dataset (AssayStore *store, AssaySpringChange change, guint count, guint64 seed,
                            gint64 *dataset, GError **error)
{
  g_autoptr (JsonObject) params = json_object_new ();
  g_autofree char *name = g_strdup_printf ("springs: %s changes (%u, seed %llu)",
                                           assay_spring_change_name (change), count,
                                           (unsigned long long) seed);

  json_object_set_string_member (params, "simulator", "particle-springs");
  json_object_set_string_member (params, "change", assay_spring_change_name (change));
  json_object_set_int_member (params, "count", count);
  json_object_set_int_member (params, "seed", (gint64) seed);
  if (!assay_store_begin (store, error))
    return FALSE;
  *dataset = assay_store_add_dataset (store, "cpd", name, "simulator", params, error);
  if (*dataset == 0)
    goto fail;
  for (guint i = 0; i < count; i++)
    {
      g_autoptr (AssaySeries) series = assay_spring_simulate (change, seed, i, NULL);
      if (assay_series_store (series, store, *dataset, error) == 0)
        goto fail;
    }
  if (!assay_store_commit (store, error))
    goto fail;
  assay_store_emit_changed (store, "cpd_series");
  return TRUE;
fail:
  assay_store_rollback (store);
  return FALSE;
}

/* ---- per-series work and metrics --------------------------------------------------------------- */

typedef struct
{
  AssaySeries *series;
  GPtrArray   *names;  /* score names */
  GPtrArray   *curves; /* float * (T each) */
  guint        R;      /* run-length rows (BOCPD) */
  float       *runlength;
  float       *graphs; /* before then after, 2 T N N, or NULL */
  float       *forecast; /* T N M, or NULL */
  GArray      *cps;
  GArray      *types;  /* AssayChangeType or -1 */
  GError      *error;
} Work;

static void
work_clear (Work *w)
{
  g_clear_pointer (&w->series, assay_series_free);
  g_clear_pointer (&w->names, g_ptr_array_unref);
  g_clear_pointer (&w->curves, g_ptr_array_unref);
  g_free (w->runlength);
  g_free (w->graphs);
  g_free (w->forecast);
  g_clear_pointer (&w->cps, g_array_unref);
  g_clear_pointer (&w->types, g_array_unref);
  g_clear_error (&w->error);
}

static const float *
curve (Work *w, const char *name)
{
  for (guint i = 0; w->names != NULL && i < w->names->len; i++)
    if (g_str_equal (g_ptr_array_index (w->names, i), name))
      return g_ptr_array_index (w->curves, i);
  return NULL;
}

static void
run_one (Work *w, const AssayCpdScoreOptions *options, GCancellable *cancellable)
{
  AssaySeries *series = w->series;
  const gsize  T = series->T;

  w->names = g_ptr_array_new_with_free_func (g_free);
  w->curves = g_ptr_array_new_with_free_func (g_free);
  if (options->detector == ASSAY_DETECTOR_CORD || options->detector == ASSAY_DETECTOR_CORD_LEARNED)
    {
      g_autoptr (AssayCordResult) r = assay_cord_score (series, &options->cord, cancellable,
                                                        &w->error);
      if (r == NULL)
        return;
      g_ptr_array_add (w->names, g_strdup ("s_en"));
      g_ptr_array_add (w->curves, g_steal_pointer (&r->s_en));
      g_ptr_array_add (w->names, g_strdup ("s_r"));
      g_ptr_array_add (w->curves, g_steal_pointer (&r->s_r));
      g_ptr_array_add (w->names, g_strdup ("s_d"));
      g_ptr_array_add (w->curves, g_steal_pointer (&r->s_d));
      if (r->graphs_before != NULL)
        {
          gsize n = T * series->N * series->N;
          w->graphs = g_new (float, 2 * n);
          memcpy (w->graphs, r->graphs_before, n * sizeof (float));
          memcpy (w->graphs + n, r->graphs_after, n * sizeof (float));
        }
      w->forecast = g_steal_pointer (&r->forecast);
      w->cps = g_steal_pointer (&r->change_points);
      w->types = g_steal_pointer (&r->change_types);
    }
  else
    {
      g_autoptr (AssayBaselineResult) r = assay_baseline_run (series, options->detector,
                                                              &options->baseline, cancellable,
                                                              &w->error);
      if (r == NULL)
        return;
      g_ptr_array_add (w->names, g_strdup ("score"));
      g_ptr_array_add (w->curves, g_steal_pointer (&r->score));
      w->cps = g_steal_pointer (&r->change_points);
      w->types = g_array_new (FALSE, FALSE, sizeof (int));
      for (guint i = 0; i < w->cps->len; i++)
        {
          int none = -1;
          g_array_append_val (w->types, none);
        }
      w->R = r->R;
      w->runlength = g_steal_pointer (&r->runlength);
    }
}

static guint
argmax (const float *v, guint n)
{
  guint best = 0;

  for (guint i = 1; i < n; i++)
    if (v[i] > v[best])
      best = i;
  return best;
}

/* Metrics of one series from its curves and change points. */
static JsonObject *
series_metrics (AssaySeries *series, const float *main_score, const float *s_r, const float *s_d,
                GArray *cps, double alpha, double tau)
{
  JsonObject *o = json_object_new ();
  g_autoptr (GArray) truth = assay_series_annotation_union (series);
  const guint T = series->T;

  json_object_set_int_member (o, "series", series->id);
  json_object_set_string_member (o, "name", series->name);
  json_object_set_int_member (o, "steps", T);
  if (truth->len > 0)
    {
      double auc = assay_cpd_auc (main_score, T, (guint *) truth->data, truth->len);
      if (!isnan (auc))
        json_object_set_double_member (o, "auc", auc);
    }
  if (truth->len == 1)
    {
      guint l = g_array_index (truth, guint, 0), y = argmax (main_score, T);
      json_object_set_double_member (o, "tri", assay_cpd_tri (y, l, TRI_WINDOW));
      json_object_set_double_member (o, "dist", fabs ((double) y - (double) l));
      json_object_set_int_member (o, "predicted_step", y);
      json_object_set_int_member (o, "true_step", l);
      if (series->change_type != NULL && s_r != NULL && s_d != NULL)
        {
          g_autofree float *zr = g_memdup2 (s_r, T * sizeof (float));
          g_autofree float *zd = g_memdup2 (s_d, T * sizeof (float));
          gboolean          correlation, truth_correlation;
          assay_cord_zscore (zr, T);
          assay_cord_zscore (zd, T);
          correlation = zr[l] - alpha * zd[l] >= tau;
          json_object_set_double_member (o, "type_score", zr[l] - alpha * zd[l]);
          truth_correlation = g_str_equal (series->change_type, "connection");
          json_object_set_string_member (o, "type", series->change_type);
          json_object_set_string_member (o, "predicted_type",
                                         correlation ? "correlation" : "independent");
          json_object_set_boolean_member (o, "type_correct", correlation == truth_correlation);
        }
    }
  if (series->annotations->len > 0)
    {
      double P, R, F = assay_cpd_f1 (series->annotations, (guint *) cps->data, cps->len, F1_MARGIN,
                                     &P, &R);
      json_object_set_double_member (o, "f1", F);
      json_object_set_double_member (o, "precision", P);
      json_object_set_double_member (o, "recall", R);
      json_object_set_double_member (o, "cover",
                                     assay_cpd_cover (series->annotations, (guint *) cps->data,
                                                      cps->len, T));
    }
  {
    JsonArray *a = json_array_new ();
    for (guint i = 0; i < cps->len; i++)
      json_array_add_int_element (a, g_array_index (cps, guint, i));
    json_object_set_array_member (o, "change_points", a);
  }
  return o;
}

/* Means of the per-series metrics, and the list itself. */
static JsonObject *
summarise (JsonArray *per_series)
{
  static const char *keys[] = { "auc", "tri", "dist", "f1", "cover", "precision", "recall", "p_acc" };
  JsonObject *o = json_object_new ();
  guint       n = json_array_get_length (per_series), typed = 0, correct = 0;

  for (guint k = 0; k < G_N_ELEMENTS (keys); k++)
    {
      double sum = 0;
      guint  count = 0;
      for (guint i = 0; i < n; i++)
        {
          JsonObject *s = json_array_get_object_element (per_series, i);
          if (json_object_has_member (s, keys[k]))
            {
              sum += json_object_get_double_member (s, keys[k]);
              count++;
            }
        }
      if (count > 0)
        json_object_set_double_member (o, keys[k], sum / count);
    }
  for (guint i = 0; i < n; i++)
    {
      JsonObject *s = json_array_get_object_element (per_series, i);
      if (json_object_has_member (s, "type_correct"))
        {
          typed++;
          correct += json_object_get_boolean_member (s, "type_correct");
        }
    }
  if (typed > 0)
    json_object_set_double_member (o, "type_accuracy", (double) correct / typed);
  json_object_set_int_member (o, "series", n);
  json_object_set_array_member (o, "per_series", json_array_ref (per_series));
  return o;
}

static void
bind_floats (sqlite3_stmt *stmt, int index, const float *v, gsize n)
{
  if (n > 0 && v != NULL)
    sqlite3_bind_blob64 (stmt, index, v, n * sizeof (float), SQLITE_STATIC);
  else
    sqlite3_bind_zeroblob (stmt, index, 0);
}

static char *
types_json (GArray *types)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_ARRAY);
  JsonArray *a = json_array_new ();

  for (guint i = 0; types != NULL && i < types->len; i++)
    {
      int t = g_array_index (types, int, i);
      if (t < 0)
        json_array_add_null_element (a);
      else
        json_array_add_string_element (a, t == ASSAY_CHANGE_CORRELATION ? "correlation"
                                                                         : "independent");
    }
  json_node_take_array (node, a);
  return assay_json_node_to_string (node, FALSE);
}

static char *
steps_json (GArray *steps)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_ARRAY);
  JsonArray *a = json_array_new ();

  for (guint i = 0; steps != NULL && i < steps->len; i++)
    json_array_add_int_element (a, g_array_index (steps, guint, i));
  json_node_take_array (node, a);
  return assay_json_node_to_string (node, FALSE);
}

/* SHA-256 over every series of the dataset: id, shape, data and annotations. */
static char *
series_hash (AssayStore *store, gint64 dataset, GError **error)
{
  return assay_store_hash_rows (store, "SELECT id, n_steps, n_vars, n_feats, data, annotations, change_type "
                                "FROM cpd_series WHERE dataset_id = ? ORDER BY id", &dataset, 1, error);
}

gboolean
assay_cpd_score_merge (AssayMergeContext *ctx, GError **error)
{
  g_autoptr (JsonArray) per_series = json_array_new ();
  g_autoptr (JsonObject) summary = NULL;
  sqlite3_stmt *stmt;
  double        seconds = 0;
  int           rc;

  {
    g_autofree char *inputs = series_hash (ctx->store, assay_json_get_int (ctx->provenance, "dataset", 0),
                                           error);
    if (inputs == NULL)
      return FALSE;
    if (g_strcmp0 (inputs, assay_json_get_string (ctx->provenance, "inputs_sha256", "")) != 0)
      {
        g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                     _("“%s” was made from other series than this workspace holds (another "
                       "workspace, or series changed since)"),
                     ctx->shards[0]->path);
        return FALSE;
      }
  }
  if (ctx->run == 0)
    {
      JsonObject *options = json_object_get_object_member (ctx->provenance, "params");
      g_autofree char *text = assay_json_object_to_string (options, FALSE);
      g_autoptr (JsonObject) params = assay_json_object_from_string (text, NULL);
      json_object_set_int_member (params, "shards", ctx->n);
      json_object_set_string_member (params, "run_key", ctx->shards[0]->key);
      if ((ctx->run = assay_store_add_run (ctx->store,
                                           assay_json_get_int (ctx->provenance, "dataset", 0), "cpd",
                                           assay_json_get_string (ctx->provenance, "detector", "cord"),
                                           params, "CPU", error)) <= 0)
        return FALSE;
    }
  for (guint i = 0; i < ctx->n_shards; i++)
    if (!assay_shard_check_count (ctx->shards[i], "cpd_results", "series", error))
      return FALSE;
  for (guint i = 0; i < ctx->n_shards; i++)
    if (!assay_shard_copy_rows (ctx->store, ctx->shards[i], "cpd_scores",
                                "SELECT series_id, name, data FROM cpd_scores",
                                "INSERT INTO cpd_scores (run_id, series_id, name, data) VALUES (?1, ?2, ?3, ?4)",
                                ctx->run, error)
        || !assay_shard_copy_rows (ctx->store, ctx->shards[i], "cpd_results",
                                   "SELECT series_id, change_points, change_types, metrics, graphs "
                                   "FROM cpd_results",
                                   "INSERT INTO cpd_results (run_id, series_id, change_points, "
                                   "change_types, metrics, graphs) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                                   ctx->run, error))
      return FALSE;
  {
    /* every series is one of the run's dataset */
    g_autofree char *sql = g_strdup_printf ("SELECT (SELECT count(*) FROM cpd_results r JOIN cpd_series s ON s.id = r.series_id "
                                            "WHERE r.run_id = %1$" G_GINT64_FORMAT " AND s.dataset_id != %2$" G_GINT64_FORMAT ") + "
                                            "(SELECT count(*) FROM cpd_scores c JOIN cpd_series s ON s.id = c.series_id "
                                            "WHERE c.run_id = %1$" G_GINT64_FORMAT " AND s.dataset_id != %2$" G_GINT64_FORMAT ")",
                                            ctx->run, assay_json_get_int (ctx->provenance, "dataset", 0));
    if (assay_store_query_int (ctx->store, sql, 1) != 0)
      {
        g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                     _("“%s” holds scores of series of another dataset"), ctx->shards[0]->path);
        return FALSE;
      }
  }
  /* the run's metrics: the per-series ones, summarised in series order as one run does */
  if ((stmt = assay_store_prepare (ctx->store, "SELECT metrics FROM cpd_results WHERE run_id = ? "
                                               "ORDER BY series_id", error)) == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, ctx->run);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      JsonObject *m = assay_json_object_from_string ((const char *) sqlite3_column_text (stmt, 0), NULL);
      json_array_add_object_element (per_series, m != NULL ? m : json_object_new ());
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return assay_store_set_error (ctx->store, error, "cpd_results");
  for (guint i = 0; i < ctx->summaries->len; i++)
    seconds += assay_json_get_double (g_ptr_array_index (ctx->summaries, i), "seconds", 0);
  summary = summarise (per_series);
  json_object_remove_member (summary, "per_series");
  assay_merge_describe (ctx, summary);
  if (!assay_store_finish_run (ctx->store, ctx->run, "done", seconds, summary, error))
    return FALSE;
  assay_store_emit_changed (ctx->store, "runs");
  return TRUE;
}

gboolean
assay_cpd_score_dataset (AssayStore *store, gint64 dataset, const AssayCpdScoreOptions *options,
                         AssayCpdProgress progress, gpointer progress_data,
                         GCancellable *cancellable, gint64 *run_out, GError **error)
{
  g_autoptr (GArray) ids = NULL;
  g_autoptr (JsonObject) params = assay_cpd_score_options_to_json (options);
  g_autoptr (GTimer) timer = g_timer_new ();
  g_autofree char *area = NULL;
  g_autoptr (AssayShardWriter) writer = NULL;
  AssayStore  *out_store = store;
  gboolean     sharded = options->shard.n > 0;
  JsonArray   *per_series = NULL;
  Work        *work = NULL;
  guint        n, done = 0, begin = 0, end = 0;
  gint64       run = 0;
  gboolean     ok = FALSE;
  int          threads = options->threads > 0 ? options->threads : omp_get_max_threads ();
  volatile gint failed = 0;
  g_autoptr (AssayCordModel) model = NULL;
  AssayCpdScoreOptions learned;

  if (!assay_store_get_dataset (store, dataset, &area, NULL, error))
    return FALSE;
  if (options->detector == ASSAY_DETECTOR_CORD_LEARNED)
    {
      if ((model = assay_cord_model_load (store, options->model, error)) == NULL)
        return FALSE;
      learned = *options;
      learned.cord.encoder = ASSAY_CORD_ENCODER_LEARNED;
      learned.cord.model = model;
      learned.cord.window = model->window;
      options = &learned;
    }
  if (!g_str_equal (area, "cpd"))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND,
                   _("Dataset %lld holds %s data, not time series"), (long long) dataset, area);
      return FALSE;
    }
  ids = assay_series_list (store, dataset, error);
  if (ids == NULL)
    return FALSE;
  if (ids->len == 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("Dataset %lld has no series"),
                   (long long) dataset);
      return FALSE;
    }
  if (sharded)
    {
      /* a shard scores a contiguous range of the series (each on its own, as in one run) */
      g_autoptr (JsonObject) provenance = NULL;
      g_autofree char *inputs = series_hash (store, dataset, error);
      if (inputs == NULL)
        return FALSE;
      assay_shard_range (&options->shard, ids->len, &begin, &end);
      provenance = json_object_new ();
      json_object_set_string_member (provenance, "verb", "cpd score");
      json_object_set_string_member (provenance, "detector", assay_detector_name (options->detector));
      json_object_set_int_member (provenance, "dataset", dataset);
      json_object_set_object_member (provenance, "params", assay_cpd_score_options_to_json (options));
      json_object_set_string_member (provenance, "inputs_sha256", inputs);
      if ((writer = assay_shard_writer_new (options->shard_out, "cpd score", provenance, &options->shard,
                                            ids->len, begin, end, error)) == NULL)
        return FALSE;
      out_store = assay_shard_writer_get_store (writer);
      g_array_remove_range (ids, end, ids->len - end);
      g_array_remove_range (ids, 0, begin);
    }
  n = ids->len;
  work = g_new0 (Work, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    {
      work[i].series = assay_series_load (store, g_array_index (ids, gint64, i), error);
      if (work[i].series == NULL)
        goto out;
    }

#pragma omp parallel for schedule (dynamic, 1) num_threads (MAX (1, MIN (threads, (int) n)))
  for (guint i = 0; i < n; i++)
    {
      if (g_atomic_int_get (&failed) || g_cancellable_is_cancelled (cancellable))
        continue;
      run_one (&work[i], options, cancellable);
      if (work[i].error != NULL)
        g_atomic_int_set (&failed, 1);
      if (progress != NULL)
        {
          guint finished = (guint) g_atomic_int_add ((gint *) &done, 1) + 1;
          g_autofree char *msg = g_strdup_printf (_("Scored %u of %u series"), finished, n);
          progress (0.9 * finished / n, msg, progress_data);
        }
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    goto out;
  for (guint i = 0; i < n; i++)
    if (work[i].error != NULL)
      {
        g_propagate_error (error, g_steal_pointer (&work[i].error));
        goto out;
      }

  if (progress != NULL)
    progress (0.9, _("Saving scores"), progress_data);
  per_series = json_array_new ();
  if (!sharded && !assay_store_begin (out_store, error))
    goto out;
  run = assay_store_add_run (out_store, dataset, "cpd", assay_detector_name (options->detector), params,
                             "CPU", error);
  if (run == 0)
    goto fail;
  for (guint i = 0; i < n; i++)
    {
      Work         *w = &work[i];
      const gsize   T = w->series->T;
      sqlite3_stmt *stmt;
      g_autofree char *cps = steps_json (w->cps);
      g_autofree char *types = types_json (w->types);
      g_autofree char *metrics_text = NULL;
      JsonObject   *metrics;

      stmt = assay_store_prepare (out_store, "INSERT INTO cpd_scores (run_id, series_id, name, data) "
                                         "VALUES (?, ?, ?, ?)",
                                  error);
      if (stmt == NULL)
        goto fail;
      for (guint c = 0; c < w->names->len; c++)
        {
          sqlite3_bind_int64 (stmt, 1, run);
          sqlite3_bind_int64 (stmt, 2, w->series->id);
          sqlite3_bind_text (stmt, 3, g_ptr_array_index (w->names, c), -1, SQLITE_STATIC);
          bind_floats (stmt, 4, g_ptr_array_index (w->curves, c), T);
          if (!assay_store_step_done (out_store, stmt, error))
            goto fail;
        }
      if (w->forecast != NULL)
        {
          sqlite3_bind_int64 (stmt, 1, run);
          sqlite3_bind_int64 (stmt, 2, w->series->id);
          sqlite3_bind_text (stmt, 3, "forecast", -1, SQLITE_STATIC);
          bind_floats (stmt, 4, w->forecast, T * w->series->N * w->series->M);
          if (!assay_store_step_done (out_store, stmt, error))
            goto fail;
        }
      if (w->runlength != NULL)
        {
          g_autofree char *name = g_strdup_printf ("runlength:%u", w->R);
          sqlite3_bind_int64 (stmt, 1, run);
          sqlite3_bind_int64 (stmt, 2, w->series->id);
          sqlite3_bind_text (stmt, 3, name, -1, SQLITE_STATIC);
          bind_floats (stmt, 4, w->runlength, T * w->R);
          if (!assay_store_step_done (out_store, stmt, error))
            goto fail;
        }
      metrics = series_metrics (w->series, g_ptr_array_index (w->curves, 0), curve (w, "s_r"),
                                curve (w, "s_d"), w->cps, options->cord.alpha, options->cord.tau);
      metrics_text = assay_json_object_to_string (metrics, FALSE);
      json_array_add_object_element (per_series, metrics);
      stmt = assay_store_prepare (out_store, "INSERT INTO cpd_results (run_id, series_id, "
                                         "change_points, change_types, metrics, graphs) "
                                         "VALUES (?, ?, ?, ?, ?, ?)",
                                  error);
      if (stmt == NULL)
        goto fail;
      sqlite3_bind_int64 (stmt, 1, run);
      sqlite3_bind_int64 (stmt, 2, w->series->id);
      sqlite3_bind_text (stmt, 3, cps, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 4, types, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 5, metrics_text, -1, SQLITE_STATIC);
      if (w->graphs != NULL)
        sqlite3_bind_blob64 (stmt, 6, w->graphs,
                             2 * T * w->series->N * w->series->N * sizeof (float), SQLITE_STATIC);
      else
        sqlite3_bind_null (stmt, 6);
      if (!assay_store_step_done (out_store, stmt, error))
        goto fail;
    }
  if (sharded)
    {
      g_autoptr (JsonObject) summary = json_object_new ();
      json_object_set_int_member (summary, "series", n);
      json_object_set_double_member (summary, "seconds", g_timer_elapsed (timer, NULL));
      json_object_set_string_member (summary, "backend", "CPU");
      if (!assay_shard_writer_finish (writer, summary, error))
        goto out;
      *run_out = 0;
      ok = TRUE;
      goto out;
    }
  {
    g_autoptr (JsonObject) summary = summarise (per_series);
    json_object_remove_member (summary, "per_series");
    if (!assay_store_finish_run (out_store, run, "done", g_timer_elapsed (timer, NULL), summary, error)
        || !assay_store_commit (out_store, error))
      goto fail;
  }
  *run_out = run;
  assay_store_emit_changed (out_store, "runs");
  ok = TRUE;
  goto out;

fail:
  if (!sharded)
    assay_store_rollback (out_store);
out:
  if (per_series != NULL)
    json_array_unref (per_series);
  for (guint i = 0; work != NULL && i < n; i++)
    work_clear (&work[i]);
  g_free (work);
  return ok;
}

float *
assay_cpd_load_score (AssayStore *store, gint64 run, gint64 series, const char *name, guint *length)
{
  sqlite3_stmt *stmt = assay_store_prepare (store, "SELECT data FROM cpd_scores WHERE run_id = ? "
                                                   "AND series_id = ? AND name = ?",
                                            NULL);
  float        *out = NULL;

  *length = 0;
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, run);
  sqlite3_bind_int64 (stmt, 2, series);
  sqlite3_bind_text (stmt, 3, name, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      gsize bytes = (gsize) sqlite3_column_bytes (stmt, 0);
      *length = (guint) (bytes / sizeof (float));
      out = g_malloc (MAX (bytes, 1));
      if (bytes > 0)
        memcpy (out, sqlite3_column_blob (stmt, 0), bytes);
    }
  sqlite3_reset (stmt);
  return out;
}

typedef struct
{
  GArray *score;    /* float: steps of every series in the burn-in range, neighbours of l left out */
  GArray *positive; /* guint: indices into score */
  double  tri, dist;
  guint   n;
} Pooled;

static void
pooled_add (Pooled *p, const float *v, guint T, guint l, guint burn_in)
{
  guint best = burn_in;

  if (v == NULL || T <= 2 * burn_in || l >= T)
    return;
  for (guint t = burn_in; t < T - burn_in; t++)
    {
      if (v[t] > v[best])
        best = t;
      if (t + 1 == l || t == l + 1)
        continue;
      if (t == l)
        {
          guint i = p->score->len;
          g_array_append_val (p->positive, i);
        }
      g_array_append_val (p->score, v[t]);
    }
  p->tri += assay_cpd_tri (best, l, TRI_WINDOW);
  p->dist += fabs ((double) best - (double) l);
  p->n++;
}

static JsonObject *
pooled_json (Pooled *p)
{
  JsonObject *o = json_object_new ();
  double      auc = assay_cpd_auc ((float *) p->score->data, p->score->len, (guint *) p->positive->data,
                                   p->positive->len);

  if (!isnan (auc))
    json_object_set_double_member (o, "auc", auc);
  if (p->n > 0)
    {
      json_object_set_double_member (o, "tri", p->tri / p->n);
      json_object_set_double_member (o, "dist", p->dist / p->n);
    }
  json_object_set_int_member (o, "series", p->n);
  return o;
}

JsonObject *
assay_cpd_evaluate_run (AssayStore *store, gint64 run, GError **error)
{
  return assay_cpd_evaluate_run_burn_in (store, run, 0, error);
}

JsonObject *
assay_cpd_evaluate_run_burn_in (AssayStore *store, gint64 run, guint burn_in, GError **error)
{
  static const char *curves[] = { "s_en", "s_r", "s_d", "score" };
  Pooled        pooled[G_N_ELEMENTS (curves)];
  guint         typed_pred = 0, correct_pred = 0;
  g_autoptr (JsonObject) dataset_params = NULL;
  g_autoptr (JsonObject) params = NULL;
  g_autoptr (GArray) ids = NULL;
  JsonArray    *per_series;
  JsonObject   *out;
  sqlite3_stmt *stmt;
  gint64        dataset = 0;
  g_autofree char *detector = NULL;
  double        alpha, tau;

  stmt = assay_store_prepare (store, "SELECT dataset_id, kind, params FROM runs WHERE id = ? AND "
                                     "area = 'cpd' AND status = 'done'",
                              error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, run);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *text = (const char *) sqlite3_column_text (stmt, 2);
      dataset = sqlite3_column_int64 (stmt, 0);
      detector = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      params = text != NULL ? assay_json_object_from_string (text, NULL) : NULL;
    }
  sqlite3_reset (stmt);
  if (dataset == 0)
    {
      g_autofree char *what = assay_store_describe_run (store, run);
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND, _("No finished change-point run %lld: %s"),
                   (long long) run, what);
      return NULL;
    }
  alpha = assay_json_get_double (params, "alpha", 0.75);
  tau = assay_json_get_double (params, "tau", 0.0);
  ids = assay_series_list (store, dataset, error);
  if (ids == NULL)
    return NULL;
  stmt = assay_store_prepare (store, "SELECT params FROM datasets WHERE id = ?", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, dataset);
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_type (stmt, 0) == SQLITE_TEXT)
    dataset_params = assay_json_object_from_string ((const char *) sqlite3_column_text (stmt, 0), NULL);
  sqlite3_reset (stmt);
  per_series = json_array_new ();
  for (guint c = 0; c < G_N_ELEMENTS (curves); c++)
    {
      memset (&pooled[c], 0, sizeof pooled[c]);
      pooled[c].score = g_array_new (FALSE, FALSE, sizeof (float));
      pooled[c].positive = g_array_new (FALSE, FALSE, sizeof (guint));
    }
  for (guint i = 0; i < ids->len; i++)
    {
      gint64 id = g_array_index (ids, gint64, i);
      g_autoptr (AssaySeries) series = assay_series_load (store, id, error);
      g_autoptr (GArray) cps = g_array_new (FALSE, FALSE, sizeof (guint));
      g_autofree float *main_score = NULL, *s_r = NULL, *s_d = NULL, *graphs = NULL;
      guint  len_main, len_r, len_d;

      if (series == NULL)
        {
          json_array_unref (per_series);
          per_series = NULL;
          break;
        }
      main_score = assay_cpd_load_score (store, run, id,
                                         g_str_has_prefix (detector, "cord") ? "s_en" : "score",
                                         &len_main);
      s_r = assay_cpd_load_score (store, run, id, "s_r", &len_r);
      s_d = assay_cpd_load_score (store, run, id, "s_d", &len_d);
      if (main_score == NULL || len_main != series->T)
        continue; /* a series added after the run */
      stmt = assay_store_prepare (store, "SELECT change_points, graphs FROM cpd_results WHERE run_id = ? "
                                         "AND series_id = ?",
                                  error);
      if (stmt == NULL)
        {
          json_array_unref (per_series);
          per_series = NULL;
          break;
        }
      sqlite3_bind_int64 (stmt, 1, run);
      sqlite3_bind_int64 (stmt, 2, id);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        {
          g_autoptr (JsonParser) parser = json_parser_new ();
          if (assay_json_parser_load (parser, (const char *) sqlite3_column_text (stmt, 0), -1,
                                          NULL)
              && JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)))
            {
              JsonArray *a = json_node_get_array (json_parser_get_root (parser));
              for (guint j = 0; j < json_array_get_length (a); j++)
                {
                  guint v = (guint) json_array_get_int_element (a, j);
                  g_array_append_val (cps, v);
                }
            }
          if ((gsize) sqlite3_column_bytes (stmt, 1) == (gsize) 2 * series->T * series->N * series->N * sizeof (float))
            graphs = g_memdup2 (sqlite3_column_blob (stmt, 1), sqlite3_column_bytes (stmt, 1));
        }
      sqlite3_reset (stmt);
      json_array_add_object_element (per_series,
                                     series_metrics (series, main_score,
                                                     len_r == series->T ? s_r : NULL,
                                                     len_d == series->T ? s_d : NULL, cps, alpha,
                                                     tau));
      if (graphs != NULL && series->N == ASSAY_SPRING_PARTICLES)
        {
          /* p_acc: the graph A_t of every step against the simulator's springs at t */
          float springs[2 * ASSAY_SPRING_PARTICLES * ASSAY_SPRING_PARTICLES];
          guint tc, N = series->N, right = 0, count = 0;
          if (assay_spring_truth (dataset_params, i, series, springs, &tc))
            {
              const float *after = graphs + (gsize) series->T * N * N;
              for (guint t = burn_in; t + burn_in < series->T; t++)
                for (guint a = 0; a < N; a++)
                  for (guint b = 0; b < N; b++)
                    if (a != b)
                      {
                        float truth_ab = springs[(t < tc ? 0 : N * N) + a * N + b];
                        right += (after[(gsize) t * N * N + a * N + b] >= 0.5f) == (truth_ab > 0.5f);
                        count++;
                      }
              if (count > 0)
                json_object_set_double_member (json_array_get_object_element (per_series, json_array_get_length (per_series) - 1),
                                               "p_acc", (double) right / count);
            }
        }
      if (burn_in > 0)
        {
          g_autoptr (GArray) truth = assay_series_annotation_union (series);
          gboolean cord = g_str_has_prefix (detector, "cord");
          if (truth->len == 1)
            {
              guint l = g_array_index (truth, guint, 0);
              pooled_add (&pooled[cord ? 0 : 3], main_score, series->T, l, burn_in);
              if (cord && len_r == series->T && len_d == series->T)
                {
                  g_autofree float *zr = g_memdup2 (s_r, series->T * sizeof (float));
                  g_autofree float *zd = g_memdup2 (s_d, series->T * sizeof (float));
                  guint             y = burn_in;
                  pooled_add (&pooled[1], s_r, series->T, l, burn_in);
                  pooled_add (&pooled[2], s_d, series->T, l, burn_in);
                  for (guint t = burn_in; series->T > 2 * burn_in && t < series->T - burn_in; t++)
                    if (main_score[t] > main_score[y])
                      y = t;
                  if (series->change_type != NULL && y < series->T)
                    {
                      gboolean correlation;
                      assay_cord_zscore (zr, series->T);
                      assay_cord_zscore (zd, series->T);
                      correlation = zr[y] - alpha * zd[y] >= tau;
                      typed_pred++;
                      correct_pred += correlation == g_str_equal (series->change_type, "connection");
                    }
                }
            }
        }
    }
  if (per_series == NULL)
    {
      for (guint c = 0; c < G_N_ELEMENTS (curves); c++)
        {
          g_array_unref (pooled[c].score);
          g_array_unref (pooled[c].positive);
        }
      return NULL;
    }
  out = summarise (per_series);
  if (burn_in > 0)
    {
      JsonObject *p = json_object_new ();
      for (guint c = 0; c < G_N_ELEMENTS (curves); c++)
        if (pooled[c].n > 0)
          json_object_set_object_member (p, curves[c], pooled_json (&pooled[c]));
      json_object_set_int_member (out, "burn_in", burn_in);
      json_object_set_object_member (out, "pooled", p);
      if (typed_pred > 0)
        json_object_set_double_member (out, "type_accuracy_predicted", (double) correct_pred / typed_pred);
    }
  for (guint c = 0; c < G_N_ELEMENTS (curves); c++)
    {
      g_array_unref (pooled[c].score);
      g_array_unref (pooled[c].positive);
    }
  json_object_set_int_member (out, "run", run);
  json_object_set_int_member (out, "dataset", dataset);
  json_object_set_string_member (out, "detector", detector);
  json_array_unref (per_series);
  return out;
}
