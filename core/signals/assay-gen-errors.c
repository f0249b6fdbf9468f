/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-gen-errors.c: label errors of generated records (see the header). */
#include "config.h"

#include "assay-gen-errors.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "assay-dismissals.h"
#include "assay-error.h"
#include "assay-json.h"
#include "assay-oof.h"
#include "assay-xmtc-jobs.h"

typedef struct
{
  guint  row;
  int    suggested;
  double score;
} Found;

static int
by_score (gconstpointer a, gconstpointer b)
{
  const Found *x = a, *y = b;
  return x->score < y->score ? -1 : x->score > y->score ? 1 : (x->row > y->row) - (x->row < y->row);
}

static JsonObject *
found_json (const Found *f, GArray *ids, GPtrArray *ext, GPtrArray *names, const guint *given)
{
  JsonObject *o = json_object_new ();

  json_object_set_int_member (o, "record", g_array_index (ids, gint64, f->row));
  if (ext->pdata[f->row] != NULL)
    json_object_set_string_member (o, "ext_id", ext->pdata[f->row]);
  json_object_set_string_member (o, "label", names->pdata[given[f->row]]);
  if (f->suggested >= 0)
    json_object_set_string_member (o, "suggested", names->pdata[f->suggested]);
  json_object_set_double_member (o, "score", f->score);
  return o;
}

static gboolean
store_fit (AssayStore *store, GArray *ids, const double *fit, GError **error)
{
  sqlite3_stmt *stmt;

  if (!assay_store_begin (store, error))
    return FALSE;
  stmt = assay_store_prepare (store,
                              "UPDATE gen_records SET scores = json_set (coalesce (scores, '{}'), '$.label_fit', ?) "
                              "WHERE id = ?",
                              error);
  if (stmt == NULL)
    goto fail;
  for (guint i = 0; i < ids->len; i++)
    {
      sqlite3_bind_double (stmt, 1, fit[i]);
      sqlite3_bind_int64 (stmt, 2, g_array_index (ids, gint64, i));
      if (!assay_store_step_done (store, stmt, error))
        goto fail;
    }
  if (!assay_store_commit (store, error))
    return FALSE;
  assay_store_emit_changed (store, "gen_records");
  return TRUE;
fail:
  assay_store_rollback (store);
  return FALSE;
}

/* The words of label l that weigh most for row i of x under the SVM weights w (F + 1 per label):
 * its terms with a positive weight, by weight times tf-idf, at most max; words in a tenth of the
 * texts or more ("in", "for") are left out, saying nothing to a reviewer */
static JsonArray *
weighing_words (AssayCsr *x, AssayTfidf *tfidf, const float *w, guint l, guint i, guint max)
{
  guint        F = x->n_cols;
  const float *wl = w + (gsize) l * (F + 1);
  g_autoptr (GArray) picked = g_array_new (FALSE, FALSE, sizeof (double) * 2);
  JsonArray   *out = json_array_new ();

  const float *idf = assay_tfidf_get_idf (tfidf);
  float        common = (float) (1.0 + log (10.0)); /* (an idf below: in a tenth of the texts or more) */

  for (gsize p = x->indptr[i]; p < x->indptr[i + 1]; p++)
    if (wl[x->indices[p]] > 0 && idf[x->indices[p]] >= common)
      {
        double e[2] = { (double) wl[x->indices[p]] * x->data[p], (double) x->indices[p] };
        g_array_append_vals (picked, e, 1);
      }
  for (guint a = 0; a < picked->len && a < max; a++)
    {
      /* (a partial selection: max is small) */
      guint best = a;
      for (guint b = a + 1; b < picked->len; b++)
        if (((double *) picked->data)[2 * b] > ((double *) picked->data)[2 * best])
          best = b;
      if (best != a)
        {
          double t[2];
          memcpy (t, (double *) picked->data + 2 * a, sizeof t);
          memcpy ((double *) picked->data + 2 * a, (double *) picked->data + 2 * best, sizeof t);
          memcpy ((double *) picked->data + 2 * best, t, sizeof t);
        }
      json_array_add_string_element (out, assay_tfidf_get_term (tfidf, (guint) ((double *) picked->data)[2 * a + 1]));
    }
  return out;
}

/* Keyword evidence for the first options->evidence_limit errors found: a one-vs-rest SVM on every
 * record, and for each error the words of its given and its suggested label that weigh most in
 * its text ({"given": [...], "suggested": [...]}, one per error into out, in order). */
static gboolean
keyword_evidence (AssayCsr *x, AssayTfidf *tfidf, const guint *given, guint n, GPtrArray *names, GArray *found,
                  GPtrArray *out, const AssayXmtcErrorOptions *options, GCancellable *cancellable, GError **error)
{
  guint             L = names->len, F = x->n_cols, ne = MIN (found->len, options->evidence_limit);
  int               threads = options->threads > 0 ? options->threads : (int) g_get_num_processors ();
  g_autofree guint *n_pos = g_new0 (guint, L);
  g_autofree guint32 **pos = g_new0 (guint32 *, L);
  g_autofree float *w = NULL;
  AssaySvmStats     stats;
  volatile gint     cancel = 0;
  gboolean          ok;

  if (ne == 0)
    return TRUE;
  for (guint i = 0; i < n; i++)
    n_pos[given[i]]++;
  for (guint l = 0; l < L; l++)
    pos[l] = g_new (guint32, MAX (n_pos[l], 1));
  memset (n_pos, 0, L * sizeof (guint));
  for (guint i = 0; i < n; i++)
    pos[given[i]][n_pos[given[i]]++] = i;
  w = g_new (float, (gsize) L * (F + 1));
  if (g_cancellable_is_cancelled (cancellable))
    cancel = 1;
  ok = assay_svm_train (x, L, (const guint32 *const *) pos, n_pos, &options->svm, threads, w, &stats, NULL, NULL, &cancel);
  for (guint l = 0; l < L; l++)
    g_free (pos[l]);
  if (!ok || g_cancellable_set_error_if_cancelled (cancellable, error))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Cancelled"));
      return FALSE;
    }
  for (guint k = 0; k < ne; k++)
    {
      const Found *f = &g_array_index (found, Found, k);
      JsonObject  *o = json_object_new ();
      json_object_set_array_member (o, "given", weighing_words (x, tfidf, w, given[f->row], f->row, 8));
      if (f->suggested >= 0)
        json_object_set_array_member (o, "suggested", weighing_words (x, tfidf, w, (guint) f->suggested, f->row, 8));
      g_ptr_array_add (out, o);
    }
  return TRUE;
}

typedef struct
{
  GArray      *ids;
  GPtrArray   *names;
  const guint *given;
} NearData;

/* a neighbour: the record's id and label */
static JsonObject *
record_entry (guint j, double similarity, gpointer data)
{
  NearData   *nd = data;
  JsonObject *m = json_object_new ();

  json_object_set_int_member (m, "record", g_array_index (nd->ids, gint64, j));
  json_object_set_string_member (m, "label", nd->names->pdata[nd->given[j]]);
  json_object_set_double_member (m, "similarity", similarity);
  return m;
}

JsonObject *
assay_gen_label_errors (AssayStore *store, gint64 dataset, const AssayXmtcErrorOptions *options,
                        AssayXmtcErrorProgress progress, gpointer progress_data, GCancellable *cancellable,
                        GError **error)
{
  g_autoptr (GTimer) timer = g_timer_new ();
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GPtrArray) ext = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) conditions = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) index = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GArray) found = g_array_new (FALSE, FALSE, sizeof (Found));
  g_autoptr (GPtrArray) errors_keywords = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autoptr (AssayCsr) x = NULL;
  g_autoptr (AssayTfidf) tfidf = assay_tfidf_new (&options->tfidf);
  g_autoptr (AssayClResult) cl = NULL;
  g_autofree guint *given = NULL;
  g_autofree gsize *offsets = NULL;
  g_autofree double *prob = NULL, *fit = NULL;
  g_autofree char *area = NULL;
  guint n = 0, L, folds = MAX (2, options->folds), n_dismissed = 0;
  sqlite3_stmt *stmt;
  JsonObject *out;
  JsonArray *errors;
  int rc;

  if (!assay_store_get_dataset (store, dataset, &area, NULL, error))
    return NULL;
  if (!g_str_equal (area, "gen"))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("dataset %lld holds %s, not generated records (xmtc errors checks labelled corpora)"),
                   (long long) dataset, area);
      return NULL;
    }
  if (progress != NULL)
    progress (0.0, _("Reading the records"), progress_data);
  stmt = assay_store_prepare (store,
                              "SELECT id, ext_id, coalesce (edited, text), condition FROM gen_records WHERE dataset_id = ? "
                              "AND condition IS NOT NULL AND condition != '' AND coalesce (edited, text) IS NOT NULL ORDER BY id",
                              error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, dataset);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      g_array_append_val (ids, id);
      g_ptr_array_add (ext, g_strdup ((const char *) sqlite3_column_text (stmt, 1)));
      g_ptr_array_add (texts, g_strdup ((const char *) sqlite3_column_text (stmt, 2)));
      g_ptr_array_add (conditions, g_strdup ((const char *) sqlite3_column_text (stmt, 3)));
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return assay_store_set_error (store, error, "gen_records"), NULL;

  /* labels held by two records or more */
  {
    g_autoptr (GHashTable) held = g_hash_table_new (g_str_hash, g_str_equal);
    g_autoptr (GArray) keep = g_array_new (FALSE, FALSE, sizeof (guint));
    for (guint i = 0; i < ids->len; i++)
      g_hash_table_insert (held, conditions->pdata[i],
                           GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (held, conditions->pdata[i])) + 1));
    for (guint i = 0; i < ids->len; i++)
      if (GPOINTER_TO_UINT (g_hash_table_lookup (held, conditions->pdata[i])) >= 2)
        {
          if (!g_hash_table_contains (index, conditions->pdata[i]))
            {
              g_hash_table_insert (index, conditions->pdata[i], GUINT_TO_POINTER (names->len));
              g_ptr_array_add (names, g_strdup (conditions->pdata[i]));
            }
          g_array_append_val (keep, i);
        }
    L = names->len;
    n = keep->len;
    if (L < 2 || n < folds)
      {
        g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                     _("dataset %lld has %u records under %u labels held twice or more: label errors need two "
                       "labels and at least %u records (one per fold)"),
                     (long long) dataset, n, L, folds);
        return NULL;
      }
    /* the kept records, in place */
    given = g_new (guint, n);
    for (guint k = 0; k < n; k++)
      {
        guint i = g_array_index (keep, guint, k);
        given[k] = GPOINTER_TO_UINT (g_hash_table_lookup (index, conditions->pdata[i]));
        g_array_index (ids, gint64, k) = g_array_index (ids, gint64, i);
        if (k != i)
          {
            char *t;
            t = ext->pdata[k];
            ext->pdata[k] = ext->pdata[i];
            ext->pdata[i] = t;
            t = texts->pdata[k];
            texts->pdata[k] = texts->pdata[i];
            texts->pdata[i] = t;
          }
      }
    g_array_set_size (ids, n);
    g_ptr_array_set_size (ext, n);
    g_ptr_array_set_size (texts, n);
  }

  if (progress != NULL)
    progress (0.02, _("Computing tf-idf features"), progress_data);
  if ((x = assay_tfidf_fit_transform (tfidf, (const char *const *) texts->pdata, n, cancellable, error)) == NULL)
    return NULL;
  offsets = g_new (gsize, n + 1);
  for (guint i = 0; i <= n; i++)
    offsets[i] = i;
  /* one label per record: the label probabilities of a record sum to 1 */
  if ((prob = assay_label_error_probabilities (store, dataset, x, (const gint64 *) ids->data, offsets, given, n, L, TRUE, options,
                                               progress, progress_data, cancellable, error)) == NULL)
    return NULL;
  cl = assay_confident_learning (prob, given, n, L, options->filter, options->rank);
  for (guint k = 0; k < cl->issues->len; k++)
    {
      guint i = g_array_index (cl->issues, guint, k);
      int   best = assay_cl_suggested (prob + (gsize) i * L, L, given[i]);
      Found f;
      /* only where the model prefers another label */
      if (best < 0)
        continue;
      f.row = i;
      f.suggested = best;
      f.score = cl->quality[i];
      g_array_append_val (found, f);
    }
  g_array_sort (found, by_score);
  /* the ones the reviewer dismissed stay out */
  if (!options->include_dismissed)
    {
      g_autoptr (GHashTable) dismissed = assay_dismissals_load (store, dataset, error);
      guint kept = 0;
      if (dismissed == NULL)
        return NULL;
      for (guint k = 0; k < found->len; k++)
        {
          Found *f = &g_array_index (found, Found, k);
          g_autofree char *item = g_strdup_printf ("%" G_GINT64_FORMAT, g_array_index (ids, gint64, f->row));
          g_autofree char *key = assay_dismissal_key (item, names->pdata[given[f->row]], TRUE);
          if (!g_hash_table_contains (dismissed, key))
            g_array_index (found, Found, kept++) = *f;
        }
      n_dismissed = found->len - kept;
      g_array_set_size (found, kept);
    }
  fit = g_new (double, n);
  for (guint i = 0; i < n; i++)
    fit[i] = prob[(gsize) i * L + given[i]];
  if (progress != NULL)
    progress (0.97, _("Saving each record's label fit"), progress_data);
  if (!store_fit (store, ids, fit, error))
    return NULL;

  if (!keyword_evidence (x, tfidf, given, n, names, found, errors_keywords, options, cancellable, error))
    return NULL;
  out = json_object_new ();
  errors = json_array_new ();
  {
    /* evidence: the nearest records of the first errors */
    g_autofree guint *rows = g_new (guint, MAX (found->len, 1));
    g_autoptr (GPtrArray) near = NULL;
    NearData nd = { ids, names, given };
    for (guint k = 0; k < found->len; k++)
      rows[k] = g_array_index (found, Found, k).row;
    near = assay_label_error_neighbours (x, rows, found->len, options, record_entry, &nd);
    for (guint k = 0; k < found->len; k++)
      {
        JsonObject *o = found_json (&g_array_index (found, Found, k), ids, ext, names, given);
        if (k < errors_keywords->len && g_ptr_array_index (errors_keywords, k) != NULL)
          json_object_set_object_member (o, "keywords", json_object_ref (g_ptr_array_index (errors_keywords, k)));
        if (k < near->len)
          json_object_set_array_member (o, "neighbours", json_array_ref (g_ptr_array_index (near, k)));
        json_array_add_object_element (errors, o);
      }
  }
  json_object_set_int_member (out, "dataset", dataset);
  json_object_set_int_member (out, "records", n);
  json_object_set_int_member (out, "labels", L);
  json_object_set_int_member (out, "folds", folds);
  json_object_set_int_member (out, "found", found->len);
  json_object_set_int_member (out, "dismissed", n_dismissed);
  json_object_set_string_member (out, "model", assay_error_model_name (options->model));
  if (options->model != ASSAY_ERROR_MODEL_SVM)
    json_object_set_int_member (out, "embedding_set", options->embedding_set);
  json_object_set_array_member (out, "errors", errors);
  if (options->baseline)
    {
      g_autoptr (GArray) naive = g_array_new (FALSE, FALSE, sizeof (Found));
      JsonArray *base = json_array_new ();
      for (guint i = 0; i < n; i++)
        {
          Found f = { i, -1, fit[i] };
          g_array_append_val (naive, f);
        }
      g_array_sort (naive, by_score);
      for (guint k = 0; k < MIN (naive->len, found->len); k++)
        json_array_add_object_element (base, found_json (&g_array_index (naive, Found, k), ids, ext, names, given));
      json_object_set_array_member (out, "baseline", base);
    }
  json_object_set_double_member (out, "seconds", g_timer_elapsed (timer, NULL));
  if (progress != NULL)
    progress (1.0, NULL, progress_data);
  return out;
}

gboolean
assay_gen_correct_label (AssayStore *store, JsonObject *e, GError **error)
{
  const char *suggested = json_object_has_member (e, "suggested") ? json_object_get_string_member (e, "suggested") : NULL;
  gint64      record = json_object_has_member (e, "record") ? json_object_get_int_member (e, "record") : 0;
  g_autofree char *label = NULL;

  if (suggested == NULL || record <= 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("this error has no record or no suggested label"));
      return FALSE;
    }
  label = g_strdup_printf (_("Relabel record %lld as “%s”"), (long long) record, suggested);
  if (!assay_store_edit_begin (store, label, error))
    return FALSE;
  if (!assay_store_edit_update (store, "gen_records", record, "condition", g_variant_new_string (suggested), error))
    {
      assay_store_edit_abort (store);
      return FALSE;
    }
  return assay_store_edit_commit (store, error);
}

AssayJob *
assay_gen_errors_job_new (gint64 dataset, const AssayXmtcErrorOptions *options)
{
  return assay_label_errors_job_new ("gen-errors", _("Find label errors in generations"), assay_gen_label_errors,
                                     dataset, options);
}
