/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-xmtc-dataset.h"

#include <glib/gi18n.h>
#include <string.h>

#include "assay-error.h"

void
assay_xmtc_dataset_free (AssayXmtcDataset *self)
{
  if (self == NULL)
    return;
  g_free (self->name);
  if (self->label_names != NULL)
    for (guint l = 0; l < self->n_labels; l++)
      g_free (self->label_names[l]);
  g_free (self->label_names);
  g_free (self->n_train);
  g_free (self->n_test);
  g_free (self->doc_ids);
  g_free (self->is_test);
  if (self->texts != NULL)
    for (guint d = 0; d < self->n_docs; d++)
      g_free (self->texts[d]);
  g_free (self->texts);
  g_free (self->label_offsets);
  g_free (self->labels);
  assay_csr_free (self->features);
  if (self->feature_names != NULL)
    for (guint f = 0; f < self->n_features; f++)
      g_free (self->feature_names[f]);
  g_free (self->feature_names);
  g_free (self);
}

AssayXmtcDataset *
assay_xmtc_dataset_load (AssayStore *store, gint64 dataset_id, gboolean with_text, GError **error)
{
  g_autoptr (AssayXmtcDataset) self = g_new0 (AssayXmtcDataset, 1);
  g_autofree char *area = NULL;
  sqlite3_stmt    *stmt;
  GArray          *labels;
  gsize            n_rows;
  g_autoptr (GArray) offsets = NULL;
  gboolean         sparse = FALSE;

  if (!assay_store_get_dataset (store, dataset_id, &area, &self->name, error))
    return NULL;
  if (!g_str_equal (area, "xmtc"))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND,
                   _("Dataset %lld holds %s data, not a labelled corpus"),
                   (long long) dataset_id, area);
      return NULL;
    }
  self->id = dataset_id;

  stmt = assay_store_prepare (store, "SELECT count(*) FROM xmtc_labels WHERE dataset_id = ?",
                              error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, dataset_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    self->n_labels = (guint) sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  self->label_names = g_new0 (char *, self->n_labels + 1);
  self->n_train = g_new0 (guint, MAX (self->n_labels, 1));
  self->n_test = g_new0 (guint, MAX (self->n_labels, 1));
  stmt = assay_store_prepare (store,
                              "SELECT idx, name, n_train, n_test FROM xmtc_labels "
                              "WHERE dataset_id = ? ORDER BY idx",
                              error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, dataset_id);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      guint idx = (guint) sqlite3_column_int (stmt, 0);
      if (idx >= self->n_labels)
        continue;
      self->label_names[idx] = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      self->n_train[idx] = (guint) sqlite3_column_int (stmt, 2);
      self->n_test[idx] = (guint) sqlite3_column_int (stmt, 3);
    }
  sqlite3_reset (stmt);

  /* Sparse datasets know their feature count. */
  stmt = assay_store_prepare (store, "SELECT json_extract(params, '$.features') FROM datasets "
                                     "WHERE id = ?",
                              error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, dataset_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    self->n_features = (guint) sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);

  n_rows = 0;
  stmt = assay_store_prepare (store, "SELECT count(*) FROM xmtc_documents WHERE dataset_id = ?",
                              error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, dataset_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    n_rows = (gsize) sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);

  self->doc_ids = g_new (gint64, MAX (n_rows, 1));
  self->is_test = g_new (gboolean, MAX (n_rows, 1));
  if (with_text)
    self->texts = g_new0 (char *, n_rows + 1);
  offsets = g_array_sized_new (FALSE, FALSE, sizeof (gsize), n_rows + 1);
  labels = g_array_new (FALSE, FALSE, sizeof (guint32));
  stmt = assay_store_prepare (store,
                              with_text
                                ? "SELECT id, split = 'test', labels, features, title, text "
                                  "FROM xmtc_documents WHERE dataset_id = ? ORDER BY id"
                                : "SELECT id, split = 'test', labels, features "
                                  "FROM xmtc_documents WHERE dataset_id = ? ORDER BY id",
                              error);
  if (stmt == NULL)
    {
      g_array_unref (labels);
      return NULL;
    }
  sqlite3_bind_int64 (stmt, 1, dataset_id);
  {
    gsize zero = 0;
    g_array_append_val (offsets, zero);
  }
  while (sqlite3_step (stmt) == SQLITE_ROW && self->n_docs < n_rows)
    {
      guint          d = self->n_docs++;
      const guint32 *blob = sqlite3_column_blob (stmt, 2);
      guint          n = (guint) (sqlite3_column_bytes (stmt, 2) / sizeof (guint32));
      gsize          end;

      self->doc_ids[d] = sqlite3_column_int64 (stmt, 0);
      self->is_test[d] = sqlite3_column_int (stmt, 1);
      for (guint j = 0; j < n; j++)
        {
          guint32 label = GUINT32_FROM_LE (blob[j]);
          if (label < self->n_labels)
            g_array_append_val (labels, label);
        }
      end = labels->len;
      g_array_append_val (offsets, end);
      if (sqlite3_column_type (stmt, 3) == SQLITE_BLOB || (sparse && self->features != NULL))
        {
          const guint32 *cells = sqlite3_column_blob (stmt, 3);
          guint          m = (guint) (sqlite3_column_bytes (stmt, 3) / (2 * sizeof (guint32)));
          g_autofree guint32 *idx = g_new (guint32, MAX (m, 1));
          g_autofree float   *val = g_new (float, MAX (m, 1));
          if (self->features == NULL)
            {
              self->features = assay_csr_new (self->n_features);
              sparse = TRUE;
            }
          for (guint j = 0; j < m; j++)
            {
              guint32 raw = GUINT32_FROM_LE (cells[2 * j + 1]);
              idx[j] = GUINT32_FROM_LE (cells[2 * j]);
              memcpy (&val[j], &raw, sizeof (float));
            }
          assay_csr_append_row (self->features, idx, val, m);
        }
      if (with_text)
        {
          const char *title = (const char *) sqlite3_column_text (stmt, 4);
          const char *text = (const char *) sqlite3_column_text (stmt, 5);
          if (title != NULL && text != NULL && *text != '\0')
            self->texts[d] = g_strconcat (title, "\n", text, NULL);
          else
            self->texts[d] = g_strdup (title != NULL ? title : text != NULL ? text : "");
        }
    }
  sqlite3_reset (stmt);
  self->label_offsets = (gsize *) g_array_free (g_steal_pointer (&offsets), FALSE);
  self->labels = (guint32 *) g_array_free (labels, FALSE);
  if (self->features != NULL && self->features->n_rows != self->n_docs)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("Dataset %lld mixes documents with and without features"),
                   (long long) dataset_id);
      return NULL;
    }

  if (sparse)
    {
      stmt = assay_store_prepare (store,
                                  "SELECT idx, term FROM xmtc_features WHERE dataset_id = ? "
                                  "ORDER BY idx",
                                  error);
      if (stmt == NULL)
        return NULL;
      sqlite3_bind_int64 (stmt, 1, dataset_id);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          guint idx = (guint) sqlite3_column_int (stmt, 0);
          if (self->feature_names == NULL)
            self->feature_names = g_new0 (char *, self->n_features + 1);
          if (idx < self->n_features)
            self->feature_names[idx] = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
        }
      sqlite3_reset (stmt);
    }
  return g_steal_pointer (&self);
}

GArray *
assay_xmtc_dataset_split (AssayXmtcDataset *self, gboolean test)
{
  GArray *rows = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint d = 0; d < self->n_docs; d++)
    if (self->is_test[d] == test)
      g_array_append_val (rows, d);
  return rows;
}

void
assay_xmtc_dataset_label_sets (AssayXmtcDataset *self, GArray *rows, AssayLabelSets *sets,
                               gsize **offsets_out, guint32 **labels_out)
{
  gsize   *offsets = g_new (gsize, rows->len + 1);
  GArray  *labels = g_array_new (FALSE, FALSE, sizeof (guint32));

  offsets[0] = 0;
  for (guint i = 0; i < rows->len; i++)
    {
      guint d = g_array_index (rows, guint, i);
      g_array_append_vals (labels, self->labels + self->label_offsets[d],
                           self->label_offsets[d + 1] - self->label_offsets[d]);
      offsets[i + 1] = labels->len;
    }
  *offsets_out = offsets;
  *labels_out = (guint32 *) g_array_free (labels, FALSE);
  sets->n_docs = rows->len;
  sets->offsets = *offsets_out;
  sets->labels = *labels_out;
}

GArray *
assay_xmtc_dataset_list (AssayStore *store, GPtrArray *names)
{
  GArray       *ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  sqlite3_stmt *stmt = assay_store_prepare (store,
                                            "SELECT id, name FROM datasets WHERE area = 'xmtc' "
                                            "AND importing IS NULL ORDER BY id DESC",
                                            NULL);

  if (stmt == NULL)
    return ids;
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      g_array_append_val (ids, id);
      if (names != NULL)
        g_ptr_array_add (names, g_strdup ((const char *) sqlite3_column_text (stmt, 1)));
    }
  sqlite3_reset (stmt);
  return ids;
}
