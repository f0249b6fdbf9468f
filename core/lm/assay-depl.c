/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-depl.c: see assay-depl.h. */
#include "assay-depl.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "assay-error.h"
#include "assay-json.h"
#include "assay-knn.h"
#include "assay-xmtc-dataset.h"
#include "assay-xmtc-eval.h"
#include "assay-xmtc-model.h"

#define RRF_C 60.0

void
assay_depl_options_clear (AssayDeplOptions *o)
{
  assay_embed_set_options_clear (&o->set);
}

/* The SVM run's top k per test row (ASSAY_XMTC_NO_LABEL past a shorter list). */
static guint32 *
svm_top (AssayStore *store, gint64 run, AssayXmtcDataset *d, GArray *test_rows, guint K, GError **error)
{
  g_autoptr (GHashTable) row_of = g_hash_table_new (g_int64_hash, g_int64_equal);
  guint32      *top = g_new (guint32, (gsize) MAX (test_rows->len, 1) * K);
  sqlite3_stmt *stmt;
  guint         n_rows = 0;

  for (gsize i = 0; i < (gsize) test_rows->len * K; i++)
    top[i] = ASSAY_XMTC_NO_LABEL;
  for (guint i = 0; i < test_rows->len; i++)
    g_hash_table_insert (row_of, &d->doc_ids[g_array_index (test_rows, guint, i)], GUINT_TO_POINTER (i + 1));
  if ((stmt = assay_store_prepare (store, "SELECT doc_id, labels FROM xmtc_predictions WHERE run_id = ?", error)) == NULL)
    {
      g_free (top);
      return NULL;
    }
  sqlite3_bind_int64 (stmt, 1, run);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      gint64        doc = sqlite3_column_int64 (stmt, 0);
      const guint8 *blob = sqlite3_column_blob (stmt, 1);
      guint         n = (guint) (sqlite3_column_bytes (stmt, 1) / sizeof (guint32));
      guint         row = GPOINTER_TO_UINT (g_hash_table_lookup (row_of, &doc));
      if (row == 0)
        continue;
      n_rows++;
      for (guint j = 0; j < MIN (n, K); j++)
        {
          guint32 v;
          memcpy (&v, blob + 4 * j, 4);
          top[(gsize) (row - 1) * K + j] = GUINT32_FROM_LE (v);
        }
    }
  sqlite3_reset (stmt);
  if (n_rows == 0)
    {
      g_free (top);
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND, _("Run %" G_GINT64_FORMAT " has no test predictions"), run);
      return NULL;
    }
  return top;
}

typedef struct
{
  guint32 label;
  double  score;
} Fused;

static int
fused_cmp (const void *a, const void *b)
{
  const Fused *x = a, *y = b;
  if (x->score != y->score)
    return x->score > y->score ? -1 : 1;
  return x->label < y->label ? -1 : x->label > y->label;
}

/* Reciprocal-rank fusion of two top-K lists per row. */
static void
fuse (const guint32 *a, const guint32 *b, guint rows, guint K, guint32 *out, float *out_scores)
{
  Fused *c = g_new (Fused, 2 * K);

  for (guint r = 0; r < rows; r++)
    {
      guint n = 0;
      for (guint list = 0; list < 2; list++)
        for (guint j = 0; j < K; j++)
          {
            guint32 l = (list == 0 ? a : b)[(gsize) r * K + j];
            guint   i;
            if (l == ASSAY_XMTC_NO_LABEL)
              break;
            for (i = 0; i < n && c[i].label != l; i++)
              ;
            if (i == n)
              c[n++] = (Fused) { l, 0.0 };
            c[i].score += 1.0 / (RRF_C + j + 1);
          }
      qsort (c, n, sizeof (Fused), fused_cmp);
      for (guint j = 0; j < K; j++)
        {
          out[(gsize) r * K + j] = j < n ? c[j].label : ASSAY_XMTC_NO_LABEL;
          out_scores[(gsize) r * K + j] = j < n ? (float) c[j].score : 0.0f;
        }
    }
  g_free (c);
}

/* A run of area xmtc-dense holding a ranking's predictions and metrics. */
static gint64
store_ranking (AssayStore *store, gint64 dataset, const char *kind, JsonObject *params, const char *backend,
               AssayXmtcDataset *d, GArray *test_rows, const guint32 *top, const float *scores, guint K,
               JsonObject *metrics, double seconds, GError **error)
{
  g_autofree guint32 *le = g_new (guint32, K);
  g_autofree float   *fs = g_new (float, K);
  sqlite3_stmt       *stmt;
  gint64              run;

  if ((run = assay_store_add_run (store, dataset, "xmtc-dense", kind, params, backend, error)) <= 0
      || (stmt = assay_store_prepare (store, "INSERT INTO xmtc_predictions (run_id, doc_id, labels, scores) VALUES (?, ?, ?, ?)",
                                      error)) == NULL)
    return -1;
  for (guint i = 0; i < test_rows->len; i++)
    {
      guint n = 0;
      while (n < K && top[(gsize) i * K + n] != ASSAY_XMTC_NO_LABEL)
        {
          le[n] = GUINT32_TO_LE (top[(gsize) i * K + n]);
          fs[n] = scores[(gsize) i * K + n];
          n++;
        }
      sqlite3_bind_int64 (stmt, 1, run);
      sqlite3_bind_int64 (stmt, 2, d->doc_ids[g_array_index (test_rows, guint, i)]);
      sqlite3_bind_blob (stmt, 3, le, (int) (n * sizeof (guint32)), SQLITE_TRANSIENT);
      sqlite3_bind_blob (stmt, 4, fs, (int) (n * sizeof (float)), SQLITE_TRANSIENT);
      if (!assay_store_step_done (store, stmt, error))
        return -1;
    }
  if (!assay_store_finish_run (store, run, "done", seconds, metrics, error))
    return -1;
  return run;
}

gboolean
assay_depl_run (AssayStore *store, const AssayDeplOptions *o, AssayBackend *backend,
                void (*progress) (double, const char *, gpointer), gpointer progress_data,
                GCancellable *cancellable, JsonObject **result, GError **error)
{
  g_autoptr (AssayXmtcModel) model = NULL;
  g_autoptr (AssayXmtcDataset) d = NULL;
  g_autoptr (GArray) test_rows = NULL;
  g_autoptr (AssayEmbeddings) e = NULL;
  g_autoptr (JsonObject) updated = NULL;
  g_autoptr (GPtrArray) descriptions = g_ptr_array_new_with_free_func (g_free);
  g_autofree guint32 *svm = NULL, *dense = NULL, *fused = NULL;
  g_autofree float *docs = NULL, *labels = NULL, *dense_scores = NULL, *fused_scores = NULL;
  g_autofree int *nn = NULL;
  AssayEmbedSetOptions set = o->set;
  guint        K = MAX (o->top_k > 0 ? o->top_k : 10, 5), L, without = 0;
  double       A = o->propensity_a > 0 ? o->propensity_a : 0.55, B = o->propensity_b > 0 ? o->propensity_b : 1.5;
  gint64       dataset, t0 = g_get_monotonic_time (), dense_run, fused_run;
  JsonObject  *m_svm, *m_dense, *m_fused, *params, *r;
  int          dim;

  if ((model = assay_xmtc_model_load (store, o->run, error)) == NULL)
    return FALSE;
  dataset = assay_xmtc_model_get_dataset (model);
  L = assay_xmtc_model_get_n_labels (model);
  if ((d = assay_xmtc_dataset_load (store, dataset, FALSE, error)) == NULL)
    return FALSE;
  test_rows = assay_xmtc_dataset_split (d, TRUE);
  if (test_rows->len == 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("Dataset %" G_GINT64_FORMAT " has no test documents"), dataset);
      return FALSE;
    }
  if ((svm = svm_top (store, o->run, d, test_rows, K, error)) == NULL)
    return FALSE;

  /* the test documents' vectors, kept in the workspace */
  set.dataset = dataset;
  set.field = (char *) "test";
  if (!assay_embed_set_update (store, &set, backend, progress, progress_data, cancellable, &updated, error))
    return FALSE;
  if ((e = assay_embeddings_load (store, json_object_get_int_member (updated, "set"), error)) == NULL)
    return FALSE;
  dim = e->dim;
  docs = g_new0 (float, (gsize) test_rows->len * dim);
  for (guint i = 0; i < test_rows->len; i++)
    {
      int at = assay_embeddings_find (e, d->doc_ids[g_array_index (test_rows, guint, i)]);
      if (at < 0)
        without++; /* no text: a zero vector, which ranks every label alike */
      else
        memcpy (docs + (gsize) i * dim, e->vectors + (gsize) at * dim, dim * sizeof (float));
    }
  if (without == test_rows->len)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("The test documents of dataset %" G_GINT64_FORMAT " have no text (a sparse format): dense retrieval needs texts"),
                   dataset);
      return FALSE;
    }
  if (progress)
    progress (0.9, _("Embedding the label descriptions"), progress_data);
  for (guint l = 0; l < L; l++)
    g_ptr_array_add (descriptions, assay_xmtc_model_pseudo_description (model, l, o->keywords > 0 ? o->keywords
                                                                                 : assay_xmtc_model_get_keywords_k (model)));
  labels = g_new (float, (gsize) L * dim);
  if (!assay_embed_texts (&o->set, NULL, backend, (const char *const *) descriptions->pdata, (int) L, labels, error))
    return FALSE;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  /* rankings */
  nn = g_new (int, (gsize) test_rows->len * K);
  dense_scores = g_new (float, (gsize) test_rows->len * K);
  if (!assay_knn (backend, docs, (int) test_rows->len, labels, (int) L, dim, (int) K, nn, dense_scores, NULL,
                  cancellable, error))
    return FALSE;
  /* (fewer labels than K: assay_knn pads with -1) */
  dense = g_new (guint32, (gsize) test_rows->len * K);
  for (gsize i = 0; i < (gsize) test_rows->len * K; i++)
    {
      dense[i] = nn[i] >= 0 ? (guint32) nn[i] : ASSAY_XMTC_NO_LABEL;
      dense_scores[i] = nn[i] >= 0 ? dense_scores[i] : 0.0f;
    }
  fused = g_new (guint32, (gsize) test_rows->len * K);
  fused_scores = g_new (float, (gsize) test_rows->len * K);
  fuse (svm, dense, test_rows->len, K, fused, fused_scores);

  m_svm = assay_xmtc_evaluate (d, test_rows, svm, K, A, B);
  m_dense = assay_xmtc_evaluate (d, test_rows, dense, K, A, B);
  m_fused = assay_xmtc_evaluate (d, test_rows, fused, K, A, B);
  /* the SVM's metrics at the same k and propensities, kept with the dense run */
  json_object_set_object_member (m_dense, "svm", json_object_ref (m_svm));

  params = json_object_new ();
  json_object_set_int_member (params, "svm_run", o->run);
  json_object_set_string_member (params, "model", o->set.model);
  json_object_set_int_member (params, "embedding_set", e->set);
  json_object_set_int_member (params, "top_k", K);
  json_object_set_int_member (params, "keywords", o->keywords > 0 ? o->keywords : assay_xmtc_model_get_keywords_k (model));
  json_object_set_string_member (params, "fusion", "reciprocal rank, c = 60");
  if (!assay_store_begin (store, error))
    goto failed;
  dense_run = store_ranking (store, dataset, "dense", params, assay_backend_describe (backend), d, test_rows, dense,
                             dense_scores, K, m_dense, (g_get_monotonic_time () - t0) / 1e6, error);
  fused_run = dense_run < 0 ? -1
              : store_ranking (store, dataset, "fusion", params, assay_backend_describe (backend), d, test_rows, fused,
                               fused_scores, K, m_fused, (g_get_monotonic_time () - t0) / 1e6, error);
  if (fused_run < 0 || !assay_store_commit (store, error))
    {
      assay_store_rollback (store);
      goto failed;
    }
  json_object_unref (params);
  assay_store_emit_changed (store, "runs");

  r = json_object_new ();
  json_object_set_int_member (r, "svm_run", o->run);
  json_object_set_string_member (r, "model", o->set.model);
  json_object_set_int_member (r, "dense_run", dense_run);
  json_object_set_int_member (r, "fused_run", fused_run);
  json_object_set_int_member (r, "labels", L);
  json_object_set_int_member (r, "test_documents", test_rows->len);
  json_object_set_int_member (r, "without_text", without);
  json_object_set_int_member (r, "embedded", json_object_get_int_member (updated, "embedded"));
  json_object_set_double_member (r, "seconds", (g_get_monotonic_time () - t0) / 1e6);
  json_object_set_string_member (r, "backend", assay_backend_describe (backend));
  json_object_remove_member (m_dense, "svm");
  json_object_set_object_member (r, "svm", m_svm);
  json_object_set_object_member (r, "dense", m_dense);
  json_object_set_object_member (r, "fused", m_fused);
  *result = r;
  return TRUE;

failed:
  json_object_unref (params);
  json_object_unref (m_svm);
  json_object_unref (m_dense);
  json_object_unref (m_fused);
  return FALSE;
}

static gboolean
depl_job_run (AssayJob *job, gpointer user_data, GError **error)
{
  AssayStore *store = assay_job_open_store (job, error);
  JsonObject *result = NULL;

  if (store == NULL
      || !assay_depl_run (store, user_data, assay_job_get_backend (job), assay_job_progress_func, job,
                          assay_job_get_cancellable (job), &result, error))
    return FALSE;
  assay_job_take_result_object (job, result);
  return TRUE;
}

static void
options_free (AssayDeplOptions *o)
{
  assay_depl_options_clear (o);
  g_free (o);
}

AssayJob *
assay_depl_job_new (const AssayDeplOptions *options)
{
  AssayDeplOptions *copy = g_new0 (AssayDeplOptions, 1);
  g_autofree char  *base = g_path_get_basename (options->set.model);
  g_autofree char  *title = g_strdup_printf (_("Dense label retrieval with %s"), base);

  *copy = *options;
  copy->set.model = g_strdup (options->set.model);
  copy->set.field = NULL;
  copy->set.prefix = g_strdup (options->set.prefix);
  copy->set.pooling = g_strdup (options->set.pooling);
  return assay_job_new ("xmtc-dense", title, ASSAY_JOB_LANE_COMPUTE, depl_job_run, copy, (GDestroyNotify) options_free);
}

JsonObject *
assay_depl_comparison (AssayStore *store, gint64 svm_run, GError **error)
{
  sqlite3_stmt *stmt;
  JsonObject   *r = NULL;
  const char   *kinds[] = { "dense", "fusion" };
  gint64        ids[2] = { 0, 0 };
  JsonObject   *metrics[2] = { NULL, NULL };
  g_autofree char *model = NULL;

  if ((stmt = assay_store_prepare (store, "SELECT id, metrics, json_extract (params, '$.model') FROM runs "
                                          "WHERE area = 'xmtc-dense' AND kind = ?1 AND status = 'done' AND "
                                          "json_extract (params, '$.svm_run') = ?2 ORDER BY id DESC LIMIT 1", error)) == NULL)
    return NULL;
  for (int i = 0; i < 2; i++)
    {
      sqlite3_bind_text (stmt, 1, kinds[i], -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 2, svm_run);
      if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_text (stmt, 1) != NULL)
        {
          ids[i] = sqlite3_column_int64 (stmt, 0);
          metrics[i] = assay_json_object_from_string ((const char *) sqlite3_column_text (stmt, 1), NULL);
          if (i == 0 && sqlite3_column_text (stmt, 2) != NULL)
            model = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
        }
      sqlite3_reset (stmt);
    }
  if (metrics[0] == NULL || metrics[1] == NULL)
    {
      g_clear_pointer (&metrics[0], json_object_unref);
      g_clear_pointer (&metrics[1], json_object_unref);
      return NULL;
    }
  r = json_object_new ();
  if (json_object_has_member (metrics[0], "svm"))
    {
      json_object_set_object_member (r, "svm", json_object_ref (json_object_get_object_member (metrics[0], "svm")));
      json_object_remove_member (metrics[0], "svm");
    }
  json_object_set_int_member (r, "svm_run", svm_run);
  json_object_set_int_member (r, "dense_run", ids[0]);
  json_object_set_int_member (r, "fused_run", ids[1]);
  if (model != NULL)
    json_object_set_string_member (r, "model", model);
  json_object_set_object_member (r, "dense", metrics[0]);
  json_object_set_object_member (r, "fused", metrics[1]);
  return r;
}
