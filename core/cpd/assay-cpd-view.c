/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-cpd-view.h"
#include "assay-cord-model.h"

#include <glib/gi18n.h>
#include <string.h>

#include "assay-cpd-run.h"
#include "assay-error.h"
#include "assay-json.h"

static JsonObject *object_or_null (const char *text);

void
assay_cpd_series_info_free (AssayCpdSeriesInfo *info)
{
  g_free (info->name);
  g_free (info->change_type);
  g_clear_pointer (&info->metrics, json_object_unref);
  g_free (info);
}

void
assay_cpd_model_info_free (AssayCpdModelInfo *info)
{
  g_free (info->label);
  g_free (info);
}

GPtrArray *
assay_cpd_model_infos (AssayStore *store, GError **error)
{
  GPtrArray    *out = g_ptr_array_new_with_free_func ((GDestroyNotify) assay_cpd_model_info_free);
  sqlite3_stmt *stmt = assay_store_prepare (store, "SELECT r.id, r.metrics, r.params, d.name FROM cpd_models m "
                                                   "JOIN runs r ON r.id = m.run_id LEFT JOIN datasets d ON "
                                                   "d.id = r.dataset_id ORDER BY r.id DESC",
                                            error);

  if (stmt == NULL)
    {
      g_ptr_array_unref (out);
      return NULL;
    }
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      AssayCpdModelInfo *info = g_new0 (AssayCpdModelInfo, 1);
      g_autoptr (JsonObject) metrics = object_or_null ((const char *) sqlite3_column_text (stmt, 1));
      g_autoptr (JsonObject) params = object_or_null ((const char *) sqlite3_column_text (stmt, 2));
      const char *name = (const char *) sqlite3_column_text (stmt, 3);
      JsonArray  *datasets = params != NULL && json_object_has_member (params, "datasets")
                               ? json_object_get_array_member (params, "datasets") : NULL;
      guint       more = datasets != NULL && json_array_get_length (datasets) > 1 ? json_array_get_length (datasets) - 1 : 0;

      info->id = sqlite3_column_int64 (stmt, 0);
      {
        g_autofree char *source = more > 0 ? g_strdup_printf (_("%s and %u more"), name != NULL ? name : "?", more)
                                           : g_strdup (name != NULL ? name : "?");
        info->label = g_strdup_printf (_("#%lld · %s · %lld epochs · width %lld"), (long long) info->id, source,
                                       (long long) assay_json_get_int (metrics, "epochs", 0),
                                       (long long) assay_json_get_int (params, "hidden", 0));
      }
      g_ptr_array_add (out, info);
    }
  sqlite3_reset (stmt);
  return out;
}

void
assay_cpd_run_info_free (AssayCpdRunInfo *info)
{
  g_free (info->detector);
  g_clear_pointer (&info->params, json_object_unref);
  g_clear_pointer (&info->metrics, json_object_unref);
  g_clear_pointer (&info->curve, json_array_unref);
  g_free (info);
}

GArray *
assay_cpd_dataset_list (AssayStore *store, GPtrArray *names)
{
  GArray       *ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  sqlite3_stmt *stmt = assay_store_prepare (store, "SELECT id, name FROM datasets WHERE area = 'cpd' "
                                                   "AND importing IS NULL ORDER BY id DESC",
                                            NULL);

  while (stmt != NULL && sqlite3_step (stmt) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      g_array_append_val (ids, id);
      if (names != NULL)
        g_ptr_array_add (names, g_strdup ((const char *) sqlite3_column_text (stmt, 1)));
    }
  if (stmt != NULL)
    sqlite3_reset (stmt);
  return ids;
}

static JsonObject *
object_or_null (const char *text)
{
  return text != NULL ? assay_json_object_from_string (text, NULL) : NULL;
}

GPtrArray *
assay_cpd_series_infos (AssayStore *store, gint64 dataset, gint64 run, GError **error)
{
  GPtrArray    *out = g_ptr_array_new_with_free_func ((GDestroyNotify) assay_cpd_series_info_free);
  sqlite3_stmt *stmt = assay_store_prepare (
    store,
    "SELECT s.id, s.name, s.n_steps, s.n_vars, s.n_feats, s.annotations, s.change_type, "
    "(SELECT count(*) FROM cpd_marks m WHERE m.series_id = s.id), r.metrics "
    "FROM cpd_series s LEFT JOIN cpd_results r ON r.series_id = s.id AND r.run_id = ? "
    "WHERE s.dataset_id = ? ORDER BY s.id",
    error);

  if (stmt == NULL)
    {
      g_ptr_array_unref (out);
      return NULL;
    }
  sqlite3_bind_int64 (stmt, 1, run);
  sqlite3_bind_int64 (stmt, 2, dataset);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      AssayCpdSeriesInfo *info = g_new0 (AssayCpdSeriesInfo, 1);
      g_autoptr (JsonObject) annotations = object_or_null ((const char *) sqlite3_column_text (stmt, 5));
      g_autoptr (GHashTable) steps = g_hash_table_new (NULL, NULL);

      info->id = sqlite3_column_int64 (stmt, 0);
      info->name = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      info->T = (guint) sqlite3_column_int (stmt, 2);
      info->N = (guint) sqlite3_column_int (stmt, 3);
      info->M = (guint) sqlite3_column_int (stmt, 4);
      info->change_type = g_strdup ((const char *) sqlite3_column_text (stmt, 6));
      info->n_marks = (guint) sqlite3_column_int (stmt, 7);
      info->metrics = object_or_null ((const char *) sqlite3_column_text (stmt, 8));
      if (annotations != NULL)
        {
          g_autoptr (GList) members = json_object_get_members (annotations);
          for (GList *l = members; l; l = l->next)
            {
              JsonNode *node = json_object_get_member (annotations, l->data);
              if (!JSON_NODE_HOLDS_ARRAY (node))
                continue;
              for (guint i = 0; i < json_array_get_length (json_node_get_array (node)); i++)
                g_hash_table_add (steps, GINT_TO_POINTER (1 + json_array_get_int_element (json_node_get_array (node), i)));
            }
        }
      info->n_truth = g_hash_table_size (steps);
      g_ptr_array_add (out, info);
    }
  sqlite3_reset (stmt);
  return out;
}

GPtrArray *
assay_cpd_run_infos (AssayStore *store, gint64 dataset, GError **error)
{
  GPtrArray    *out = g_ptr_array_new_with_free_func ((GDestroyNotify) assay_cpd_run_info_free);
  sqlite3_stmt *stmt = assay_store_prepare (store, "SELECT id, kind, params, metrics FROM runs WHERE "
                                                   "dataset_id = ? AND area = 'cpd' AND kind <> 'cord-train' "
                                                   "AND status = 'done' ORDER BY id DESC",
                                            error);

  if (stmt == NULL)
    {
      g_ptr_array_unref (out);
      return NULL;
    }
  sqlite3_bind_int64 (stmt, 1, dataset);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      AssayCpdRunInfo *info = g_new0 (AssayCpdRunInfo, 1);
      info->id = sqlite3_column_int64 (stmt, 0);
      info->detector = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      info->params = object_or_null ((const char *) sqlite3_column_text (stmt, 2));
      info->metrics = object_or_null ((const char *) sqlite3_column_text (stmt, 3));
      g_ptr_array_add (out, info);
    }
  sqlite3_reset (stmt);
  for (guint i = 0; i < out->len; i++)
    {
      AssayCpdRunInfo *info = g_ptr_array_index (out, i);
      if (g_strcmp0 (info->detector, "cord-learned") == 0 && info->params != NULL)
        info->curve = assay_cord_model_load_curve (store, assay_json_get_int (info->params, "model", 0), NULL);
    }
  return out;
}

void
assay_cpd_series_view_free (AssayCpdSeriesView *view)
{
  if (view == NULL)
    return;
  assay_series_free (view->series);
  g_ptr_array_unref (view->score_names);
  g_ptr_array_unref (view->scores);
  g_free (view->forecast);
  g_free (view->runlength);
  g_free (view->graphs_before);
  g_free (view->graphs_after);
  g_array_unref (view->change_points);
  g_string_free (view->change_types, TRUE);
  g_array_unref (view->marks);
  g_clear_pointer (&view->metrics, json_object_unref);
  g_free (view);
}

GArray *
assay_cpd_marks (AssayStore *store, gint64 series, GArray *ids)
{
  GArray       *steps = g_array_new (FALSE, FALSE, sizeof (guint));
  sqlite3_stmt *stmt = assay_store_prepare (store, "SELECT id, step FROM cpd_marks WHERE "
                                                   "series_id = ? ORDER BY step",
                                            NULL);

  if (stmt == NULL)
    return steps;
  sqlite3_bind_int64 (stmt, 1, series);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      guint  step = (guint) sqlite3_column_int (stmt, 1);
      g_array_append_val (steps, step);
      if (ids != NULL)
        g_array_append_val (ids, id);
    }
  sqlite3_reset (stmt);
  return steps;
}

gboolean
assay_cpd_toggle_mark (AssayStore *store, gint64 series, guint step, gboolean *added,
                       GError **error)
{
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) steps = assay_cpd_marks (store, series, ids);
  gint64 existing = 0;

  for (guint i = 0; i < steps->len; i++)
    if (g_array_index (steps, guint, i) == step)
      existing = g_array_index (ids, gint64, i);
  if (existing != 0)
    {
      g_autofree char *label = g_strdup_printf (_("Remove mark at step %u"), step);
      if (!assay_store_edit_begin (store, label, error))
        return FALSE;
      if (!assay_store_edit_delete (store, "cpd_marks", existing, error))
        {
          assay_store_edit_abort (store);
          return FALSE;
        }
    }
  else
    {
      g_autofree char *label = g_strdup_printf (_("Mark change at step %u"), step);
      const char      *columns[] = { "series_id", "step" };
      GVariant        *values[] = { g_variant_new_int64 (series), g_variant_new_int64 (step) };
      if (!assay_store_edit_begin (store, label, error))
        {
          for (guint i = 0; i < 2; i++)
            g_variant_unref (g_variant_ref_sink (values[i]));
          return FALSE;
        }
      if (assay_store_edit_insert (store, "cpd_marks", columns, values, 2, error) == 0)
        {
          assay_store_edit_abort (store);
          return FALSE;
        }
    }
  if (added != NULL)
    *added = existing == 0;
  return assay_store_edit_commit (store, error);
}

AssayCpdSeriesView *
assay_cpd_series_view_load (AssayStore *store, gint64 series_id, gint64 run, GError **error)
{
  g_autoptr (AssayCpdSeriesView) view = g_new0 (AssayCpdSeriesView, 1);
  sqlite3_stmt *stmt;
  gsize         T, N, M;

  view->score_names = g_ptr_array_new_with_free_func (g_free);
  view->scores = g_ptr_array_new_with_free_func (g_free);
  view->change_points = g_array_new (FALSE, FALSE, sizeof (guint));
  view->change_types = g_string_new (NULL);
  view->series = assay_series_load (store, series_id, error);
  if (view->series == NULL)
    return NULL;
  T = view->series->T;
  N = view->series->N;
  M = view->series->M;
  view->marks = assay_cpd_marks (store, series_id, NULL);
  if (run <= 0)
    return g_steal_pointer (&view);

  stmt = assay_store_prepare (store, "SELECT name, data FROM cpd_scores WHERE run_id = ? AND "
                                     "series_id = ?",
                              error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, run);
  sqlite3_bind_int64 (stmt, 2, series_id);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *name = (const char *) sqlite3_column_text (stmt, 0);
      gsize       bytes = (gsize) sqlite3_column_bytes (stmt, 1);
      gconstpointer data = sqlite3_column_blob (stmt, 1);

      if (g_str_equal (name, "forecast"))
        {
          if (bytes == T * N * M * sizeof (float))
            view->forecast = g_memdup2 (data, bytes);
        }
      else if (g_str_has_prefix (name, "runlength:"))
        {
          guint R = (guint) g_ascii_strtoull (name + 10, NULL, 10);
          if (R > 0 && bytes == T * R * sizeof (float))
            {
              view->R = R;
              view->runlength = g_memdup2 (data, bytes);
            }
        }
      else if (bytes == T * sizeof (float))
        {
          g_ptr_array_add (view->score_names, g_strdup (name));
          g_ptr_array_add (view->scores, g_memdup2 (data, bytes));
        }
    }
  sqlite3_reset (stmt);

  stmt = assay_store_prepare (store, "SELECT change_points, change_types, metrics, graphs FROM "
                                     "cpd_results WHERE run_id = ? AND series_id = ?",
                              error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, run);
  sqlite3_bind_int64 (stmt, 2, series_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_autoptr (JsonParser) parser = json_parser_new ();
      gsize bytes = (gsize) sqlite3_column_bytes (stmt, 3);

      if (assay_json_parser_load (parser, (const char *) sqlite3_column_text (stmt, 0), -1, NULL)
          && JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)))
        {
          JsonArray *a = json_node_get_array (json_parser_get_root (parser));
          for (guint i = 0; i < json_array_get_length (a); i++)
            {
              guint v = (guint) json_array_get_int_element (a, i);
              g_array_append_val (view->change_points, v);
            }
        }
      if (sqlite3_column_type (stmt, 1) == SQLITE_TEXT
          && assay_json_parser_load (parser, (const char *) sqlite3_column_text (stmt, 1), -1, NULL)
          && JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)))
        {
          JsonArray *a = json_node_get_array (json_parser_get_root (parser));
          for (guint i = 0; i < json_array_get_length (a); i++)
            {
              JsonNode   *e = json_array_get_element (a, i);
              const char *t = JSON_NODE_HOLDS_VALUE (e) ? json_node_get_string (e) : NULL;
              g_string_append_c (view->change_types, g_strcmp0 (t, "correlation") == 0 ? 'C'
                                                     : g_strcmp0 (t, "independent") == 0 ? 'I'
                                                                                         : ' ');
            }
        }
      while (view->change_types->len < view->change_points->len)
        g_string_append_c (view->change_types, ' ');
      view->metrics = object_or_null ((const char *) sqlite3_column_text (stmt, 2));
      if (bytes == 2 * T * N * N * sizeof (float))
        {
          const float *g = sqlite3_column_blob (stmt, 3);
          view->graphs_before = g_memdup2 (g, T * N * N * sizeof (float));
          view->graphs_after = g_memdup2 (g + T * N * N, T * N * N * sizeof (float));
        }
    }
  sqlite3_reset (stmt);
  return g_steal_pointer (&view);
}
