/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-gen-record.h"

#include <glib/gi18n.h>

#include "assay-error.h"
#include "assay-json.h"
#include "assay-names.h"

static const char *const status_names[] = { "pending", "accepted", "rejected", "edited" };

const char *
assay_gen_status_name (AssayGenStatus status)
{
  return (guint) status < G_N_ELEMENTS (status_names) ? status_names[status] : "pending";
}

gboolean
assay_gen_parse_status (const char *name, AssayGenStatus *status)
{
  int i = assay_names_find (status_names, G_N_ELEMENTS (status_names), name);

  if (i < 0)
    return FALSE;
  *status = (AssayGenStatus) i;
  return TRUE;
}

void
assay_gen_record_free (AssayGenRecord *r)
{
  if (r == NULL)
    return;
  g_free (r->ext_id);
  g_free (r->kind);
  g_free (r->source);
  g_free (r->highlight);
  g_free (r->condition);
  g_free (r->prompt);
  g_free (r->text);
  g_free (r->rejected);
  g_free (r->model);
  g_clear_pointer (&r->params, json_object_unref);
  g_strfreev (r->steps);
  g_free (r->answer);
  g_clear_pointer (&r->scores, json_object_unref);
  g_free (r->edited);
  g_clear_pointer (&r->extra, json_object_unref);
  g_free (r);
}

const char *
assay_gen_record_final_text (AssayGenRecord *r)
{
  return r->edited != NULL ? r->edited : r->text;
}

static char *
column_dup (sqlite3_stmt *stmt, int i)
{
  return sqlite3_column_type (stmt, i) == SQLITE_NULL
           ? NULL
           : g_strdup ((const char *) sqlite3_column_text (stmt, i));
}

static JsonObject *
column_object (sqlite3_stmt *stmt, int i)
{
  const char *text = (const char *) sqlite3_column_text (stmt, i);
  return text != NULL ? assay_json_object_from_string (text, NULL) : NULL;
}

static char **
column_steps (sqlite3_stmt *stmt, int i)
{
  return assay_gen_steps_parse ((const char *) sqlite3_column_text (stmt, i));
}

char **
assay_gen_steps_parse (const char *text)
{
  g_autoptr (JsonParser) parser = NULL;
  JsonArray *a;
  GStrvBuilder *b;

  if (text == NULL)
    return NULL;
  parser = json_parser_new ();
  if (!assay_json_parser_load (parser, text, -1, NULL)
      || !JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)))
    return NULL;
  a = json_node_get_array (json_parser_get_root (parser));
  b = g_strv_builder_new ();
  for (guint k = 0; k < json_array_get_length (a); k++)
    {
      JsonNode *e = json_array_get_element (a, k);
      g_strv_builder_add (b, JSON_NODE_HOLDS_VALUE (e) && json_node_get_value_type (e) == G_TYPE_STRING
                               ? json_node_get_string (e)
                               : "");
    }
  {
    char **out = g_strv_builder_end (b);
    g_strv_builder_unref (b);
    return out;
  }
}

AssayGenRecord *
assay_gen_record_load (AssayStore *store, gint64 id, GError **error)
{
  sqlite3_stmt   *stmt = assay_store_prepare (
    store,
    "SELECT dataset_id, ext_id, kind, source, highlight, condition, prompt, text, rejected, "
    "model, params, steps, step_label, answer, correct, scores, rating, status, edited, extra "
    "FROM gen_records WHERE id = ?",
    error);
  AssayGenRecord *r;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, id);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      sqlite3_reset (stmt);
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND, _("No generation record %lld"),
                   (long long) id);
      return NULL;
    }
  r = g_new0 (AssayGenRecord, 1);
  r->id = id;
  r->dataset = sqlite3_column_int64 (stmt, 0);
  r->ext_id = column_dup (stmt, 1);
  r->kind = column_dup (stmt, 2);
  r->source = column_dup (stmt, 3);
  r->highlight = column_dup (stmt, 4);
  r->condition = column_dup (stmt, 5);
  r->prompt = column_dup (stmt, 6);
  r->text = column_dup (stmt, 7);
  r->rejected = column_dup (stmt, 8);
  r->model = column_dup (stmt, 9);
  r->params = column_object (stmt, 10);
  r->steps = column_steps (stmt, 11);
  r->step_label = sqlite3_column_type (stmt, 12) == SQLITE_NULL ? -1 : sqlite3_column_int (stmt, 12);
  r->answer = column_dup (stmt, 13);
  r->correct = sqlite3_column_type (stmt, 14) == SQLITE_NULL ? -1 : sqlite3_column_int (stmt, 14);
  r->scores = column_object (stmt, 15);
  r->rating = sqlite3_column_int (stmt, 16);
  if (!assay_gen_parse_status ((const char *) sqlite3_column_text (stmt, 17), &r->status))
    r->status = ASSAY_GEN_PENDING;
  r->edited = column_dup (stmt, 18);
  r->extra = column_object (stmt, 19);
  sqlite3_reset (stmt);
  return r;
}

static gboolean
exists (AssayStore *store, gint64 id, GError **error)
{
  sqlite3_stmt *stmt = assay_store_prepare (store, "SELECT 1 FROM gen_records WHERE id = ?", error);
  gboolean      found;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  found = sqlite3_step (stmt) == SQLITE_ROW;
  sqlite3_reset (stmt);
  if (!found)
    g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND, _("No generation record %lld"),
                 (long long) id);
  return found;
}

static gboolean
edit_one (AssayStore *store, gint64 id, const char *label, const char *column, GVariant *value,
          const char *column2, GVariant *value2, GError **error)
{
  if (!exists (store, id, error) || !assay_store_edit_begin (store, label, error))
    {
      if (value != NULL)
        g_variant_unref (g_variant_ref_sink (value));
      if (value2 != NULL)
        g_variant_unref (g_variant_ref_sink (value2));
      return FALSE;
    }
  if (!assay_store_edit_update (store, "gen_records", id, column, value, error)
      || (column2 != NULL
          && !assay_store_edit_update (store, "gen_records", id, column2, value2, error)))
    {
      assay_store_edit_abort (store);
      return FALSE;
    }
  return assay_store_edit_commit (store, error);
}

gboolean
assay_gen_set_status (AssayStore *store, gint64 id, AssayGenStatus status, GError **error)
{
  g_autofree char *label = g_strdup_printf (
    status == ASSAY_GEN_ACCEPTED   ? _("Accept record %lld")
    : status == ASSAY_GEN_REJECTED ? _("Reject record %lld")
                                   : _("Mark record %lld for review"),
    (long long) id);

  return edit_one (store, id, label, "status", g_variant_new_string (assay_gen_status_name (status)),
                   NULL, NULL, error);
}

gboolean
assay_gen_set_rating (AssayStore *store, gint64 id, int rating, GError **error)
{
  g_autofree char *label = g_strdup_printf (_("Rate record %lld: %d"), (long long) id, rating);

  if (rating < 0 || rating > 5)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("A rating is 1 to 5 (0 clears it), not %d"), rating);
      return FALSE;
    }
  return edit_one (store, id, label, "rating", rating > 0 ? g_variant_new_int64 (rating) : NULL,
                   NULL, NULL, error);
}

gboolean
assay_gen_set_edited (AssayStore *store, gint64 id, const char *text, GError **error)
{
  g_autofree char *label = g_strdup_printf (_("Edit record %lld"), (long long) id);

  g_return_val_if_fail (text != NULL, FALSE);
  return edit_one (store, id, label, "edited", g_variant_new_string (text), "status",
                   g_variant_new_string ("edited"), error);
}

gboolean
assay_gen_set_status_many (AssayStore *store, const gint64 *ids, guint n, AssayGenStatus status,
                           GError **error)
{
  g_autofree char *label = g_strdup_printf (
    g_dngettext (NULL, "Set %u record to %s", "Set %u records to %s", n), n,
    assay_gen_status_name (status));

  if (n == 0)
    return TRUE;
  if (!assay_store_edit_begin (store, label, error))
    return FALSE;
  for (guint i = 0; i < n; i++)
    if (!assay_store_edit_update (store, "gen_records", ids[i], "status",
                                  g_variant_new_string (assay_gen_status_name (status)), error))
      {
        assay_store_edit_abort (store);
        return FALSE;
      }
  return assay_store_edit_commit (store, error);
}

/* The ids of rows of table whose column names record id */
static GArray *
dependents (AssayStore *store, const char *sql, gint64 id, GError **error)
{
  sqlite3_stmt *stmt = assay_store_prepare (store, sql, error);
  GArray       *out;

  if (stmt == NULL)
    return NULL;
  out = g_array_new (FALSE, FALSE, sizeof (gint64));
  sqlite3_bind_int64 (stmt, 1, id);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      gint64 row = sqlite3_column_int64 (stmt, 0);
      g_array_append_val (out, row);
    }
  sqlite3_reset (stmt);
  return out;
}

gboolean
assay_gen_delete (AssayStore *store, const gint64 *ids, guint n, GError **error)
{
  static const struct
  {
    const char *table;
    const char *sql;
  } deps[] = {
    { "trace_tokens", "SELECT id FROM trace_tokens WHERE record_id = ?1" },
    { "video_choices", "SELECT id FROM video_choices WHERE chosen = ?1 OR rejected = ?1" },
  };
  g_autofree char *label = n == 1 ? g_strdup_printf (_("Delete record %lld"), (long long) ids[0])
                                  : g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Delete %u record",
                                                                  "Delete %u records", n), n);

  for (guint i = 0; i < n; i++)
    if (!exists (store, ids[i], error))
      return FALSE;
  if (!assay_store_edit_begin (store, label, error))
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      for (guint d = 0; d < G_N_ELEMENTS (deps); d++)
        {
          g_autoptr (GArray) rows = dependents (store, deps[d].sql, ids[i], error);
          if (rows == NULL)
            goto fail;
          for (guint r = 0; r < rows->len; r++)
            if (!assay_store_edit_delete (store, deps[d].table, g_array_index (rows, gint64, r), error))
              goto fail;
        }
      if (!assay_store_edit_delete (store, "gen_records", ids[i], error))
        goto fail;
    }
  return assay_store_edit_commit (store, error);

fail:
  assay_store_edit_abort (store);
  return FALSE;
}
