/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-xmtc-model.h"

#include "assay-tokenizer.h"

#include <glib/gi18n.h>
#include <stdlib.h>
#include <string.h>

#include "assay-error.h"
#include "assay-json.h"

typedef struct
{
  gboolean trained;
  float    intercept;
  guint    n;
  guint32 *indices;
  float   *weights;
} LabelWeights;

struct _AssayXmtcModel
{
  gint64        run;
  gint64        dataset;
  guint         keywords_k;
  GPtrArray    *terms;
  GPtrArray    *label_names;
  GHashTable   *label_index;
  LabelWeights *labels;
};

void
assay_xmtc_model_free (AssayXmtcModel *self)
{
  if (self == NULL)
    return;
  for (guint l = 0; self->labels != NULL && l < self->label_names->len; l++)
    {
      g_free (self->labels[l].indices);
      g_free (self->labels[l].weights);
    }
  g_free (self->labels);
  g_ptr_array_unref (self->terms);
  g_ptr_array_unref (self->label_names);
  g_hash_table_unref (self->label_index);
  g_free (self);
}

AssayXmtcModel *
assay_xmtc_model_load (AssayStore *store, gint64 run_id, GError **error)
{
  g_autoptr (AssayXmtcModel) self = g_new0 (AssayXmtcModel, 1);
  sqlite3_stmt *stmt;
  g_autoptr (JsonObject) params = NULL;

  self->terms = g_ptr_array_new_with_free_func (g_free);
  self->label_names = g_ptr_array_new_with_free_func (g_free);
  self->label_index = g_hash_table_new (g_str_hash, g_str_equal);
  self->run = run_id;

  stmt = assay_store_prepare (store, "SELECT dataset_id, params FROM runs WHERE id = ? AND "
                                     "area = 'xmtc' AND status = 'done'",
                              error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, run_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *text = (const char *) sqlite3_column_text (stmt, 1);
      self->dataset = sqlite3_column_int64 (stmt, 0);
      params = text != NULL ? assay_json_object_from_string (text, NULL) : NULL;
    }
  sqlite3_reset (stmt);
  if (self->dataset == 0)
    {
      g_autofree char *what = assay_store_describe_run (store, run_id);
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND, _("No finished label-model run %lld: %s"),
                   (long long) run_id, what);
      return NULL;
    }
  self->keywords_k = (guint) assay_json_get_int (params, "keywords", 16);

  stmt = assay_store_prepare (store, "SELECT term FROM xmtc_run_terms WHERE run_id = ? "
                                     "ORDER BY idx",
                              error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, run_id);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (self->terms, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  sqlite3_reset (stmt);

  stmt = assay_store_prepare (store, "SELECT name FROM xmtc_labels WHERE dataset_id = ? "
                                     "ORDER BY idx",
                              error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, self->dataset);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      char *name = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      g_ptr_array_add (self->label_names, name);
      g_hash_table_insert (self->label_index, name, GUINT_TO_POINTER (self->label_names->len));
    }
  sqlite3_reset (stmt);
  self->labels = g_new0 (LabelWeights, MAX (self->label_names->len, 1));

  stmt = assay_store_prepare (store, "SELECT label_idx, intercept, indices, weights FROM "
                                     "xmtc_weights WHERE run_id = ?",
                              error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, run_id);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      guint         l = (guint) sqlite3_column_int (stmt, 0);
      LabelWeights *lw;
      guint         n;
      if (l >= self->label_names->len)
        continue;
      lw = &self->labels[l];
      n = (guint) (sqlite3_column_bytes (stmt, 2) / sizeof (guint32));
      if ((gsize) sqlite3_column_bytes (stmt, 3) != n * sizeof (float))
        continue;
      g_free (lw->indices); /* a duplicated row: the last one wins */
      g_free (lw->weights);
      lw->trained = TRUE;
      lw->intercept = (float) sqlite3_column_double (stmt, 1);
      lw->n = n;
      lw->indices = g_memdup2 (sqlite3_column_blob (stmt, 2), n * sizeof (guint32));
      lw->weights = g_memdup2 (sqlite3_column_blob (stmt, 3), n * sizeof (float));
    }
  sqlite3_reset (stmt);
  return g_steal_pointer (&self);
}

gint64
assay_xmtc_model_get_dataset (AssayXmtcModel *self)
{
  return self->dataset;
}

guint
assay_xmtc_model_get_n_labels (AssayXmtcModel *self)
{
  return self->label_names->len;
}

guint
assay_xmtc_model_get_n_terms (AssayXmtcModel *self)
{
  return self->terms->len;
}

guint
assay_xmtc_model_get_keywords_k (AssayXmtcModel *self)
{
  return self->keywords_k;
}

const char *
assay_xmtc_model_get_label_name (AssayXmtcModel *self, guint label)
{
  return label < self->label_names->len ? g_ptr_array_index (self->label_names, label) : NULL;
}

int
assay_xmtc_model_find_label (AssayXmtcModel *self, const char *name)
{
  return (int) GPOINTER_TO_UINT (g_hash_table_lookup (self->label_index, name)) - 1;
}

gboolean
assay_xmtc_model_is_trained (AssayXmtcModel *self, guint label)
{
  return label < self->label_names->len && self->labels[label].trained;
}

static int
compare_keywords (const void *a, const void *b)
{
  const AssayKeyword *x = a, *y = b;

  if (x->weight != y->weight)
    return x->weight < y->weight ? 1 : -1;
  return strcmp (x->term, y->term);
}

GArray *
assay_xmtc_model_keywords (AssayXmtcModel *self, guint label, guint k)
{
  GArray       *out = g_array_new (FALSE, FALSE, sizeof (AssayKeyword));
  LabelWeights *lw;

  if (label >= self->label_names->len)
    return out;
  lw = &self->labels[label];
  for (guint i = 0; i < lw->n; i++)
    if (lw->weights[i] > 0.0f && lw->indices[i] < self->terms->len)
      {
        AssayKeyword kw = { g_ptr_array_index (self->terms, lw->indices[i]), lw->weights[i],
                            lw->indices[i] };
        g_array_append_val (out, kw);
      }
  if (out->len > 1)
    qsort (out->data, out->len, sizeof (AssayKeyword), compare_keywords);
  if (out->len > k)
    g_array_set_size (out, k);
  return out;
}

char *
assay_xmtc_model_pseudo_description (AssayXmtcModel *self, guint label, guint k)
{
  g_autoptr (GArray) keywords = assay_xmtc_model_keywords (self, label, k);
  GString *text = g_string_new (assay_xmtc_model_get_label_name (self, label));

  for (guint i = 0; i < keywords->len; i++)
    g_string_append_printf (text, " %s", g_array_index (keywords, AssayKeyword, i).term);
  return g_string_free (text, FALSE);
}

static void
add_word (const char *token, gsize len, gsize start, gsize end, gpointer data)
{
  g_hash_table_add (data, g_strndup (token, len));
}

GStrv
assay_xmtc_model_evidence (AssayXmtcModel *self, const char *label, const char *text, guint k, guint max)
{
  g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
  int l = label != NULL ? assay_xmtc_model_find_label (self, label) : -1;

  if (l >= 0 && text != NULL && assay_xmtc_model_is_trained (self, (guint) l))
    {
      g_autoptr (GHashTable) words = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_autoptr (AssayTokenizer) tok = assay_tokenizer_new (TRUE, 1);
      g_autoptr (GArray) kw = assay_xmtc_model_keywords (self, (guint) l, k);
      assay_tokenizer_foreach (tok, text, -1, add_word, words);
      for (guint i = 0; i < kw->len && out->len < max; i++)
        {
          const char *term = g_array_index (kw, AssayKeyword, i).term;
          if (g_array_index (kw, AssayKeyword, i).weight > 0 && g_hash_table_contains (words, term))
            g_ptr_array_add (out, g_strdup (term));
        }
    }
  g_ptr_array_add (out, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&out), FALSE);
}

gint64
assay_xmtc_latest_svm_run (AssayStore *store, gint64 dataset)
{
  g_autofree char *sql = g_strdup_printf ("SELECT max(id) FROM runs WHERE dataset_id = %lld AND area = 'xmtc' AND "
                                          "kind = 'ovr-svm' AND status = 'done'", (long long) dataset);
  return assay_store_query_int (store, sql, 0);
}
