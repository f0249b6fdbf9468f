/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-gen-dedup.h"

#include <glib/gi18n.h>
#include <omp.h>

#include "assay-error.h"
#include "assay-gen-record.h"

JsonObject *
assay_gen_dedup (AssayStore *store, gint64 dataset, double threshold, const AssayMinHashOptions *options,
                 GError **error)
{
  g_autoptr (AssayMinHash) mh = assay_minhash_new (options);
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) groups = NULL;
  g_autofree guint64 *sigs = NULL;
  g_autofree gboolean *valid = NULL;
  g_autoptr (GTimer) timer = g_timer_new ();
  sqlite3_stmt *stmt;
  guint         P = assay_minhash_n_perm (mh), n, without = 0, pairs = 0;
  JsonArray    *out;
  JsonObject   *r;
  int           rc;

  if (!(threshold > 0 && threshold <= 1))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("The threshold must be in (0, 1]"));
      return NULL;
    }
  if (dataset != 0)
    {
      g_autofree char *area = NULL;
      if (!assay_store_get_dataset (store, dataset, &area, NULL, error))
        return NULL;
      if (!g_str_equal (area, "gen"))
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("Dataset %" G_GINT64_FORMAT " holds %s data, not generations"),
                       dataset, area);
          return NULL;
        }
    }
  stmt = assay_store_prepare (store,
                              "SELECT id, coalesce (edited, text) FROM gen_records WHERE (?1 = 0 OR dataset_id = ?1) "
                              "AND " ASSAY_DATASET_VISIBLE ("dataset_id") " ORDER BY id",
                              error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, dataset);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64      id = sqlite3_column_int64 (stmt, 0);
      const char *text = (const char *) sqlite3_column_text (stmt, 1);
      g_array_append_val (ids, id);
      g_ptr_array_add (texts, g_strdup (text != NULL ? text : ""));
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      assay_store_set_error (store, error, "gen_records");
      return NULL;
    }
  n = ids->len;
  sigs = g_new (guint64, (gsize) MAX (n, 1) * P);
  valid = g_new (gboolean, MAX (n, 1));
#pragma omp parallel for schedule (dynamic, 256)
  for (guint i = 0; i < n; i++)
    valid[i] = assay_minhash_signature (mh, texts->pdata[i], sigs + (gsize) i * P);
  for (guint i = 0; i < n; i++)
    without += !valid[i];
  groups = assay_minhash_groups (mh, sigs, valid, n, threshold, &pairs);

  out = assay_gen_dedup_groups_json (groups, (const gint64 *) ids->data);
  r = json_object_new ();
  json_object_set_int_member (r, "records", n);
  json_object_set_int_member (r, "without_words", without);
  json_object_set_int_member (r, "pairs", pairs);
  json_object_set_double_member (r, "threshold", threshold);
  json_object_set_double_member (r, "seconds", g_timer_elapsed (timer, NULL));
  json_object_set_array_member (r, "groups", out);
  return r;
}

JsonArray *
assay_gen_dedup_groups_json (GPtrArray *groups, const gint64 *ids)
{
  JsonArray *out = json_array_new ();

  for (guint g = 0; g < groups->len; g++)
    {
      GArray    *members = groups->pdata[g];
      JsonArray *a = json_array_new ();
      for (guint k = 0; k < members->len; k++)
        json_array_add_int_element (a, ids[g_array_index (members, guint, k)]);
      json_array_add_array_element (out, a);
    }
  return out;
}

gboolean
assay_gen_dedup_reject (AssayStore *store, JsonObject *result, guint *n_rejected, GError **error)
{
  JsonArray *groups = json_object_get_array_member (result, "groups");
  g_autoptr (GArray) reject = g_array_new (FALSE, FALSE, sizeof (gint64));
  sqlite3_stmt *stmt = assay_store_prepare (store, "SELECT status FROM gen_records WHERE id = ?", error);

  if (stmt == NULL)
    return FALSE;
  for (guint g = 0; g < json_array_get_length (groups); g++)
    {
      JsonArray *members = json_array_get_array_element (groups, g);
      guint      n = json_array_get_length (members), keep = 0;

      for (guint k = 0; k < n; k++)
        {
          gboolean accepted;
          sqlite3_bind_int64 (stmt, 1, json_array_get_int_element (members, k));
          accepted = sqlite3_step (stmt) == SQLITE_ROW
                     && g_strcmp0 ((const char *) sqlite3_column_text (stmt, 0), "accepted") == 0;
          sqlite3_reset (stmt);
          if (accepted)
            {
              keep = k;
              break;
            }
        }
      for (guint k = 0; k < n; k++)
        if (k != keep)
          {
            gint64   id = json_array_get_int_element (members, k);
            gboolean already;
            sqlite3_bind_int64 (stmt, 1, id);
            already = sqlite3_step (stmt) == SQLITE_ROW
                      && g_strcmp0 ((const char *) sqlite3_column_text (stmt, 0), "rejected") == 0;
            sqlite3_reset (stmt);
            if (!already) /* only the records the decision changes */
              g_array_append_val (reject, id);
          }
    }
  if (n_rejected != NULL)
    *n_rejected = reject->len;
  if (reject->len == 0)
    return TRUE;
  return assay_gen_set_status_many (store, (const gint64 *) reject->data, reject->len, ASSAY_GEN_REJECTED,
                                    error);
}
