/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-xmtc-errors.c: see assay-xmtc-errors.h. */
#include "config.h"

#include "assay-xmtc-errors.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <omp.h>
#include <string.h>

#include "assay-error.h"
#include "assay-dismissals.h"
#include "assay-embeddings.h"
#include "assay-oof.h"
#include "assay-xmtc-dataset.h"

void
assay_xmtc_error_options_init (AssayXmtcErrorOptions *o)
{
  memset (o, 0, sizeof *o);
  o->folds = 5;
  o->filter = ASSAY_CL_PRUNE_BY_NOISE_RATE;
  o->rank = ASSAY_CL_SELF_CONFIDENCE;
  o->min_documents = 1;
  assay_svm_options_init (&o->svm);
  assay_tfidf_options_init (&o->tfidf);
  o->seed = 1;
  o->neighbours = 3;
  o->evidence_limit = 500;
  o->model = ASSAY_ERROR_MODEL_SVM;
  o->logreg_C = 1.0;
}

const char *
assay_error_model_name (AssayErrorModel model)
{
  return model == ASSAY_ERROR_MODEL_EMBEDDINGS ? "embeddings" : model == ASSAY_ERROR_MODEL_MEAN ? "mean" : "svm";
}

gboolean
assay_error_model_parse (const char *name, AssayErrorModel *model)
{
  for (int m = ASSAY_ERROR_MODEL_SVM; m <= ASSAY_ERROR_MODEL_MEAN; m++)
    if (g_strcmp0 (name, assay_error_model_name ((AssayErrorModel) m)) == 0)
      {
        *model = (AssayErrorModel) m;
        return TRUE;
      }
  return FALSE;
}

/* progress of one of two stages: [lo, hi) of the whole */
typedef struct
{
  AssayXmtcErrorProgress progress;
  gpointer               data;
  double                 lo, hi;
} Stage;

static void
stage_progress (double fraction, const char *message, gpointer data)
{
  Stage *s = data;
  if (s->progress != NULL)
    s->progress (s->lo + (s->hi - s->lo) * fraction, message, s->data);
}

double *
assay_label_error_probabilities (AssayStore *store, gint64 dataset, AssayCsr *x, const gint64 *item_ids, const gsize *offsets,
                                 const guint *labels, guint n, guint L, gboolean one_label,
                                 const AssayXmtcErrorOptions *options, AssayXmtcErrorProgress progress,
                                 gpointer progress_data, GCancellable *cancellable, GError **error)
{
  guint              folds = MAX (2, options->folds);
  int                threads = options->threads > 0 ? options->threads : omp_get_max_threads ();
  gboolean           svm = options->model != ASSAY_ERROR_MODEL_EMBEDDINGS;
  gboolean           dense = options->model != ASSAY_ERROR_MODEL_SVM;
  g_autofree double *prob = NULL, *pd = NULL;
  Stage              first = { progress, progress_data, 0.0, dense && svm ? 0.5 : 1.0 };
  Stage              second = { progress, progress_data, svm ? 0.5 : 0.0, 1.0 };

  if (dense)
    {
      g_autoptr (AssayEmbeddings) e = NULL;
      g_autofree float *rows = NULL;
      guint missing = 0, dim;
      gint64 example = 0;

      if (options->embedding_set <= 0)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       _("The “%s” model needs an embedding set of the dataset (embed it first)"),
                       assay_error_model_name (options->model));
          return NULL;
        }
      if ((e = assay_embeddings_load (store, options->embedding_set, error)) == NULL)
        return NULL;
      if (e->dataset != dataset)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       _("Embedding set %" G_GINT64_FORMAT " holds the vectors of dataset %" G_GINT64_FORMAT ", not of "
                         "dataset %" G_GINT64_FORMAT), options->embedding_set, e->dataset, dataset);
          return NULL;
        }
      rows = g_new (float, (gsize) n * e->dim);
      for (guint i = 0; i < n; i++)
        {
          int r = assay_embeddings_find (e, item_ids[i]);
          if (r < 0)
            {
              if (missing++ == 0)
                example = item_ids[i];
              continue;
            }
          memcpy (rows + (gsize) i * e->dim, e->vectors + (gsize) r * e->dim, e->dim * sizeof (float));
          for (int j = 0; j < e->dim; j++)
            if (!isfinite (rows[(gsize) i * e->dim + j]))
              {
                g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                             _("Embedding set %" G_GINT64_FORMAT ": the vector of row %" G_GINT64_FORMAT " is not finite "
                               "(component %d is %g); embed the dataset again"),
                             options->embedding_set, item_ids[i], j, rows[(gsize) i * e->dim + j]);
                return NULL;
              }
        }
      if (missing > 0)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       _("%u of %u items have no vector in embedding set %" G_GINT64_FORMAT " (the first: row %"
                         G_GINT64_FORMAT "); bring the set up to date (embed the dataset again) or use the SVM alone"),
                       missing, n, options->embedding_set, example);
          return NULL;
        }
      dim = (guint) e->dim;
      g_clear_pointer (&e, assay_embeddings_free); /* (the rows gathered are all that is needed now) */
      if ((pd = assay_oof_probabilities_dense (rows, dim, offsets, labels, n, L, folds, one_label,
                                               options->logreg_C, options->seed, stage_progress, &second, cancellable,
                                               error)) == NULL)
        return NULL;
    }
  if (svm)
    {
      if ((prob = assay_oof_probabilities (x, offsets, labels, n, L, folds, &options->svm, options->seed, threads,
                                           stage_progress, &first, cancellable, error)) == NULL)
        return NULL;
      if (one_label)
        assay_cl_normalize_rows (prob, n, L);
    }
  if (prob != NULL && pd != NULL)
    for (gsize i = 0; i < (gsize) n * L; i++)
      prob[i] = 0.5 * (prob[i] + pd[i]);
  return prob != NULL ? g_steal_pointer (&prob) : g_steal_pointer (&pd);
}

static void
report (AssayXmtcErrorProgress progress, gpointer data, double fraction, const char *message)
{
  if (progress != NULL)
    progress (fraction, message, data);
}

typedef struct
{
  guint  doc;
  guint  label;
  gboolean given;
  int    suggested; /* -1: none */
  double score;
} Found;

static int
by_score (gconstpointer a, gconstpointer b)
{
  const Found *x = a, *y = b;
  if (x->score != y->score)
    return x->score < y->score ? -1 : 1;
  if (x->doc != y->doc)
    return x->doc < y->doc ? -1 : 1;
  return x->label < y->label ? -1 : x->label > y->label;
}

/* The external ids of the documents (the row id where there is none). */
static char **
external_ids (AssayStore *store, AssayXmtcDataset *d, GError **error)
{
  char        **ids = g_new0 (char *, d->n_docs + 1);
  sqlite3_stmt *stmt = assay_store_prepare (store, "SELECT ext_id FROM xmtc_documents WHERE id = ?", error);

  if (stmt == NULL)
    {
      g_strfreev (ids);
      return NULL;
    }
  for (guint i = 0; i < d->n_docs; i++)
    {
      sqlite3_reset (stmt);
      sqlite3_bind_int64 (stmt, 1, d->doc_ids[i]);
      if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_type (stmt, 0) == SQLITE_TEXT)
        ids[i] = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      else
        ids[i] = g_strdup_printf ("%" G_GINT64_FORMAT, d->doc_ids[i]);
    }
  sqlite3_reset (stmt);
  return ids;
}

static JsonObject *
found_json (const Found *e, char **ext, AssayXmtcDataset *d, const guint *n_docs_of)
{
  JsonObject *o = json_object_new ();

  json_object_set_string_member (o, "document", ext[e->doc]);
  json_object_set_string_member (o, "label", d->label_names[e->label]);
  json_object_set_boolean_member (o, "given", e->given);
  if (e->suggested >= 0)
    json_object_set_string_member (o, "suggested", d->label_names[e->suggested]);
  json_object_set_double_member (o, "score", e->score);
  json_object_set_int_member (o, "label_documents", n_docs_of[e->label]);
  return o;
}

GPtrArray *
assay_label_error_neighbours (AssayCsr *x, const guint *rows, guint n, const AssayXmtcErrorOptions *options,
                              JsonObject *(*entry) (guint row, double similarity, gpointer data), gpointer data)
{
  guint             ne = options->neighbours > 0 ? MIN (n, options->evidence_limit) : 0, k_nn = options->neighbours;
  g_autofree int   *nn = g_new (int, MAX ((gsize) ne * k_nn, 1));
  g_autofree float *sim = g_new (float, MAX ((gsize) ne * k_nn, 1));
  GPtrArray        *out = g_ptr_array_new_with_free_func ((GDestroyNotify) json_array_unref);

  if (ne > 0)
    {
      /* words in half the rows or more ("the", "of") are left out, the rows normalised again:
       * a text of such words alone is nobody's neighbour */
      g_autofree guint *df = g_new0 (guint, MAX (x->n_cols, 1));
      g_autoptr (AssayCsr) kept = assay_csr_new (x->n_cols);
      g_autofree guint32 *idx = NULL;
      g_autofree float *val = NULL;
      gsize widest = 0;
      for (gsize p = 0; p < assay_csr_nnz (x); p++)
        df[x->indices[p]]++;
      for (guint i = 0; i < x->n_rows; i++)
        widest = MAX (widest, x->indptr[i + 1] - x->indptr[i]);
      idx = g_new (guint32, MAX (widest, 1));
      val = g_new (float, MAX (widest, 1));
      for (guint i = 0; i < x->n_rows; i++)
        {
          guint m = 0;
          for (gsize p = x->indptr[i]; p < x->indptr[i + 1]; p++)
            if (x->n_rows < 10 || 2 * df[x->indices[p]] < x->n_rows)
              {
                idx[m] = x->indices[p];
                val[m++] = x->data[p];
              }
          assay_csr_append_row (kept, idx, val, m);
        }
      assay_csr_normalize_rows (kept);
      assay_csr_nearest_rows (kept, rows, ne, k_nn, nn, sim);
    }
  for (guint k = 0; k < ne; k++)
    {
      JsonArray *near = json_array_new ();
      for (guint z = 0; z < k_nn && nn[(gsize) k * k_nn + z] >= 0; z++)
        json_array_add_object_element (near, entry ((guint) nn[(gsize) k * k_nn + z], sim[(gsize) k * k_nn + z], data));
      g_ptr_array_add (out, near);
    }
  return out;
}

typedef struct
{
  char            **ext;
  AssayXmtcDataset *d;
} NearData;

/* a neighbour: the document's id and labels */
static JsonObject *
document_entry (guint j, double similarity, gpointer data)
{
  NearData   *nd = data;
  JsonObject *m = json_object_new ();
  JsonArray  *names = json_array_new ();

  for (gsize p = nd->d->label_offsets[j]; p < nd->d->label_offsets[j + 1]; p++)
    json_array_add_string_element (names, nd->d->label_names[nd->d->labels[p]]);
  json_object_set_string_member (m, "document", nd->ext[j]);
  json_object_set_array_member (m, "labels", names);
  json_object_set_double_member (m, "similarity", similarity);
  return m;
}

JsonObject *
assay_xmtc_label_errors (AssayStore *store, gint64 dataset_id, const AssayXmtcErrorOptions *options,
                         AssayXmtcErrorProgress progress, gpointer progress_data, GCancellable *cancellable,
                         GError **error)
{
  g_autoptr (GTimer) timer = g_timer_new ();
  g_autoptr (AssayXmtcDataset) d = NULL;
  g_autoptr (AssayCsr) x = NULL;
  g_autoptr (GArray) found = g_array_new (FALSE, FALSE, sizeof (Found));
  g_autoptr (GArray) naive = g_array_new (FALSE, FALSE, sizeof (Found)); /* every assignment checked */
  g_auto (GStrv) ext = NULL;
  g_autofree guint *n_docs_of = NULL;
  g_autofree double *prob = NULL; /* n x L, out of fold, calibrated */
  guint              n, L, folds = MAX (2, options->folds), checked = 0, n_dismissed = 0;
  gboolean           one_label = TRUE;
  JsonObject        *out;
  JsonArray         *errors;

  report (progress, progress_data, 0.0, _("Reading the corpus"));
  if ((d = assay_xmtc_dataset_load (store, dataset_id, TRUE, error)) == NULL)
    return NULL;
  n = d->n_docs;
  L = d->n_labels;
  if (n < folds || L == 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("Dataset “%s” has %u documents and %u labels: too few to look for label errors with %u folds"),
                   d->name, n, L, folds);
      return NULL;
    }
  n_docs_of = g_new0 (guint, L);
  for (guint i = 0; i < n; i++)
    {
      one_label = one_label && d->label_offsets[i + 1] - d->label_offsets[i] == 1;
      for (gsize k = d->label_offsets[i]; k < d->label_offsets[i + 1]; k++)
        n_docs_of[d->labels[k]]++;
    }

  report (progress, progress_data, 0.02, _("Computing tf-idf features"));
  if (d->features != NULL)
    {
      {
        g_autofree guint *all = g_new (guint, n);
        for (guint i = 0; i < n; i++)
          all[i] = i;
        x = assay_csr_select_rows (d->features, all, n);
      }
      assay_csr_normalize_rows (x);
    }
  else
    {
      g_autoptr (AssayTfidf) tfidf = assay_tfidf_new (&options->tfidf);
      if ((x = assay_tfidf_fit_transform (tfidf, (const char *const *) d->texts, n, cancellable, error)) == NULL)
        return NULL;
    }

  if ((prob = assay_label_error_probabilities (store, dataset_id, x, d->doc_ids, d->label_offsets, d->labels, n, L, one_label,
                                               options, progress, progress_data, cancellable, error)) == NULL)
    return NULL;

  report (progress, progress_data, 0.92, _("Finding label errors"));
  {
    if (one_label)
      {
        g_autofree guint *given = g_new (guint, n);
        g_autoptr (AssayClResult) r = NULL;
        for (guint i = 0; i < n; i++)
          given[i] = d->labels[d->label_offsets[i]];
        r = assay_confident_learning (prob, given, n, L, options->filter, options->rank);
        checked = L;
        if (options->baseline)
          for (guint i = 0; i < n; i++)
            {
              Found e = { i, given[i], TRUE, -1, prob[(gsize) i * L + given[i]] };
              g_array_append_val (naive, e);
            }
        for (guint k = 0; k < r->issues->len; k++)
          {
            guint i = g_array_index (r->issues, guint, k);
            int   best = assay_cl_suggested (prob + (gsize) i * L, L, given[i]);
            Found e;
            /* only where the model prefers another label */
            if (best < 0)
              continue;
            e.doc = i;
            e.label = given[i];
            e.given = TRUE;
            e.suggested = best;
            e.score = r->quality[i];
            g_array_append_val (found, e);
          }
      }
    else
      {
        g_autofree guint *given = g_new (guint, n);
        g_autofree double *p2 = g_new (double, (gsize) n * 2);
        for (guint l = 0; l < L; l++)
          {
            g_autoptr (AssayClResult) r = NULL;
            if (n_docs_of[l] < MAX (1, options->min_documents))
              continue;
            checked++;
            for (guint i = 0; i < n; i++)
              {
                given[i] = 0;
                for (gsize k = d->label_offsets[i]; k < d->label_offsets[i + 1]; k++)
                  if (d->labels[k] == l)
                    given[i] = 1;
                p2[2 * i + 1] = prob[(gsize) i * L + l];
                p2[2 * i] = 1.0 - p2[2 * i + 1];
              }
            r = assay_confident_learning (p2, given, n, 2, options->filter, options->rank);
            if (options->baseline)
              for (guint i = 0; i < n; i++)
                {
                  Found e = { i, l, given[i] == 1, -1, p2[2 * i + given[i]] };
                  g_array_append_val (naive, e);
                }
            for (guint k = 0; k < r->issues->len; k++)
              {
                guint i = g_array_index (r->issues, guint, k);
                Found e = { i, l, given[i] == 1, -1, r->quality[i] };
                /* only where the model takes the other side: a label it cannot learn (a few
                 * documents) has thresholds near its base rate, and confident learning would flag
                 * thousands of documents it is near sure lack it */
                if (given[i] == 1 ? p2[2 * i + 1] >= 0.5 : p2[2 * i + 1] <= 0.5)
                  continue;
                g_array_append_val (found, e);
              }
          }
      }
  }
  g_array_sort (found, by_score);
  if ((ext = external_ids (store, d, error)) == NULL)
    return NULL;
  /* the ones the reviewer dismissed stay out */
  if (!options->include_dismissed)
    {
      g_autoptr (GHashTable) dismissed = assay_dismissals_load (store, dataset_id, error);
      guint kept = 0;
      if (dismissed == NULL)
        return NULL;
      for (guint k = 0; k < found->len; k++)
        {
          Found *e = &g_array_index (found, Found, k);
          g_autofree char *key = assay_dismissal_key (ext[e->doc], d->label_names[e->label], e->given);
          if (!g_hash_table_contains (dismissed, key))
            g_array_index (found, Found, kept++) = *e;
        }
      n_dismissed = found->len - kept;
      g_array_set_size (found, kept);
    }
  out = json_object_new ();
  errors = json_array_new ();
  {
    /* evidence: the nearest documents of the first errors */
    g_autofree guint *rows = g_new (guint, MAX (found->len, 1));
    g_autoptr (GPtrArray) near = NULL;
    NearData nd = { ext, d };
    for (guint k = 0; k < found->len; k++)
      rows[k] = g_array_index (found, Found, k).doc;
    near = assay_label_error_neighbours (x, rows, found->len, options, document_entry, &nd);
    for (guint k = 0; k < found->len; k++)
      {
        JsonObject *o = found_json (&g_array_index (found, Found, k), ext, d, n_docs_of);
        if (k < near->len)
          json_object_set_array_member (o, "neighbours", json_array_ref (g_ptr_array_index (near, k)));
        json_array_add_object_element (errors, o);
      }
  }
  json_object_set_int_member (out, "dismissed", n_dismissed);
  json_object_set_string_member (out, "model", assay_error_model_name (options->model));
  if (options->model != ASSAY_ERROR_MODEL_SVM)
    json_object_set_int_member (out, "embedding_set", options->embedding_set);
  json_object_set_int_member (out, "dataset", dataset_id);
  json_object_set_int_member (out, "documents", n);
  json_object_set_int_member (out, "labels", L);
  json_object_set_boolean_member (out, "one_label", one_label);
  json_object_set_int_member (out, "folds", folds);
  json_object_set_int_member (out, "checked_labels", checked);
  json_object_set_int_member (out, "found", found->len);
  json_object_set_array_member (out, "errors", errors);
  if (options->baseline)
    {
      JsonArray *base = json_array_new ();
      g_array_sort (naive, by_score);
      for (guint k = 0; k < MIN (naive->len, found->len); k++)
        {
          json_array_add_object_element (base, found_json (&g_array_index (naive, Found, k), ext, d, n_docs_of));
        }
      json_object_set_array_member (out, "baseline", base);
    }
  json_object_set_double_member (out, "seconds", g_timer_elapsed (timer, NULL));
  report (progress, progress_data, 1.0, NULL);
  return out;
}

/* The row of a document: by ext_id, else by row id. */
static gint64
document_row (AssayStore *store, gint64 dataset_id, const char *document, char **split, GBytes **labels, GError **error)
{
  sqlite3_stmt *stmt = assay_store_prepare (store, "SELECT id, split, labels FROM xmtc_documents WHERE dataset_id = ?1 "
                                                   "AND (ext_id = ?2 OR (ext_id IS NULL AND id = ?3)) LIMIT 1",
                                            error);
  gint64        row = 0, as_id = 0;

  if (stmt == NULL)
    return 0;
  g_ascii_string_to_signed (document, 10, 1, G_MAXINT64, &as_id, NULL);
  sqlite3_bind_int64 (stmt, 1, dataset_id);
  sqlite3_bind_text (stmt, 2, document, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 3, as_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      row = sqlite3_column_int64 (stmt, 0);
      if (split != NULL)
        *split = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      if (labels != NULL)
        *labels = g_bytes_new (sqlite3_column_blob (stmt, 2), (gsize) sqlite3_column_bytes (stmt, 2));
    }
  sqlite3_reset (stmt);
  if (row == 0)
    g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND, _("Dataset %lld has no document “%s”"),
                 (long long) dataset_id, document);
  return row;
}

/* label name -> (row id in xmtc_labels, idx) */
static gboolean
label_lookup (AssayStore *store, gint64 dataset_id, const char *name, gint64 *row, guint *idx, GError **error)
{
  sqlite3_stmt *stmt = assay_store_prepare (store, "SELECT id, idx FROM xmtc_labels WHERE dataset_id = ? AND name = ?", error);
  gboolean      ok = FALSE;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, dataset_id);
  sqlite3_bind_text (stmt, 2, name, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      *row = sqlite3_column_int64 (stmt, 0);
      *idx = (guint) sqlite3_column_int64 (stmt, 1);
      ok = TRUE;
    }
  sqlite3_reset (stmt);
  if (!ok)
    g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND, _("Dataset %lld has no label “%s”"), (long long) dataset_id,
                 name);
  return ok;
}

gboolean
assay_xmtc_document_get (AssayStore *store, gint64 dataset_id, const char *document, char **title, char **text,
                         GStrv *labels, GError **error)
{
  g_autoptr (GBytes) blob = NULL;
  gint64        row = document_row (store, dataset_id, document, NULL, &blob, error);
  sqlite3_stmt *stmt;

  if (row == 0)
    return FALSE;
  stmt = assay_store_prepare (store, "SELECT title, text FROM xmtc_documents WHERE id = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, row);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      *title = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      *text = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
    }
  sqlite3_reset (stmt);
  if (labels != NULL)
    {
      gsize             n = g_bytes_get_size (blob) / 4;
      const guint8     *p = g_bytes_get_data (blob, NULL);
      g_autoptr (GPtrArray) names = g_ptr_array_new ();
      stmt = assay_store_prepare (store, "SELECT name FROM xmtc_labels WHERE dataset_id = ? AND idx = ?", error);
      if (stmt == NULL)
        return FALSE;
      for (gsize i = 0; i < n; i++)
        {
          guint32 idx = GUINT32_FROM_LE (*(const guint32 *) (const void *) (p + 4 * i));
          sqlite3_bind_int64 (stmt, 1, dataset_id);
          sqlite3_bind_int64 (stmt, 2, idx);
          if (sqlite3_step (stmt) == SQLITE_ROW)
            g_ptr_array_add (names, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
          sqlite3_reset (stmt);
        }
      g_ptr_array_add (names, NULL);
      *labels = (GStrv) g_ptr_array_steal (names, NULL);
    }
  return TRUE;
}

static gboolean
count_update (AssayStore *store, gint64 label_row, const char *split, int delta, GError **error)
{
  const char   *column = g_strcmp0 (split, "test") == 0 ? "n_test" : "n_train";
  g_autofree char *sql = g_strdup_printf ("SELECT %s FROM xmtc_labels WHERE id = ?", column);
  sqlite3_stmt *stmt = assay_store_prepare (store, sql, error);
  gint64        n = 0;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, label_row);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    n = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return assay_store_edit_update (store, "xmtc_labels", label_row, column, g_variant_new_int64 (MAX (0, n + delta)),
                                  error);
}

gboolean
assay_xmtc_correct_label (AssayStore *store, gint64 dataset_id, JsonObject *e, GError **error)
{
  const char       *document = json_object_get_string_member_with_default (e, "document", NULL);
  const char       *label = json_object_get_string_member_with_default (e, "label", NULL);
  const char       *suggested = json_object_get_string_member_with_default (e, "suggested", NULL);
  gboolean          given = json_object_get_boolean_member_with_default (e, "given", TRUE);
  g_autoptr (GBytes) blob = NULL;
  g_autofree char  *split = NULL, *what = NULL;
  g_autoptr (GArray) set = g_array_new (FALSE, FALSE, sizeof (guint32));
  gint64            row, lrow, srow = 0;
  guint             lidx, sidx = 0;
  gsize             n;
  const guint8     *p;

  if (document == NULL || label == NULL)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("A label error names a document and a label"));
      return FALSE;
    }
  if ((row = document_row (store, dataset_id, document, &split, &blob, error)) == 0
      || !label_lookup (store, dataset_id, label, &lrow, &lidx, error)
      || (given && suggested != NULL && !label_lookup (store, dataset_id, suggested, &srow, &sidx, error)))
    return FALSE;
  p = g_bytes_get_data (blob, &n);
  for (gsize i = 0; i + 4 <= n; i += 4)
    {
      guint32 v = GUINT32_FROM_LE (*(const guint32 *) (const void *) (p + i));
      if (!(given && v == lidx))
        g_array_append_val (set, v);
    }
  if (given && set->len * 4 == n)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOTHING_TO_DO, _("Document “%s” no longer has label “%s”"), document, label);
      return FALSE;
    }
  for (guint i = 0; !given && i < set->len; i++)
    if (g_array_index (set, guint32, i) == lidx)
      {
        g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOTHING_TO_DO, _("Document “%s” already has label “%s”"), document, label);
        return FALSE;
      }
  if (!given)
    g_array_append_val (set, lidx);
  else if (suggested != NULL)
    {
      gboolean has = FALSE;
      for (guint i = 0; i < set->len; i++)
        has |= g_array_index (set, guint32, i) == sidx;
      if (!has)
        g_array_append_val (set, sidx);
      else
        srow = 0;
    }
  for (guint i = 0; i < set->len; i++)
    g_array_index (set, guint32, i) = GUINT32_TO_LE (g_array_index (set, guint32, i));
  what = given && suggested != NULL ? g_strdup_printf (_("Relabel %s from %s to %s"), document, label, suggested)
         : given                    ? g_strdup_printf (_("Take %s away from %s"), label, document)
                                    : g_strdup_printf (_("Give %s label %s"), document, label);
  if (!assay_store_edit_begin (store, what, error))
    return FALSE;
  if (!assay_store_edit_update (store, "xmtc_documents", row, "labels",
                                g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, set->data, set->len * 4, 1), error)
      || !count_update (store, lrow, split, given ? -1 : 1, error)
      || (srow > 0 && !count_update (store, srow, split, 1, error))
      || !assay_store_edit_commit (store, error))
    {
      assay_store_edit_abort (store);
      return FALSE;
    }
  assay_store_emit_changed (store, "xmtc_documents");
  return TRUE;
}
