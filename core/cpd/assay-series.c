/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-series.h"

#include <glib/gi18n.h>
#include <string.h>

#include "assay-error.h"
#include "assay-json.h"

AssaySeries *
assay_series_new (const char *name, guint T, guint N, guint M)
{
  AssaySeries *self = g_new0 (AssaySeries, 1);

  self->name = g_strdup (name);
  self->T = T;
  self->N = N;
  self->M = M;
  self->x = g_new0 (float, MAX ((gsize) T * N * M, 1));
  self->var_names = g_new0 (char *, N + 1);
  self->feat_names = g_new0 (char *, M + 1);
  for (guint n = 0; n < N; n++)
    self->var_names[n] = g_strdup_printf ("x%u", n);
  for (guint m = 0; m < M; m++)
    self->feat_names[m] = g_strdup_printf ("f%u", m);
  self->annotators = g_ptr_array_new_with_free_func (g_free);
  self->annotations = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  return self;
}

void
assay_series_free (AssaySeries *self)
{
  if (self == NULL)
    return;
  g_free (self->name);
  g_free (self->x);
  g_strfreev (self->var_names);
  g_strfreev (self->feat_names);
  g_strfreev (self->time_labels);
  g_ptr_array_unref (self->annotators);
  g_ptr_array_unref (self->annotations);
  g_free (self->change_type);
  g_free (self);
}

static int
cmp_uint (gconstpointer a, gconstpointer b)
{
  guint x = *(const guint *) a, y = *(const guint *) b;
  return x < y ? -1 : x > y;
}

void
assay_series_add_annotation (AssaySeries *self, const char *annotator, const guint *steps,
                             guint n_steps)
{
  GArray *a = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint i = 0; i < n_steps; i++)
    if (steps[i] < self->T)
      g_array_append_val (a, steps[i]);
  g_array_sort (a, cmp_uint);
  g_ptr_array_add (self->annotators, g_strdup (annotator));
  g_ptr_array_add (self->annotations, a);
}

GArray *
assay_series_annotation_union (AssaySeries *self)
{
  GArray *all = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint k = 0; k < self->annotations->len; k++)
    {
      GArray *a = g_ptr_array_index (self->annotations, k);
      for (guint i = 0; i < a->len; i++)
        {
          guint    step = g_array_index (a, guint, i);
          gboolean seen = FALSE;
          for (guint j = 0; j < all->len && !seen; j++)
            seen = g_array_index (all, guint, j) == step;
          if (!seen)
            g_array_append_val (all, step);
        }
    }
  g_array_sort (all, cmp_uint);
  return all;
}

static char *
names_json (char **names)
{
  g_autoptr (JsonArray) array = json_array_new ();
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_ARRAY);

  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    json_array_add_string_element (array, names[i]);
  json_node_set_array (node, array);
  return assay_json_node_to_string (node, FALSE);
}

static char **
names_from_json (const char *text, guint expected)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonArray *array;
  char     **out;

  if (text == NULL || !assay_json_parser_load (parser, text, -1, NULL)
      || !JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)))
    return NULL;
  array = json_node_get_array (json_parser_get_root (parser));
  if (expected > 0 && json_array_get_length (array) != expected)
    return NULL;
  out = g_new0 (char *, json_array_get_length (array) + 1);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *e = json_array_get_element (array, i);
      out[i] = g_strdup (JSON_NODE_HOLDS_VALUE (e) && json_node_get_value_type (e) == G_TYPE_STRING
                           ? json_node_get_string (e)
                           : "");
    }
  return out;
}

gint64
assay_series_store (AssaySeries *self, AssayStore *store, gint64 dataset, GError **error)
{
  g_autoptr (JsonObject) annotations = json_object_new ();
  g_autofree char *annotations_text = NULL;
  g_autofree char *vars = names_json (self->var_names);
  g_autofree char *feats = names_json (self->feat_names);
  g_autofree char *times = self->time_labels != NULL ? names_json (self->time_labels) : NULL;
  sqlite3_stmt    *stmt;

  for (guint k = 0; k < self->annotations->len; k++)
    {
      GArray    *a = g_ptr_array_index (self->annotations, k);
      JsonArray *steps = json_array_new ();
      for (guint i = 0; i < a->len; i++)
        json_array_add_int_element (steps, g_array_index (a, guint, i));
      json_object_set_array_member (annotations, g_ptr_array_index (self->annotators, k), steps);
    }
  annotations_text = assay_json_object_to_string (annotations, FALSE);

  stmt = assay_store_prepare (store,
                              "INSERT INTO cpd_series (dataset_id, name, n_steps, n_vars, n_feats, "
                              "data, var_names, feat_names, time_labels, annotations, change_type, "
                              "missing) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                              error);
  if (stmt == NULL)
    return 0;
  sqlite3_bind_int64 (stmt, 1, dataset);
  sqlite3_bind_text (stmt, 2, self->name, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 3, (int) self->T);
  sqlite3_bind_int (stmt, 4, (int) self->N);
  sqlite3_bind_int (stmt, 5, (int) self->M);
  if ((gsize) self->T * self->N * self->M > 0)
    sqlite3_bind_blob64 (stmt, 6, self->x, (gsize) self->T * self->N * self->M * sizeof (float),
                         SQLITE_STATIC);
  else
    sqlite3_bind_zeroblob (stmt, 6, 0);
  sqlite3_bind_text (stmt, 7, vars, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 8, feats, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 9, times, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 10, annotations_text, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 11, self->change_type, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 12, (int) self->missing);
  if (!assay_store_step_done (store, stmt, error))
    return 0;
  self->id = sqlite3_last_insert_rowid (assay_store_get_db (store));
  return self->id;
}

AssaySeries *
assay_series_load (AssayStore *store, gint64 series_id, GError **error)
{
  sqlite3_stmt *stmt = assay_store_prepare (store,
                                            "SELECT name, n_steps, n_vars, n_feats, data, "
                                            "var_names, feat_names, time_labels, annotations, "
                                            "change_type, missing FROM cpd_series WHERE id = ?",
                                            error);
  AssaySeries  *self = NULL;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, series_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      guint T = (guint) sqlite3_column_int (stmt, 1);
      guint N = (guint) sqlite3_column_int (stmt, 2);
      guint M = (guint) sqlite3_column_int (stmt, 3);
      gsize bytes = (gsize) T * N * M * sizeof (float);
      char **names;

      if ((gsize) sqlite3_column_bytes (stmt, 4) != bytes)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       _("Series %lld: stored data has %d bytes, expected %zu"),
                       (long long) series_id, sqlite3_column_bytes (stmt, 4), bytes);
          sqlite3_reset (stmt);
          return NULL;
        }
      self = assay_series_new ((const char *) sqlite3_column_text (stmt, 0), T, N, M);
      self->id = series_id;
      if (bytes > 0)
        memcpy (self->x, sqlite3_column_blob (stmt, 4), bytes);
      if ((names = names_from_json ((const char *) sqlite3_column_text (stmt, 5), N)) != NULL)
        {
          g_strfreev (self->var_names);
          self->var_names = names;
        }
      if ((names = names_from_json ((const char *) sqlite3_column_text (stmt, 6), M)) != NULL)
        {
          g_strfreev (self->feat_names);
          self->feat_names = names;
        }
      self->time_labels = names_from_json ((const char *) sqlite3_column_text (stmt, 7), T);
      {
        g_autoptr (JsonObject) annotations = NULL;
        const char *text = (const char *) sqlite3_column_text (stmt, 8);
        if (text != NULL && (annotations = assay_json_object_from_string (text, NULL)) != NULL)
          {
            g_autoptr (GList) members = json_object_get_members (annotations);
            for (GList *l = members; l; l = l->next)
              {
                JsonNode *node = json_object_get_member (annotations, l->data);
                g_autoptr (GArray) steps = g_array_new (FALSE, FALSE, sizeof (guint));
                if (!JSON_NODE_HOLDS_ARRAY (node))
                  continue;
                for (guint i = 0; i < json_array_get_length (json_node_get_array (node)); i++)
                  {
                    gint64 v = json_array_get_int_element (json_node_get_array (node), i);
                    guint  step = (guint) v;
                    if (v >= 0)
                      g_array_append_val (steps, step);
                  }
                assay_series_add_annotation (self, l->data, (guint *) steps->data, steps->len);
              }
          }
      }
      self->change_type = g_strdup ((const char *) sqlite3_column_text (stmt, 9));
      self->missing = (guint) sqlite3_column_int (stmt, 10);
    }
  sqlite3_reset (stmt);
  if (self == NULL)
    g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND, _("No series %lld"),
                 (long long) series_id);
  return self;
}

GArray *
assay_series_list (AssayStore *store, gint64 dataset, GError **error)
{
  GArray       *ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  sqlite3_stmt *stmt = assay_store_prepare (store,
                                            "SELECT id FROM cpd_series WHERE dataset_id = ? "
                                            "ORDER BY id",
                                            error);

  if (stmt == NULL)
    {
      g_array_unref (ids);
      return NULL;
    }
  sqlite3_bind_int64 (stmt, 1, dataset);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      g_array_append_val (ids, id);
    }
  sqlite3_reset (stmt);
  return ids;
}
