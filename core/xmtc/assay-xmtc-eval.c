/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-xmtc-eval.h"

#include <glib/gi18n.h>
#include <stdlib.h>

#include "assay-error.h"

static int
compare_by_count (gconstpointer a, gconstpointer b, gpointer data)
{
  const guint *n = data;
  guint        x = *(const guint *) a, y = *(const guint *) b;

  if (n[x] != n[y])
    return n[x] < n[y] ? -1 : 1;
  return x < y ? -1 : x > y;
}

JsonObject *
assay_xmtc_evaluate (AssayXmtcDataset *dataset, GArray *test_rows, const guint32 *top, guint K,
                     double propensity_a, double propensity_b)
{
  const guint      L = dataset->n_labels;
  static const guint ks[] = { 1, 3, 5 };
  JsonObject      *out = json_object_new ();
  AssayLabelSets   truth;
  g_autofree gsize *offsets = NULL;
  g_autofree guint32 *labels = NULL;
  g_autofree double *inv = g_new (double, MAX (L, 1));
  g_autofree guint *tp = g_new (guint, MAX (L, 1));
  g_autofree guint *fp = g_new (guint, MAX (L, 1));
  g_autofree guint *fn = g_new (guint, MAX (L, 1));
  g_autofree gboolean *in_bin = g_new0 (gboolean, MAX (L, 1));
  g_autofree guint *order = g_new (guint, MAX (L, 1));
  guint             n_train_docs = 0, n_seen = 0, bin_count[4] = { 0 };
  JsonArray        *bins = json_array_new ();

  for (guint d = 0; d < dataset->n_docs; d++)
    n_train_docs += !dataset->is_test[d];
  assay_xmtc_dataset_label_sets (dataset, test_rows, &truth, &offsets, &labels);
  assay_xmtc_inverse_propensity (dataset->n_train, L, n_train_docs, propensity_a, propensity_b, inv);
  for (guint l = 0; l < L; l++)
    bin_count[assay_xmtc_label_bin (dataset->n_train[l])]++;

  json_object_set_int_member (out, "test_documents", truth.n_docs);
  json_object_set_int_member (out, "labels", L);
  json_object_set_int_member (out, "tail_labels", bin_count[ASSAY_LABEL_BIN_TAIL]);
  json_object_set_int_member (out, "torso_labels", bin_count[ASSAY_LABEL_BIN_TORSO]);
  json_object_set_int_member (out, "head_labels", bin_count[ASSAY_LABEL_BIN_HEAD]);
  json_object_set_int_member (out, "unseen_labels", bin_count[ASSAY_LABEL_BIN_UNSEEN]);
  json_object_set_double_member (out, "propensity_a", propensity_a);
  json_object_set_double_member (out, "propensity_b", propensity_b);

  for (guint i = 0; i < G_N_ELEMENTS (ks); i++)
    {
      guint k = MIN (ks[i], K);
      char  key[64];

      g_snprintf (key, sizeof key, "p@%u", ks[i]);
      json_object_set_double_member (out, key, assay_xmtc_precision_at_k (&truth, top, K, k));
      g_snprintf (key, sizeof key, "ndcg@%u", ks[i]);
      json_object_set_double_member (out, key, assay_xmtc_ndcg_at_k (&truth, top, K, k));
      g_snprintf (key, sizeof key, "psp@%u", ks[i]);
      json_object_set_double_member (out, key, assay_xmtc_psp_at_k (&truth, top, K, k, inv));
      assay_xmtc_label_counts_at_k (&truth, top, K, k, L, tp, fp, fn);
      g_snprintf (key, sizeof key, "macro_f1@%u", ks[i]);
      json_object_set_double_member (out, key, assay_xmtc_macro_f1 (tp, fp, fn, L, NULL, NULL));
      for (AssayLabelBin bin = ASSAY_LABEL_BIN_TAIL; bin <= ASSAY_LABEL_BIN_HEAD; bin++)
        {
          for (guint l = 0; l < L; l++)
            in_bin[l] = assay_xmtc_label_bin (dataset->n_train[l]) == bin;
          g_snprintf (key, sizeof key, "%s_macro_f1@%u", assay_xmtc_label_bin_name (bin), ks[i]);
          json_object_set_double_member (out, key, assay_xmtc_macro_f1 (tp, fp, fn, L, in_bin, NULL));
        }
    }

  /* Figure 2.1: labels with training documents, rare -> common, bins of 100. */
  for (guint l = 0; l < L; l++)
    if (dataset->n_train[l] > 0)
      order[n_seen++] = l;
  g_qsort_with_data (order, n_seen, sizeof (guint), compare_by_count, dataset->n_train);
  for (guint start = 0; start < n_seen; start += ASSAY_XMTC_BIN_SIZE)
    {
      guint       end = MIN (start + ASSAY_XMTC_BIN_SIZE, n_seen);
      JsonObject *bin = json_object_new ();

      json_object_set_int_member (bin, "first", start);
      json_object_set_int_member (bin, "labels", end - start);
      json_object_set_int_member (bin, "min_train", dataset->n_train[order[start]]);
      json_object_set_int_member (bin, "max_train", dataset->n_train[order[end - 1]]);
      for (guint l = 0; l < L; l++)
        in_bin[l] = FALSE;
      for (guint i = start; i < end; i++)
        in_bin[order[i]] = TRUE;
      for (guint i = 0; i < G_N_ELEMENTS (ks); i++)
        {
          char key[32];
          assay_xmtc_label_counts_at_k (&truth, top, K, MIN (ks[i], K), L, tp, fp, fn);
          g_snprintf (key, sizeof key, "f1@%u", ks[i]);
          json_object_set_double_member (bin, key, assay_xmtc_macro_f1 (tp, fp, fn, L, in_bin, NULL));
        }
      json_array_add_object_element (bins, bin);
    }
  json_object_set_array_member (out, "bins", bins);
  return out;
}

gint64
assay_xmtc_run_dataset (AssayStore *store, gint64 run_id, GError **error)
{
  sqlite3_stmt *stmt = assay_store_prepare (store,
                                            "SELECT dataset_id FROM runs WHERE id = ? AND "
                                            "area = 'xmtc'",
                                            error);
  gint64 dataset = 0;

  if (stmt == NULL)
    return 0;
  sqlite3_bind_int64 (stmt, 1, run_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    dataset = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  if (dataset == 0)
    {
      g_autofree char *what = assay_store_describe_run (store, run_id);
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND, _("No label-model run %lld: %s"),
                   (long long) run_id, what);
    }
  return dataset;
}

JsonObject *
assay_xmtc_evaluate_run (AssayStore *store, gint64 run_id, double propensity_a,
                         double propensity_b, GError **error)
{
  g_autoptr (AssayXmtcDataset) dataset = NULL;
  g_autoptr (GArray) test_rows = NULL;
  g_autoptr (GHashTable) row_of = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autofree guint32 *top = NULL;
  sqlite3_stmt *stmt;
  gint64        dataset_id = assay_xmtc_run_dataset (store, run_id, error);
  guint         K = 0;

  if (dataset_id == 0)
    return NULL;
  dataset = assay_xmtc_dataset_load (store, dataset_id, FALSE, error);
  if (dataset == NULL)
    return NULL;
  test_rows = assay_xmtc_dataset_split (dataset, TRUE);
  for (guint i = 0; i < test_rows->len; i++)
    g_hash_table_insert (row_of, &dataset->doc_ids[g_array_index (test_rows, guint, i)],
                         GUINT_TO_POINTER (i + 1));

  stmt = assay_store_prepare (store,
                              "SELECT doc_id, labels FROM xmtc_predictions WHERE run_id = ?",
                              error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, run_id);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      gint64         doc = sqlite3_column_int64 (stmt, 0);
      const guint32 *blob = sqlite3_column_blob (stmt, 1);
      guint          n = (guint) (sqlite3_column_bytes (stmt, 1) / sizeof (guint32));
      guint          row = GPOINTER_TO_UINT (g_hash_table_lookup (row_of, &doc));

      if (top == NULL)
        {
          K = MAX (n, 5);
          top = g_new (guint32, (gsize) MAX (test_rows->len, 1) * K);
          for (gsize i = 0; i < (gsize) test_rows->len * K; i++)
            top[i] = ASSAY_XMTC_NO_LABEL;
        }
      if (row == 0)
        continue;
      for (guint j = 0; j < MIN (n, K); j++)
        top[(gsize) (row - 1) * K + j] = GUINT32_FROM_LE (blob[j]);
    }
  sqlite3_reset (stmt);
  if (top == NULL)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND,
                   _("Run %lld has no predictions (no test documents?)"), (long long) run_id);
      return NULL;
    }
  return assay_xmtc_evaluate (dataset, test_rows, top, K, propensity_a, propensity_b);
}
