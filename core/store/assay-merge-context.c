/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-merge-context.h"

#include <glib/gi18n.h>

#include "assay-error.h"
#include "assay-json.h"

JsonObject *
assay_merge_params (AssayMergeContext *ctx)
{
  JsonObject *params = json_object_get_object_member (ctx->provenance, "params");
  g_autofree char *text = assay_json_object_to_string (params, FALSE);
  JsonObject *copy = assay_json_object_from_string (text, NULL);

  json_object_set_int_member (copy, "shards", ctx->n);
  json_object_set_string_member (copy, "run_key", ctx->shards[0]->key);
  return copy;
}

const char *
assay_merge_backend (AssayMergeContext *ctx)
{
  const char *backend = NULL;

  for (guint i = 0; i < ctx->summaries->len; i++)
    {
      const char *b = assay_json_get_string (g_ptr_array_index (ctx->summaries, i), "backend", NULL);
      if (backend == NULL)
        backend = b;
      else if (b != NULL && g_strcmp0 (b, backend) != 0)
        return "several";
    }
  return backend;
}

void
assay_merge_describe (AssayMergeContext *ctx, JsonObject *metrics)
{
  g_autofree char *shards = g_strdup_printf ("%u of %u", ctx->merged->len, ctx->n);

  json_object_set_string_member (metrics, "shards", shards);
  if (ctx->merged->len < ctx->n)
    {
      JsonArray *missing = json_array_new ();
      guint      j = 0;
      for (guint k = 0; k < ctx->n; k++)
        {
          if (j < ctx->merged->len && g_array_index (ctx->merged, guint, j) == k)
            j++;
          else
            json_array_add_int_element (missing, k);
        }
      json_object_set_array_member (metrics, "shards_missing", missing);
    }
}

#define RECORD_COLUMNS                                                                             \
  "ext_id, kind, source, highlight, condition, prompt, text, rejected, model, params, steps, "    \
  "step_label, answer, correct, scores, rating, status, edited, extra"

static gint64
find_dataset (AssayMergeContext *ctx, const char *role, GError **error)
{
  sqlite3_stmt *stmt = assay_store_prepare (ctx->store,
                                            "SELECT id FROM datasets WHERE json_valid (params) AND "
                                            "json_extract (params, '$.run_key') = ? AND "
                                            "json_extract (params, '$.role') = ?",
                                            error);
  gint64 id = 0;

  if (stmt == NULL)
    return -1;
  sqlite3_bind_text (stmt, 1, ctx->shards[0]->key, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, role, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    id = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return id;
}

gboolean
assay_merge_records (AssayMergeContext *ctx, guint nth, const char *role, GError **error)
{
  gint64 target;

  if ((target = find_dataset (ctx, role, error)) < 0)
    return FALSE;
  for (guint i = 0; i < ctx->n_shards; i++)
    {
      AssayShardFile  *shard = ctx->shards[i];
      sqlite3_stmt    *stmt = NULL;
      g_autofree char *area = NULL, *name = NULL, *source = NULL, *select = NULL;
      gint64           id = 0;

      if (sqlite3_prepare_v2 (shard->db, "SELECT id, area, name, source FROM datasets ORDER BY id "
                                          "LIMIT 1 OFFSET ?", -1, &stmt, NULL) != SQLITE_OK)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("“%s”: %s"), shard->path,
                       sqlite3_errmsg (shard->db));
          return FALSE;
        }
      sqlite3_bind_int (stmt, 1, (int) nth);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        {
          id = sqlite3_column_int64 (stmt, 0);
          area = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
          name = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
          source = g_strdup ((const char *) sqlite3_column_text (stmt, 3));
        }
      sqlite3_finalize (stmt);
      if (id == 0)
        continue;
      if (target == 0)
        {
          g_autoptr (JsonObject) params = json_object_new ();
          json_object_set_string_member (params, "run_key", shard->key);
          json_object_set_string_member (params, "role", role);
          json_object_set_int_member (params, "shards", ctx->n);
          if ((target = assay_store_add_dataset (ctx->store, area != NULL ? area : "gen",
                                                 name != NULL ? name : role, source, params, error)) <= 0)
            return FALSE;
        }
      select = g_strdup_printf ("SELECT " RECORD_COLUMNS " FROM gen_records WHERE dataset_id = %"
                                G_GINT64_FORMAT " ORDER BY id", id);
      if (!assay_shard_copy_rows (ctx->store, shard, "gen_records", select,
                                  "INSERT INTO gen_records (dataset_id, " RECORD_COLUMNS ") VALUES "
                                  "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
                                  "?16, ?17, ?18, ?19, ?20)",
                                  target, error))
        return FALSE;
    }
  if (nth == 0)
    ctx->dataset = target;
  if (target > 0)
    assay_store_emit_changed (ctx->store, "gen_records");
  return TRUE;
}
