/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-xmtc-overview.h"

#include <glib/gi18n.h>
#include <stdlib.h>
#include <string.h>

#include "assay-error.h"
#include "assay-json.h"

guint
assay_xmtc_overview_k_index (guint k)
{
  return k >= 5 ? 2 : k >= 3 ? 1 : 0;
}

static void
run_info_clear (gpointer data)
{
  AssayXmtcRunInfo *info = data;

  g_free (info->created);
  g_clear_pointer (&info->params, json_object_unref);
}

void
assay_xmtc_overview_free (AssayXmtcOverview *self)
{
  if (self == NULL)
    return;
  g_free (self->dataset_name);
  if (self->names != NULL)
    g_strfreev (self->names);
  g_free (self->n_train);
  g_free (self->n_test);
  g_free (self->trained);
  for (guint i = 0; i < 3; i++)
    {
      g_free (self->tp[i]);
      g_free (self->fp[i]);
      g_free (self->fn[i]);
    }
  g_clear_pointer (&self->metrics, json_object_unref);
  g_clear_pointer (&self->params, json_object_unref);
  g_clear_pointer (&self->runs, g_array_unref);
  g_free (self->train_offsets);
  g_free (self->train_docs);
  g_free (self->pred_offsets);
  g_free (self->pred_docs);
  g_free (self->pred_rank);
  g_free (self);
}

/* Builds label -> items lists from (label, item) pairs. */
static void
invert (GArray *pairs_label, GArray *pairs_item, GArray *pairs_rank, guint n_labels,
        gsize **offsets_out, gint64 **items_out, guint8 **ranks_out)
{
  gsize  *offsets = g_new0 (gsize, n_labels + 1);
  gint64 *items = g_new (gint64, MAX (pairs_item->len, 1));
  guint8 *ranks = pairs_rank != NULL ? g_new (guint8, MAX (pairs_item->len, 1)) : NULL;
  gsize  *next;

  for (guint i = 0; i < pairs_label->len; i++)
    offsets[g_array_index (pairs_label, guint32, i) + 1]++;
  for (guint l = 0; l < n_labels; l++)
    offsets[l + 1] += offsets[l];
  next = g_memdup2 (offsets, n_labels * sizeof (gsize));
  for (guint i = 0; i < pairs_label->len; i++)
    {
      gsize at = next[g_array_index (pairs_label, guint32, i)]++;
      items[at] = g_array_index (pairs_item, gint64, i);
      if (ranks != NULL)
        ranks[at] = g_array_index (pairs_rank, guint8, i);
    }
  g_free (next);
  *offsets_out = offsets;
  *items_out = items;
  if (ranks_out != NULL)
    *ranks_out = ranks;
}

AssayXmtcOverview *
assay_xmtc_overview_load (AssayStore *store, gint64 dataset, gint64 run, GError **error)
{
  g_autoptr (AssayXmtcOverview) self = g_new0 (AssayXmtcOverview, 1);
  g_autoptr (GArray) pair_label = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr (GArray) pair_item = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) pair_rank = g_array_new (FALSE, FALSE, sizeof (guint8));
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  sqlite3_stmt *stmt;
  GArray       *n_train, *n_test;

  if (dataset <= 0)
    dataset = assay_store_query_int (store, "SELECT max(id) FROM datasets WHERE area = 'xmtc' AND importing IS NULL", 0);
  if (dataset <= 0)
    {
      g_set_error_literal (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND,
                           _("No labelled corpus in this workspace"));
      return NULL;
    }
  self->dataset = dataset;
  if (!assay_store_get_dataset (store, dataset, NULL, &self->dataset_name, error))
    return NULL;

  /* Runs of the dataset */
  self->runs = g_array_new (FALSE, TRUE, sizeof (AssayXmtcRunInfo));
  g_array_set_clear_func (self->runs, run_info_clear);
  stmt = assay_store_prepare (store,
                              "SELECT id, created, seconds, json_extract(metrics, '$.\"p@1\"'), "
                              "params FROM runs WHERE dataset_id = ? AND area = 'xmtc' AND "
                              "status = 'done' ORDER BY id DESC",
                              error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, dataset);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      AssayXmtcRunInfo info = { 0 };
      const char      *params = (const char *) sqlite3_column_text (stmt, 4);
      info.run = sqlite3_column_int64 (stmt, 0);
      info.created = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      info.seconds = sqlite3_column_double (stmt, 2);
      info.p_at_1 = sqlite3_column_double (stmt, 3);
      info.params = params != NULL ? assay_json_object_from_string (params, NULL) : NULL;
      g_array_append_val (self->runs, info);
    }
  sqlite3_reset (stmt);
  if (run <= 0 && self->runs->len > 0)
    run = g_array_index (self->runs, AssayXmtcRunInfo, 0).run;
  self->run = run;

  /* Labels */
  n_train = g_array_new (FALSE, FALSE, sizeof (guint));
  n_test = g_array_new (FALSE, FALSE, sizeof (guint));
  stmt = assay_store_prepare (store, "SELECT name, n_train, n_test FROM xmtc_labels "
                                     "WHERE dataset_id = ? ORDER BY idx",
                              error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, dataset);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      guint a = (guint) sqlite3_column_int (stmt, 1), b = (guint) sqlite3_column_int (stmt, 2);
      g_ptr_array_add (names, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
      g_array_append_val (n_train, a);
      g_array_append_val (n_test, b);
    }
  sqlite3_reset (stmt);
  self->n_labels = names->len;
  g_ptr_array_add (names, NULL);
  self->names = (char **) g_ptr_array_free (g_steal_pointer (&names), FALSE);
  self->n_train = (guint *) g_array_free (n_train, FALSE);
  self->n_test = (guint *) g_array_free (n_test, FALSE);
  self->trained = g_new0 (gboolean, MAX (self->n_labels, 1));

  /* Training documents per label */
  stmt = assay_store_prepare (store, "SELECT id, labels FROM xmtc_documents WHERE "
                                     "dataset_id = ? AND split = 'train'",
                              error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, dataset);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      gint64         doc = sqlite3_column_int64 (stmt, 0);
      const guint32 *blob = sqlite3_column_blob (stmt, 1);
      guint          n = (guint) (sqlite3_column_bytes (stmt, 1) / sizeof (guint32));
      for (guint j = 0; j < n; j++)
        {
          guint32 label = GUINT32_FROM_LE (blob[j]);
          if (label >= self->n_labels)
            continue;
          g_array_append_val (pair_label, label);
          g_array_append_val (pair_item, doc);
        }
      self->n_documents++;
    }
  sqlite3_reset (stmt);
  invert (pair_label, pair_item, NULL, self->n_labels, &self->train_offsets, &self->train_docs,
          NULL);

  if (run > 0)
    {
      const char *params_text = NULL;

      stmt = assay_store_prepare (store, "SELECT metrics, params FROM runs WHERE id = ?", error);
      if (stmt == NULL)
        return NULL;
      sqlite3_bind_int64 (stmt, 1, run);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        {
          const char *metrics = (const char *) sqlite3_column_text (stmt, 0);
          params_text = (const char *) sqlite3_column_text (stmt, 1);
          self->metrics = metrics != NULL ? assay_json_object_from_string (metrics, NULL) : NULL;
          self->params = params_text != NULL ? assay_json_object_from_string (params_text, NULL)
                                             : NULL;
        }
      sqlite3_reset (stmt);
      self->n_features = (guint) assay_json_get_int (self->metrics, "features", 0);

      for (guint i = 0; i < 3; i++)
        {
          self->tp[i] = g_new0 (guint, MAX (self->n_labels, 1));
          self->fp[i] = g_new0 (guint, MAX (self->n_labels, 1));
          self->fn[i] = g_new0 (guint, MAX (self->n_labels, 1));
        }
      stmt = assay_store_prepare (store, "SELECT k, label_idx, tp, fp, fn FROM "
                                         "xmtc_label_results WHERE run_id = ?",
                                  error);
      if (stmt == NULL)
        return NULL;
      sqlite3_bind_int64 (stmt, 1, run);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          guint ki = assay_xmtc_overview_k_index ((guint) sqlite3_column_int (stmt, 0));
          guint l = (guint) sqlite3_column_int (stmt, 1);
          if (l >= self->n_labels)
            continue;
          self->tp[ki][l] = (guint) sqlite3_column_int (stmt, 2);
          self->fp[ki][l] = (guint) sqlite3_column_int (stmt, 3);
          self->fn[ki][l] = (guint) sqlite3_column_int (stmt, 4);
        }
      sqlite3_reset (stmt);

      stmt = assay_store_prepare (store, "SELECT label_idx FROM xmtc_weights WHERE run_id = ?",
                                  error);
      if (stmt == NULL)
        return NULL;
      sqlite3_bind_int64 (stmt, 1, run);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          guint l = (guint) sqlite3_column_int (stmt, 0);
          if (l < self->n_labels)
            self->trained[l] = TRUE;
        }
      sqlite3_reset (stmt);

      g_array_set_size (pair_label, 0);
      g_array_set_size (pair_item, 0);
      stmt = assay_store_prepare (store, "SELECT doc_id, labels FROM xmtc_predictions "
                                         "WHERE run_id = ?",
                                  error);
      if (stmt == NULL)
        return NULL;
      sqlite3_bind_int64 (stmt, 1, run);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          gint64         doc = sqlite3_column_int64 (stmt, 0);
          const guint32 *blob = sqlite3_column_blob (stmt, 1);
          guint          n = (guint) (sqlite3_column_bytes (stmt, 1) / sizeof (guint32));
          for (guint j = 0; j < MIN (n, 5); j++)
            {
              guint32 label = GUINT32_FROM_LE (blob[j]);
              guint8  rank = (guint8) j;
              if (label >= self->n_labels)
                continue;
              g_array_append_val (pair_label, label);
              g_array_append_val (pair_item, doc);
              g_array_append_val (pair_rank, rank);
            }
        }
      sqlite3_reset (stmt);
      invert (pair_label, pair_item, pair_rank, self->n_labels, &self->pred_offsets,
              &self->pred_docs, &self->pred_rank);
    }
  return g_steal_pointer (&self);
}

static int
compare_keywords (const void *a, const void *b)
{
  const AssayKeyword *x = a, *y = b;

  return x->weight < y->weight ? 1 : x->weight > y->weight ? -1 : 0;
}

GArray *
assay_xmtc_label_keywords (AssayStore *store, gint64 run, guint label, guint k, GPtrArray *terms,
                           GError **error)
{
  GArray       *out = g_array_new (FALSE, FALSE, sizeof (AssayKeyword));
  sqlite3_stmt *stmt = assay_store_prepare (store, "SELECT indices, weights FROM xmtc_weights "
                                                   "WHERE run_id = ? AND label_idx = ?",
                                            error);

  if (stmt == NULL)
    return out;
  sqlite3_bind_int64 (stmt, 1, run);
  sqlite3_bind_int (stmt, 2, (int) label);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const guint32 *idx = sqlite3_column_blob (stmt, 0);
      const float   *w = sqlite3_column_blob (stmt, 1);
      guint          n = (guint) (sqlite3_column_bytes (stmt, 0) / sizeof (guint32));
      if ((gsize) sqlite3_column_bytes (stmt, 1) == n * sizeof (float))
        for (guint i = 0; i < n; i++)
          if (w[i] > 0.0f)
            {
              AssayKeyword kw = { NULL, w[i], idx[i] };
              g_array_append_val (out, kw);
            }
    }
  sqlite3_reset (stmt);
  if (out->len > 1)
    qsort (out->data, out->len, sizeof (AssayKeyword), compare_keywords);
  if (out->len > k)
    g_array_set_size (out, k);

  stmt = assay_store_prepare (store, "SELECT term FROM xmtc_run_terms WHERE run_id = ? AND idx = ?",
                              error);
  if (stmt == NULL)
    return out;
  for (guint i = 0; i < out->len; i++)
    {
      AssayKeyword *kw = &g_array_index (out, AssayKeyword, i);
      char         *term = NULL;
      sqlite3_bind_int64 (stmt, 1, run);
      sqlite3_bind_int (stmt, 2, (int) kw->feature);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        term = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      sqlite3_reset (stmt);
      if (term == NULL)
        term = g_strdup_printf ("f%u", kw->feature);
      g_ptr_array_add (terms, term);
      kw->term = term;
    }
  return out;
}
