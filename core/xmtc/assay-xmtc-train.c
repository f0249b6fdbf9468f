/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-xmtc-train.h"

#include <glib/gi18n.h>
#include <math.h>
#include <omp.h>
#include <string.h>

#include "assay-error.h"
#include "assay-xmtc-dataset.h"
#include "assay-json.h"
#include "assay-xmtc-eval.h"

#define CHUNK 512 /* problems trained per call (bounds the dense weight buffer) */

void
assay_xmtc_train_options_init (AssayXmtcTrainOptions *options)
{
  memset (options, 0, sizeof *options);
  assay_svm_options_init (&options->svm);
  assay_tfidf_options_init (&options->tfidf);
  options->keywords = 16;
  options->prune = 1e-3f;
  options->top_k = 10;
  options->propensity_a = 0.55;
  options->propensity_b = 1.5;
}

JsonObject *
assay_xmtc_train_options_to_json (const AssayXmtcTrainOptions *options)
{
  JsonObject *o = json_object_new ();

  json_object_set_double_member (o, "C", options->svm.C);
  json_object_set_string_member (o, "loss", options->svm.loss == ASSAY_SVM_HINGE ? "hinge"
                                                                                  : "squared-hinge");
  json_object_set_double_member (o, "eps", options->svm.eps);
  json_object_set_int_member (o, "max_iter", options->svm.max_iter);
  json_object_set_double_member (o, "bias", options->svm.bias);
  json_object_set_int_member (o, "keywords", options->keywords);
  json_object_set_double_member (o, "prune", options->prune);
  json_object_set_int_member (o, "top_k", options->top_k);
  json_object_set_int_member (o, "min_df", options->tfidf.min_df);
  json_object_set_double_member (o, "max_df", options->tfidf.max_df);
  json_object_set_boolean_member (o, "stop_words", options->tfidf.stop_words);
  json_object_set_boolean_member (o, "lowercase", options->tfidf.lowercase);
  json_object_set_double_member (o, "propensity_a", options->propensity_a);
  json_object_set_double_member (o, "propensity_b", options->propensity_b);
  json_object_set_int_member (o, "seed", (gint64) options->svm.seed);
  json_object_set_int_member (o, "min_token_length", options->tfidf.min_token_length);
  return o;
}

gboolean
assay_xmtc_train_options_from_json (JsonObject *j, AssayXmtcTrainOptions *o, GError **error)
{
  assay_xmtc_train_options_init (o);
  if (j == NULL)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("The training settings are missing"));
      return FALSE;
    }
  o->svm.C = assay_json_get_double (j, "C", o->svm.C);
  o->svm.loss = g_strcmp0 (assay_json_get_string (j, "loss", "squared-hinge"), "hinge") == 0
                  ? ASSAY_SVM_HINGE : ASSAY_SVM_SQUARED_HINGE;
  o->svm.eps = assay_json_get_double (j, "eps", o->svm.eps);
  o->svm.max_iter = (guint) assay_json_get_int (j, "max_iter", o->svm.max_iter);
  o->svm.bias = (float) assay_json_get_double (j, "bias", o->svm.bias);
  o->svm.seed = (guint64) assay_json_get_int (j, "seed", (gint64) o->svm.seed);
  o->keywords = (guint) assay_json_get_int (j, "keywords", o->keywords);
  o->prune = (float) assay_json_get_double (j, "prune", o->prune);
  o->top_k = (guint) assay_json_get_int (j, "top_k", o->top_k);
  o->tfidf.min_df = (guint) assay_json_get_int (j, "min_df", o->tfidf.min_df);
  o->tfidf.max_df = assay_json_get_double (j, "max_df", o->tfidf.max_df);
  o->tfidf.stop_words = assay_json_get_bool (j, "stop_words", o->tfidf.stop_words);
  o->tfidf.lowercase = assay_json_get_bool (j, "lowercase", o->tfidf.lowercase);
  o->tfidf.min_token_length = (guint) assay_json_get_int (j, "min_token_length", o->tfidf.min_token_length);
  o->propensity_a = assay_json_get_double (j, "propensity_a", o->propensity_a);
  o->propensity_b = assay_json_get_double (j, "propensity_b", o->propensity_b);
  return TRUE;
}

typedef struct
{
  AssayXmtcProgress progress;
  gpointer          data;
  GCancellable     *cancellable;
  volatile gint     cancel;
  double            from, to;
  guint             offset, total;
  gint64            last_report;
} TrainProgress;

static void
svm_progress (guint done, guint total, gpointer user_data)
{
  TrainProgress *tp = user_data;
  gint64         now = g_get_monotonic_time ();

  if (g_cancellable_is_cancelled (tp->cancellable))
    g_atomic_int_set (&tp->cancel, 1);
  if (tp->progress != NULL && now - tp->last_report > 100000)
    {
      g_autofree char *msg = g_strdup_printf (_("Training label %u of %u"), tp->offset + done,
                                              tp->total);
      tp->last_report = now;
      tp->progress (tp->from + (tp->to - tp->from) * (tp->offset + done) / MAX (tp->total, 1),
                    msg, tp->data);
    }
}

static void
report (TrainProgress *tp, double fraction, const char *message)
{
  if (tp->progress != NULL)
    tp->progress (fraction, message, tp->data);
}

/* Inserts (label, score) into the best-K list kept sorted by score, descending. */
static inline void
keep_best (guint32 *labels, float *scores, guint K, guint *n, guint32 label, float score)
{
  guint pos;

  if (*n == K && score <= scores[K - 1])
    return;
  pos = *n < K ? (*n)++ : K - 1;
  while (pos > 0 && scores[pos - 1] < score)
    {
      labels[pos] = labels[pos - 1];
      scores[pos] = scores[pos - 1];
      pos--;
    }
  labels[pos] = label;
  scores[pos] = score;
}

/* A blob, empty (not NULL) when there is nothing. */
static void
bind_array (sqlite3_stmt *stmt, int index, const void *data, gsize bytes)
{
  if (bytes > 0 && data != NULL)
    sqlite3_bind_blob (stmt, index, data, (int) bytes, SQLITE_STATIC);
  else
    sqlite3_bind_zeroblob (stmt, index, 0);
}

#define PREDICT_BLOCK 256

/* Top K of one document's scores (intercept added), best first. */
static void
select_top (const float *scores, const float *intercept, guint L, guint K, guint32 *best,
            float *best_scores)
{
  guint n_best = 0;

  for (guint l = 0; l < L; l++)
    {
      float s = intercept[l] + (scores != NULL ? scores[l] : 0.0f);
      if (s > -INFINITY)
        keep_best (best, best_scores, K, &n_best, l, s);
    }
  for (guint r = n_best; r < K; r++)
    {
      best[r] = ASSAY_XMTC_NO_LABEL;
      best_scores[r] = -INFINITY;
    }
}

/* Prediction as a dense product on the backend: W^T (F x L) once, then blocks of densified
 * documents times W^T by sgemm, each block reduced to its top K at once. On the CPU backend
 * its memory is host memory: buffers are filled in place, never copied. */
static gboolean
predict_dense (AssayBackend *backend, const AssayCsr *x, const AssayCsr *w_by_feature,
               const float *intercept, guint F, guint L, guint K, int threads, guint32 *top,
               float *top_scores, GError **error)
{
  gboolean on_host = assay_backend_kind (backend) == ASSAY_BACKEND_CPU;
  gsize    w_bytes = (gsize) F * L * sizeof (float);
  gsize    x_bytes = (gsize) PREDICT_BLOCK * F * sizeof (float);
  gsize    s_bytes = (gsize) PREDICT_BLOCK * L * sizeof (float);
  float   *dev_w = assay_backend_alloc (backend, w_bytes);
  float   *dev_x = assay_backend_alloc (backend, x_bytes);
  float   *dev_s = on_host ? NULL : assay_backend_alloc (backend, s_bytes);
  float   *host_w = NULL, *host_x = NULL, *host_s = NULL;
  gboolean ok = FALSE;

  if (dev_w == NULL || dev_x == NULL || (!on_host && dev_s == NULL))
    goto out;
  host_w = on_host ? dev_w : g_malloc (w_bytes);
  host_x = on_host ? dev_x : g_malloc (x_bytes);
  host_s = g_malloc (s_bytes);
  if (on_host)
    dev_s = host_s;
  memset (host_w, 0, w_bytes);
  for (guint f = 0; f < F; f++)
    for (gsize q = w_by_feature->indptr[f]; q < w_by_feature->indptr[f + 1]; q++)
      host_w[(gsize) f * L + w_by_feature->indices[q]] = w_by_feature->data[q];
  if (!on_host && assay_backend_upload (backend, dev_w, host_w, w_bytes) != 0)
    goto out;

  for (guint first = 0; first < x->n_rows; first += PREDICT_BLOCK)
    {
      guint n = MIN (PREDICT_BLOCK, x->n_rows - first);

      memset (host_x, 0, (gsize) n * F * sizeof (float));
      for (guint i = 0; i < n; i++)
        for (gsize p = x->indptr[first + i]; p < x->indptr[first + i + 1]; p++)
          host_x[(gsize) i * F + x->indices[p]] = x->data[p];
      if ((!on_host && assay_backend_upload (backend, dev_x, host_x, (gsize) n * F * sizeof (float)) != 0)
          || assay_backend_sgemm (backend, ASSAY_TRANS_N, ASSAY_TRANS_N, (int) n, (int) L, (int) F,
                                  1.0f, dev_x, (int) F, dev_w, (int) L, 0.0f, dev_s, (int) L) != 0
          || (!on_host && assay_backend_download (backend, host_s, dev_s, (gsize) n * L * sizeof (float)) != 0))
        goto out;
#pragma omp parallel for num_threads (threads) schedule (static)
      for (guint i = 0; i < n; i++)
        select_top (host_s + (gsize) i * L, intercept, L, K, top + (gsize) (first + i) * K,
                    top_scores + (gsize) (first + i) * K);
    }
  ok = TRUE;

out:
  if (!ok)
    g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_DEVICE, _("Prediction failed on %s: %s"),
                 assay_backend_describe (backend), assay_backend_last_error (backend));
  if (!on_host)
    {
      g_free (host_w);
      g_free (host_x);
      assay_backend_release (backend, dev_s);
    }
  g_free (host_s);
  assay_backend_release (backend, dev_w);
  assay_backend_release (backend, dev_x);
  return ok;
}

/* SHA-256 of a corpus as training reads it: labels, documents, their splits, labels, texts and
 * features. */
static char *
corpus_hash (AssayStore *store, gint64 dataset_id, GError **error)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);

  if (!assay_store_checksum_rows (store, sum, "SELECT idx, name FROM xmtc_labels WHERE dataset_id = ? ORDER BY idx",
                                  &dataset_id, 1, error)
      || !assay_store_checksum_rows (store, sum,
                                     "SELECT id, split, labels, text, features FROM xmtc_documents "
                                     "WHERE dataset_id = ? ORDER BY id",
                                     &dataset_id, 1, error))
    return NULL;
  return g_strdup (g_checksum_get_string (sum));
}

/* The weights of a run (merged from shards) back into rows per label and intercepts. */
static gboolean
load_weights (AssayStore *store, gint64 run, guint F, guint L, AssayCsr *w_by_label, float *intercept,
              guint *n_trained, GError **error)
{
  sqlite3_stmt *stmt = assay_store_prepare (store,
                                            "SELECT label_idx, intercept, indices, weights FROM xmtc_weights "
                                            "WHERE run_id = ? ORDER BY label_idx",
                                            error);
  guint next = 0;
  int   rc;

  if (stmt == NULL)
    return FALSE;
  *n_trained = 0;
  sqlite3_bind_int64 (stmt, 1, run);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 label = sqlite3_column_int64 (stmt, 0);
      gsize  n = (gsize) sqlite3_column_bytes (stmt, 2) / sizeof (guint32);
      g_autofree guint32 *idx = g_new (guint32, MAX (n, 1));
      g_autofree float   *val = g_new (float, MAX (n, 1));

      if (label < next || label >= L || (gsize) sqlite3_column_bytes (stmt, 3) != n * sizeof (float))
        {
          sqlite3_reset (stmt);
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       _("Run %" G_GINT64_FORMAT ": the weights of label %" G_GINT64_FORMAT " do not fit the corpus"),
                       run, label);
          return FALSE;
        }
      if (n > 0)
        {
          memcpy (idx, sqlite3_column_blob (stmt, 2), n * sizeof (guint32));
          memcpy (val, sqlite3_column_blob (stmt, 3), n * sizeof (float));
        }
      for (gsize i = 0; i < n; i++)
        if (idx[i] >= F)
          {
            sqlite3_reset (stmt);
            g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                         _("Run %" G_GINT64_FORMAT ": label %" G_GINT64_FORMAT " has a weight beyond the features"),
                         run, label);
            return FALSE;
          }
      while (next < label)
        {
          assay_csr_append_row (w_by_label, NULL, NULL, 0);
          next++;
        }
      assay_csr_append_row (w_by_label, idx, val, n);
      intercept[label] = (float) sqlite3_column_double (stmt, 1);
      next++;
      (*n_trained)++;
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return assay_store_set_error (store, error, "xmtc_weights");
  while (next < L)
    {
      assay_csr_append_row (w_by_label, NULL, NULL, 0);
      next++;
    }
  return TRUE;
}

/* The sparse weights of every trained label (finite intercept). */
static gboolean
insert_weights (AssayStore *store, gint64 run, const AssayCsr *w_by_label, const float *intercept, guint L,
                GError **error)
{
  sqlite3_stmt *stmt = assay_store_prepare (store,
                                            "INSERT INTO xmtc_weights (run_id, label_idx, intercept, indices, "
                                            "weights) VALUES (?, ?, ?, ?, ?)",
                                            error);

  if (stmt == NULL)
    return FALSE;
  for (guint l = 0; l < L; l++)
    {
      gsize start = w_by_label->indptr[l], n = w_by_label->indptr[l + 1] - start;
      if (!isfinite (intercept[l]))
        continue;
      sqlite3_bind_int64 (stmt, 1, run);
      sqlite3_bind_int (stmt, 2, (int) l);
      sqlite3_bind_double (stmt, 3, intercept[l]);
      bind_array (stmt, 4, w_by_label->indices + start, n * sizeof (guint32));
      bind_array (stmt, 5, w_by_label->data + start, n * sizeof (float));
      if (!assay_store_step_done (store, stmt, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
write_shard (AssayStore *store, gint64 dataset_id, const AssayXmtcTrainOptions *options,
             const AssayCsr *w_by_label, const float *intercept, guint L, guint units, guint begin,
             guint end, const AssayXmtcTrainResult *result, GError **error)
{
  g_autoptr (JsonObject) provenance = json_object_new ();
  g_autoptr (JsonObject) summary = json_object_new ();
  g_autoptr (AssayShardWriter) writer = NULL;
  g_autofree char *inputs = corpus_hash (store, dataset_id, error);
  AssayStore   *out;
  gint64        run;

  if (inputs == NULL)
    return FALSE;
  json_object_set_string_member (provenance, "verb", "xmtc train");
  json_object_set_int_member (provenance, "dataset", dataset_id);
  json_object_set_object_member (provenance, "params", assay_xmtc_train_options_to_json (options));
  json_object_set_string_member (provenance, "inputs_sha256", inputs);
  if ((writer = assay_shard_writer_new (options->shard_out, "xmtc train", provenance, &options->shard, units,
                                        begin, end, error)) == NULL)
    return FALSE;
  out = assay_shard_writer_get_store (writer);
  if ((run = assay_store_add_run (out, dataset_id, "xmtc", "ovr-svm", NULL, "CPU", error)) <= 0
      || !insert_weights (out, run, w_by_label, intercept, L, error))
    return FALSE;
  json_object_set_int_member (summary, "max_passes", result->svm.max_passes);
  json_object_set_int_member (summary, "not_converged", result->svm.not_converged);
  json_object_set_double_member (summary, "seconds_train", result->seconds_train);
  json_object_set_string_member (summary, "backend", "CPU");
  return assay_shard_writer_finish (writer, summary, error);
}

/* merged_run > 0: no training; the run's weights (merged from shards) are read back, then
 * prediction and storing as one run does them, into that run (replacing what an earlier merge
 * stored). With options->shard, only the shard's chunks of problems are trained and their
 * weights written to the shard file. */
static gboolean
run_train (AssayStore *store, gint64 dataset_id, const AssayXmtcTrainOptions *options,
           AssayBackend *backend, AssayXmtcProgress progress, gpointer progress_data,
           GCancellable *cancellable, gint64 merged_run, JsonObject *options_merged_extra,
           AssayXmtcTrainResult *result, GError **error)
{
  AssayBackend *own_backend = NULL;
  g_autofree char *backend_text = NULL;
  g_autoptr (GTimer) total_timer = g_timer_new ();
  g_autoptr (GTimer) timer = g_timer_new ();
  g_autoptr (AssayXmtcDataset) dataset = NULL;
  g_autoptr (GArray) train_rows = NULL;
  g_autoptr (GArray) test_rows = NULL;
  g_autoptr (AssayTfidf) tfidf = NULL;
  g_autoptr (AssayCsr) x_train = NULL;
  g_autoptr (AssayCsr) x_test = NULL;
  g_autoptr (AssayCsr) w_by_label = NULL;
  g_autoptr (AssayCsr) w_by_feature = NULL;
  g_autoptr (JsonObject) metrics = NULL;
  g_autoptr (JsonObject) params = NULL;
  g_autofree guint *problem_label = NULL;
  g_autofree float *intercept = NULL;
  g_autofree guint32 *top = NULL;
  g_autofree float *top_scores = NULL;
  GPtrArray    *positives = NULL;
  TrainProgress tp = { progress, progress_data, cancellable, 0, 0, 0, 0, 0, 0 };
  const guint   K = MAX (options->top_k, 5);
  guint         F, L, n_problems = 0;
  int           threads = options->threads > 0 ? options->threads : omp_get_max_threads ();
  sqlite3_stmt *stmt;
  gint64        run = 0;
  gboolean      ok = FALSE;
  gboolean      sharded = options->shard.n > 0 && merged_run == 0;
  guint         chunk_begin = 0, chunk_end, units = 0, unit_begin = 0, unit_end = 0;
  JsonObject   *merged_extra = options_merged_extra;

  memset (result, 0, sizeof *result);

  /* Load */
  report (&tp, 0.0, _("Reading the corpus"));
  dataset = assay_xmtc_dataset_load (store, dataset_id, TRUE, error);
  if (dataset == NULL)
    return FALSE;
  L = dataset->n_labels;
  train_rows = assay_xmtc_dataset_split (dataset, FALSE);
  test_rows = assay_xmtc_dataset_split (dataset, TRUE);
  if (train_rows->len == 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("Dataset “%s” has no training documents"), dataset->name);
      return FALSE;
    }
  result->seconds_load = g_timer_elapsed (timer, NULL);

  /* Features */
  g_timer_start (timer);
  report (&tp, 0.05, _("Computing tf-idf features"));
  if (dataset->features != NULL)
    {
      x_train = assay_csr_select_rows (dataset->features, (guint *) train_rows->data,
                                       train_rows->len);
      x_test = assay_csr_select_rows (dataset->features, (guint *) test_rows->data,
                                      test_rows->len);
      assay_csr_normalize_rows (x_train);
      assay_csr_normalize_rows (x_test);
    }
  else
    {
      g_autofree const char **train_texts = g_new (const char *, train_rows->len);
      g_autofree const char **test_texts = g_new (const char *, MAX (test_rows->len, 1));
      for (guint i = 0; i < train_rows->len; i++)
        train_texts[i] = dataset->texts[g_array_index (train_rows, guint, i)];
      for (guint i = 0; i < test_rows->len; i++)
        test_texts[i] = dataset->texts[g_array_index (test_rows, guint, i)];
      tfidf = assay_tfidf_new (&options->tfidf);
      x_train = assay_tfidf_fit_transform (tfidf, train_texts, train_rows->len, cancellable, error);
      if (x_train == NULL)
        return FALSE;
      x_test = assay_tfidf_transform (tfidf, test_texts, test_rows->len);
    }
  F = x_train->n_cols;
  result->n_features = F;
  result->seconds_features = g_timer_elapsed (timer, NULL);
  if (F == 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("No features: every term was pruned (lower min df or raise max df)"));
      return FALSE;
    }

  /* One problem per label with training documents; positives are rows of x_train. */
  g_timer_start (timer);
  positives = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  problem_label = g_new (guint, MAX (L, 1));
  for (guint l = 0; l < L; l++)
    g_ptr_array_add (positives, g_array_new (FALSE, FALSE, sizeof (guint32)));
  for (guint i = 0; i < train_rows->len; i++)
    {
      guint d = g_array_index (train_rows, guint, i);
      for (gsize p = dataset->label_offsets[d]; p < dataset->label_offsets[d + 1]; p++)
        g_array_append_val (g_ptr_array_index (positives, dataset->labels[p]), i);
    }
  for (guint l = 0; l < L; l++)
    if (((GArray *) g_ptr_array_index (positives, l))->len > 0)
      problem_label[n_problems++] = l;
  result->n_trained = n_problems;
  chunk_end = n_problems;

  intercept = g_new (float, MAX (L, 1));
  for (guint l = 0; l < L; l++)
    intercept[l] = -INFINITY;
  w_by_label = assay_csr_new (F);
  if (sharded)
    {
      /* whole chunks of problems: each trained as in one run (its random stream is its place in
       * the chunk) */
      guint n_chunks = (n_problems + CHUNK - 1) / CHUNK, c0, c1;
      assay_shard_range (&options->shard, n_chunks, &c0, &c1);
      chunk_begin = c0 * CHUNK;
      chunk_end = MIN (n_problems, c1 * CHUNK);
      units = n_chunks;
      unit_begin = c0;
      unit_end = c1;
    }
  if (merged_run > 0)
    {
      if (!load_weights (store, merged_run, F, L, w_by_label, intercept, &result->n_trained, error))
        goto out;
    }
  else
  {
    g_autofree float *weights = g_new (float, (gsize) MIN (CHUNK, MAX (n_problems, 1)) * (F + 1));
    g_autofree const guint32 **pos = g_new (const guint32 *, CHUNK);
    g_autofree guint *n_pos = g_new (guint, CHUNK);
    g_autofree guint32 *idx = g_new (guint32, F);
    g_autofree float *val = g_new (float, F);
    guint next_label = 0;

    tp.from = 0.15;
    tp.to = 0.85;
    tp.total = n_problems;
    for (guint start = chunk_begin; start < chunk_end; start += CHUNK)
      {
        guint         count = MIN (CHUNK, chunk_end - start);
        AssaySvmStats stats;

        for (guint j = 0; j < count; j++)
          {
            GArray *a = g_ptr_array_index (positives, problem_label[start + j]);
            pos[j] = (const guint32 *) a->data;
            n_pos[j] = a->len;
          }
        tp.offset = start;
        if (!assay_svm_train (x_train, count, pos, n_pos, &options->svm, threads, weights, &stats,
                              svm_progress, &tp, &tp.cancel)
            || g_cancellable_is_cancelled (cancellable))
          {
            g_cancellable_set_error_if_cancelled (cancellable, error);
            if (error != NULL && *error == NULL)
              g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Cancelled"));
            goto out;
          }
        result->svm.max_passes = MAX (result->svm.max_passes, stats.max_passes);
        result->svm.not_converged += stats.not_converged;
        /* Sparse rows per label, in label order (empty rows for labels never trained). */
        for (guint j = 0; j < count; j++)
          {
            guint        label = problem_label[start + j];
            const float *w = weights + (gsize) j * (F + 1);
            guint        m = 0;
            while (next_label < label)
              {
                assay_csr_append_row (w_by_label, NULL, NULL, 0);
                next_label++;
              }
            for (guint f = 0; f < F; f++)
              if (fabsf (w[f]) >= options->prune && w[f] != 0.0f)
                {
                  idx[m] = f;
                  val[m] = w[f];
                  m++;
                }
            assay_csr_append_row (w_by_label, idx, val, m);
            intercept[label] = w[F];
            next_label++;
          }
      }
    while (next_label < L)
      {
        assay_csr_append_row (w_by_label, NULL, NULL, 0);
        next_label++;
      }
  }
  result->n_weights = assay_csr_nnz (w_by_label);
  result->seconds_train = g_timer_elapsed (timer, NULL);
  if (sharded)
    {
      ok = write_shard (store, dataset_id, options, w_by_label, intercept, L, units, unit_begin, unit_end,
                        result, error);
      goto out;
    }

  /* Predict the test documents */
  g_timer_start (timer);
  report (&tp, 0.85, _("Predicting the test documents"));
  w_by_feature = assay_csr_transpose (w_by_label);
  top = g_new (guint32, (gsize) MAX (test_rows->len, 1) * K);
  top_scores = g_new (float, (gsize) MAX (test_rows->len, 1) * K);
  /* When most weights survive pruning, prediction is a dense product on the backend;
   * otherwise scattered sparse adds. */
  if (assay_csr_nnz (w_by_feature) > (gsize) F * L / 4
      && (gsize) F * L * sizeof (float) < ((gsize) 1 << 30))
    {
      if (backend == NULL)
        backend = own_backend = assay_backend_cpu_new (threads, NULL, 0);
      if (!predict_dense (backend, x_test, w_by_feature, intercept, F, L, K, threads, top,
                          top_scores, error))
        goto out;
    }
  else
    {
#pragma omp parallel num_threads (threads)
      {
        float *scores = g_new (float, MAX (L, 1));
#pragma omp for schedule (dynamic, 64)
        for (guint i = 0; i < test_rows->len; i++)
          {
            memset (scores, 0, L * sizeof (float));
            for (gsize p = x_test->indptr[i]; p < x_test->indptr[i + 1]; p++)
              {
                guint f = x_test->indices[p];
                float v = x_test->data[p];
                for (gsize q = w_by_feature->indptr[f]; q < w_by_feature->indptr[f + 1]; q++)
                  scores[w_by_feature->indices[q]] += v * w_by_feature->data[q];
              }
            select_top (scores, intercept, L, K, top + (gsize) i * K, top_scores + (gsize) i * K);
          }
        g_free (scores);
      }
    }
  result->seconds_predict = g_timer_elapsed (timer, NULL);
  metrics = assay_xmtc_evaluate (dataset, test_rows, top, K, options->propensity_a,
                                 options->propensity_b);

  /* Store */
  g_timer_start (timer);
  report (&tp, 0.92, _("Saving the model"));
  params = assay_xmtc_train_options_to_json (options);
  if (!assay_store_begin (store, error))
    goto out;
  backend_text = g_strdup_printf ("solver: CPU, %d threads; prediction: %s", threads,
                                  backend != NULL ? assay_backend_describe (backend)
                                                  : "CPU (sparse)");
  if (merged_run > 0)
    {
      /* an earlier merge's predictions and results make way for those over every weight */
      static const char *const tables[] = { "xmtc_run_terms", "xmtc_predictions", "xmtc_label_results" };
      run = merged_run;
      for (guint t = 0; t < G_N_ELEMENTS (tables); t++)
        {
          g_autofree char *sql = g_strdup_printf ("DELETE FROM %s WHERE run_id = %" G_GINT64_FORMAT,
                                                  tables[t], run);
          if (!assay_store_exec (store, sql, error))
            goto fail;
        }
    }
  else
    run = assay_store_add_run (store, dataset_id, "xmtc", "ovr-svm", params, backend_text, error);
  if (run == 0)
    goto fail;

  stmt = assay_store_prepare (store, "INSERT INTO xmtc_run_terms (run_id, idx, term, idf) "
                                     "VALUES (?, ?, ?, ?)",
                              error);
  if (stmt == NULL)
    goto fail;
  for (guint f = 0; f < F; f++)
    {
      const char *term = tfidf != NULL ? assay_tfidf_get_term (tfidf, f)
                         : dataset->feature_names != NULL && dataset->feature_names[f] != NULL
                           ? dataset->feature_names[f]
                           : NULL;
      g_autofree char *fallback = term == NULL ? g_strdup_printf ("f%u", f) : NULL;
      sqlite3_bind_int64 (stmt, 1, run);
      sqlite3_bind_int (stmt, 2, (int) f);
      sqlite3_bind_text (stmt, 3, term != NULL ? term : fallback, -1, SQLITE_TRANSIENT);
      sqlite3_bind_double (stmt, 4, tfidf != NULL ? assay_tfidf_get_idf (tfidf)[f] : 1.0);
      if (!assay_store_step_done (store, stmt, error))
        goto fail;
    }

  if (merged_run == 0 && !insert_weights (store, run, w_by_label, intercept, L, error))
    goto fail;

  stmt = assay_store_prepare (store,
                              "INSERT INTO xmtc_predictions (run_id, doc_id, labels, scores) "
                              "VALUES (?, ?, ?, ?)",
                              error);
  if (stmt == NULL)
    goto fail;
  for (guint i = 0; i < test_rows->len; i++)
    {
      guint n = 0;
      while (n < K && top[(gsize) i * K + n] != ASSAY_XMTC_NO_LABEL)
        n++;
      sqlite3_bind_int64 (stmt, 1, run);
      sqlite3_bind_int64 (stmt, 2, dataset->doc_ids[g_array_index (test_rows, guint, i)]);
      bind_array (stmt, 3, top + (gsize) i * K, n * sizeof (guint32));
      bind_array (stmt, 4, top_scores + (gsize) i * K, n * sizeof (float));
      if (!assay_store_step_done (store, stmt, error))
        goto fail;
    }

  {
    static const guint ks[] = { 1, 3, 5 };
    AssayLabelSets     truth;
    g_autofree gsize  *offsets = NULL;
    g_autofree guint32 *labels = NULL;
    g_autofree guint  *tp_ = g_new (guint, MAX (L, 1));
    g_autofree guint  *fp_ = g_new (guint, MAX (L, 1));
    g_autofree guint  *fn_ = g_new (guint, MAX (L, 1));

    assay_xmtc_dataset_label_sets (dataset, test_rows, &truth, &offsets, &labels);
    stmt = assay_store_prepare (store,
                                "INSERT INTO xmtc_label_results (run_id, k, label_idx, tp, fp, fn) "
                                "VALUES (?, ?, ?, ?, ?, ?)",
                                error);
    if (stmt == NULL)
      goto fail;
    for (guint i = 0; i < G_N_ELEMENTS (ks); i++)
      {
        assay_xmtc_label_counts_at_k (&truth, top, K, ks[i], L, tp_, fp_, fn_);
        for (guint l = 0; l < L; l++)
          {
            sqlite3_bind_int64 (stmt, 1, run);
            sqlite3_bind_int (stmt, 2, (int) ks[i]);
            sqlite3_bind_int (stmt, 3, (int) l);
            sqlite3_bind_int (stmt, 4, (int) tp_[l]);
            sqlite3_bind_int (stmt, 5, (int) fp_[l]);
            sqlite3_bind_int (stmt, 6, (int) fn_[l]);
            if (!assay_store_step_done (store, stmt, error))
              goto fail;
          }
      }
  }

  result->seconds_store = g_timer_elapsed (timer, NULL);
  result->seconds = g_timer_elapsed (total_timer, NULL);
  json_object_set_int_member (metrics, "features", F);
  json_object_set_int_member (metrics, "trained_labels", n_problems);
  json_object_set_int_member (metrics, "weights", (gint64) result->n_weights);
  json_object_set_int_member (metrics, "max_passes", result->svm.max_passes);
  json_object_set_int_member (metrics, "not_converged", result->svm.not_converged);
  json_object_set_double_member (metrics, "seconds_features", result->seconds_features);
  json_object_set_double_member (metrics, "seconds_train", result->seconds_train);
  json_object_set_double_member (metrics, "seconds_predict", result->seconds_predict);
  if (merged_extra != NULL)
    {
      g_autoptr (GList) members = json_object_get_members (merged_extra);
      for (GList *m = members; m != NULL; m = m->next)
        json_object_set_member (metrics, m->data, json_node_copy (json_object_get_member (merged_extra, m->data)));
    }
  if (!assay_store_finish_run (store, run, "done", result->seconds, metrics, error)
      || !assay_store_commit (store, error)) /* (within a merge: its savepoint) */
    goto fail;
  result->run = run;
  report (&tp, 1.0, _("Done"));
  assay_store_emit_changed (store, "runs");
  ok = TRUE;
  goto out;

fail:
  assay_store_rollback (store);
out:
  if (positives != NULL)
    g_ptr_array_unref (positives);
  assay_backend_free (own_backend);
  return ok;
}

gboolean
assay_xmtc_train (AssayStore *store, gint64 dataset_id, const AssayXmtcTrainOptions *options,
                  AssayBackend *backend, AssayXmtcProgress progress, gpointer progress_data,
                  GCancellable *cancellable, AssayXmtcTrainResult *result, GError **error)
{
  return run_train (store, dataset_id, options, backend, progress, progress_data, cancellable, 0, NULL,
                    result, error);
}

gboolean
assay_xmtc_train_merge (AssayMergeContext *ctx, GError **error)
{
  gint64   dataset = assay_json_get_int (ctx->provenance, "dataset", 0);
  g_autofree char *inputs = corpus_hash (ctx->store, dataset, error);
  g_autoptr (JsonObject) extra = json_object_new ();
  AssayXmtcTrainOptions options;
  AssayXmtcTrainResult  result;
  gint64   max_passes = 0, not_converged = 0;
  double   seconds = 0;

  if (inputs == NULL)
    return FALSE;
  if (g_strcmp0 (inputs, assay_json_get_string (ctx->provenance, "inputs_sha256", "")) != 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("“%s” was trained on another corpus than this workspace's dataset %" G_GINT64_FORMAT
                     " (another workspace, or the corpus changed since)"),
                   ctx->shards[0]->path, dataset);
      return FALSE;
    }
  if (!assay_xmtc_train_options_from_json (json_object_get_object_member (ctx->provenance, "params"),
                                           &options, error))
    return FALSE;
  if (ctx->run == 0)
    {
      g_autoptr (JsonObject) params = assay_merge_params (ctx);
      if ((ctx->run = assay_store_add_run (ctx->store, dataset, "xmtc", "ovr-svm", params,
                                           assay_merge_backend (ctx), error)) <= 0)
        return FALSE;
    }
  for (guint i = 0; i < ctx->n_shards; i++)
    if (!assay_shard_copy_rows (ctx->store, ctx->shards[i], "xmtc_weights",
                                "SELECT label_idx, intercept, indices, weights FROM xmtc_weights ORDER BY label_idx",
                                "INSERT INTO xmtc_weights (run_id, label_idx, intercept, indices, weights) "
                                "VALUES (?1, ?2, ?3, ?4, ?5)",
                                ctx->run, error))
      return FALSE;
  for (guint i = 0; i < ctx->summaries->len; i++)
    {
      JsonObject *s = g_ptr_array_index (ctx->summaries, i);
      max_passes = MAX (max_passes, assay_json_get_int (s, "max_passes", 0));
      not_converged += assay_json_get_int (s, "not_converged", 0);
      seconds += assay_json_get_double (s, "seconds_train", 0);
    }
  json_object_set_int_member (extra, "max_passes", max_passes);
  json_object_set_int_member (extra, "not_converged", not_converged);
  json_object_set_double_member (extra, "seconds_train", seconds);
  assay_merge_describe (ctx, extra);
  if (!run_train (ctx->store, dataset, &options, NULL, NULL, NULL, NULL, ctx->run, extra, &result, error))
    return FALSE;
  assay_store_emit_changed (ctx->store, "runs");
  return TRUE;
}
