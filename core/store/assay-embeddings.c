/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-embeddings.c: see assay-embeddings.h. */
#include "config.h"

#include "assay-embeddings.h"

#include <glib/gi18n.h>
#include <string.h>

#include "assay-backend.h"
#include "assay-error.h"

void
assay_embeddings_free (AssayEmbeddings *e)
{
  if (e == NULL)
    return;
  g_free (e->ids);
  g_free (e->vectors);
  g_free (e);
}

AssayEmbeddings *
assay_embeddings_load (AssayStore *store, gint64 set, GError **error)
{
  g_autoptr (AssayEmbeddings) e = g_new0 (AssayEmbeddings, 1);
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) vec = g_array_new (FALSE, FALSE, sizeof (float));
  g_autofree char *dtype = NULL;
  g_autofree char *area = NULL;
  sqlite3_stmt *stmt = assay_store_prepare (store, "SELECT s.dim, s.dtype, d.area, s.dataset_id FROM embedding_sets s "
                                                   "JOIN datasets d ON d.id = s.dataset_id WHERE s.id = ?", error);
  gint64        dataset;
  int           rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, set);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      sqlite3_reset (stmt);
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND, _("No embedding set %" G_GINT64_FORMAT), set);
      return NULL;
    }
  e->set = set;
  e->dim = sqlite3_column_int (stmt, 0);
  dtype = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
  area = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
  dataset = sqlite3_column_int64 (stmt, 3);
  sqlite3_reset (stmt);
  e->dataset = dataset;
  if (e->dim < 1 || e->dim > (1 << 20) || (g_strcmp0 (dtype, "f32") != 0 && g_strcmp0 (dtype, "f16") != 0))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("Embedding set %" G_GINT64_FORMAT " says its vectors are %d wide of type “%s” (1 to 1048576 "
                     "floats of f32 or f16 are possible)"), set, e->dim, dtype != NULL ? dtype : "");
      return NULL;
    }
  /* the vectors of items still in the set's dataset (a join on the items' primary key: a
   * subquery per row would grow with the square of the dataset) */
  stmt = assay_store_prepare (store, g_strcmp0 (area, "xmtc") == 0
                                       ? "SELECT e.item_id, e.vector FROM embeddings e JOIN xmtc_documents r ON r.id = e.item_id "
                                         "WHERE e.set_id = ?1 AND r.dataset_id = ?2 ORDER BY e.item_id"
                                       : "SELECT e.item_id, e.vector FROM embeddings e JOIN gen_records r ON r.id = e.item_id "
                                         "WHERE e.set_id = ?1 AND r.dataset_id = ?2 ORDER BY e.item_id", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, set);
  sqlite3_bind_int64 (stmt, 2, dataset);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64        id = sqlite3_column_int64 (stmt, 0);
      const guint8 *blob = sqlite3_column_blob (stmt, 1);
      int           bytes = sqlite3_column_bytes (stmt, 1);
      gboolean      f16 = g_strcmp0 (dtype, "f16") == 0;

      if (bytes != e->dim * (f16 ? 2 : 4))
        {
          sqlite3_reset (stmt);
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       _("Embedding of record %" G_GINT64_FORMAT " in set %" G_GINT64_FORMAT " has %d bytes, not %d"),
                       id, set, bytes, e->dim * (f16 ? 2 : 4));
          return NULL;
        }
      g_array_append_val (ids, id);
      for (int j = 0; j < e->dim; j++)
        {
          float f;
          if (f16)
            {
              guint16 h;
              memcpy (&h, blob + 2 * j, 2);
              f = assay_f16_to_f32 (GUINT16_FROM_LE (h));
            }
          else
            memcpy (&f, blob + 4 * j, 4);
          g_array_append_val (vec, f);
        }
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      assay_store_set_error (store, error, "embeddings");
      return NULL;
    }
  e->n = ids->len;
  e->ids = (gint64 *) g_array_free (g_steal_pointer (&ids), FALSE);
  e->vectors = (float *) g_array_free (g_steal_pointer (&vec), FALSE);
  return g_steal_pointer (&e);
}

int
assay_embeddings_find (const AssayEmbeddings *e, gint64 id)
{
  guint lo = 0, hi = e->n;

  while (lo < hi)
    {
      guint mid = (lo + hi) / 2;
      if (e->ids[mid] < id)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo < e->n && e->ids[lo] == id ? (int) lo : -1;
}

gint64
assay_embeddings_latest_set (AssayStore *store, gint64 dataset, const char *field, GError **error)
{
  /* (a set a stopped run left half-made has fewer vectors than a whole one) */
  sqlite3_stmt *stmt = assay_store_prepare (store, "SELECT s.id FROM embedding_sets s WHERE s.dataset_id = ? AND "
                                                   "json_extract (s.settings, '$.field') = ? ORDER BY (SELECT count(*) FROM "
                                                   "embeddings e WHERE e.set_id = s.id) DESC, s.updated DESC, s.id DESC "
                                                   "LIMIT 1", error);
  gint64        set = 0;
  int           rc;

  if (stmt == NULL)
    return -1;
  sqlite3_bind_int64 (stmt, 1, dataset);
  sqlite3_bind_text (stmt, 2, field, -1, SQLITE_TRANSIENT);
  if ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    set = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      assay_store_set_error (store, error, "embedding_sets");
      return -1;
    }
  return set;
}
