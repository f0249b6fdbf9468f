/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-dismissals.c: dismissed label errors (see the header). */
#include "config.h"

#include "assay-dismissals.h"

#include <glib/gi18n-lib.h>

char *
assay_dismissal_key (const char *item, const char *label, gboolean given)
{
  return g_strdup_printf ("%s\x1f%s\x1f%d", item, label, given ? 1 : 0);
}

gboolean
assay_dismissal_add (AssayStore *store, gint64 dataset, const char *item, const char *label, gboolean given,
                     GError **error)
{
  static const char *const columns[] = { "dataset_id", "item", "label", "given" };
  GVariant *values[4];
  sqlite3_stmt *stmt;
  gboolean there;

  stmt = assay_store_prepare (store, "SELECT count(*) FROM label_dismissals WHERE dataset_id = ? AND item = ? AND "
                                     "label = ? AND given = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, dataset);
  sqlite3_bind_text (stmt, 2, item, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, label, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 4, given ? 1 : 0);
  there = sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_int (stmt, 0) > 0;
  sqlite3_reset (stmt);
  if (there)
    return TRUE;
  values[0] = g_variant_new_int64 (dataset);
  values[1] = g_variant_new_string (item);
  values[2] = g_variant_new_string (label);
  values[3] = g_variant_new_int64 (given ? 1 : 0);
  {
    g_autofree char *what = g_strdup_printf (_("Dismiss “%s” on %s"), label, item);
    if (!assay_store_edit_begin (store, what, error))
      {
        for (int i = 0; i < 4; i++)
          g_variant_unref (g_variant_ref_sink (values[i]));
        return FALSE;
      }
  }
  if (assay_store_edit_insert (store, "label_dismissals", columns, values, 4, error) < 0)
    {
      assay_store_edit_abort (store);
      return FALSE;
    }
  return assay_store_edit_commit (store, error);
}

GHashTable *
assay_dismissals_load (AssayStore *store, gint64 dataset, GError **error)
{
  GHashTable   *set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  sqlite3_stmt *stmt = assay_store_prepare (store, "SELECT item, label, given FROM label_dismissals WHERE dataset_id = ?",
                                            error);
  int rc;

  if (stmt == NULL)
    {
      g_hash_table_unref (set);
      return NULL;
    }
  sqlite3_bind_int64 (stmt, 1, dataset);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_hash_table_add (set, assay_dismissal_key ((const char *) sqlite3_column_text (stmt, 0),
                                                (const char *) sqlite3_column_text (stmt, 1),
                                                sqlite3_column_int (stmt, 2) != 0));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      g_hash_table_unref (set);
      assay_store_set_error (store, error, "label_dismissals");
      return NULL;
    }
  return set;
}
