/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-tfidf.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

struct _AssayTfidf
{
  AssayTfidfOptions options;
  AssayTokenizer   *tokenizer;
  GHashTable       *index; /* term -> id + 1 */
  GPtrArray        *terms; /* id -> term (owned) */
  float            *idf;
};

void
assay_tfidf_options_init (AssayTfidfOptions *options)
{
  options->lowercase = TRUE;
  options->stop_words = FALSE;
  options->min_df = 1;
  options->max_df = 1.0;
  options->min_token_length = 2;
}

static AssayTfidf *
tfidf_alloc (const AssayTfidfOptions *options)
{
  AssayTfidf *self = g_new0 (AssayTfidf, 1);

  if (options != NULL)
    self->options = *options;
  else
    assay_tfidf_options_init (&self->options);
  self->options.min_df = MAX (self->options.min_df, 1);
  if (self->options.max_df <= 0.0 || self->options.max_df > 1.0)
    self->options.max_df = 1.0;
  self->tokenizer = assay_tokenizer_new (self->options.lowercase, self->options.min_token_length);
  if (self->options.stop_words)
    assay_tokenizer_set_stop_words (self->tokenizer, assay_tokenizer_english_stop_words ());
  self->index = g_hash_table_new (g_str_hash, g_str_equal);
  self->terms = g_ptr_array_new_with_free_func (g_free);
  return self;
}

AssayTfidf *
assay_tfidf_new (const AssayTfidfOptions *options)
{
  return tfidf_alloc (options);
}

AssayTfidf *
assay_tfidf_new_from_vocabulary (const AssayTfidfOptions *options, const char *const *terms,
                                 const float *idf, guint n_terms)
{
  AssayTfidf *self = tfidf_alloc (options);

  self->idf = g_memdup2 (idf, n_terms * sizeof (float));
  for (guint i = 0; i < n_terms; i++)
    {
      char *term = g_strdup (terms[i]);
      g_ptr_array_add (self->terms, term);
      g_hash_table_insert (self->index, term, GUINT_TO_POINTER (i + 1));
    }
  return self;
}

void
assay_tfidf_free (AssayTfidf *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->index);
  g_ptr_array_unref (self->terms);
  assay_tokenizer_free (self->tokenizer);
  g_free (self->idf);
  g_free (self);
}

guint
assay_tfidf_get_n_terms (AssayTfidf *self)
{
  return self->terms->len;
}

const char *
assay_tfidf_get_term (AssayTfidf *self, guint id)
{
  return id < self->terms->len ? g_ptr_array_index (self->terms, id) : NULL;
}

const float *
assay_tfidf_get_idf (AssayTfidf *self)
{
  return self->idf;
}

int
assay_tfidf_lookup (AssayTfidf *self, const char *term)
{
  return (int) GPOINTER_TO_UINT (g_hash_table_lookup (self->index, term)) - 1;
}

AssayTokenizer *
assay_tfidf_get_tokenizer (AssayTfidf *self)
{
  return self->tokenizer;
}

/* ---- counting ------------------------------------------------------------------------------ */

/* Documents are tokenized in chunks, one per thread, each with its own tokenizer and (when
 * learning) its own vocabulary; term counts use a dense counter, so no per-document sort. */
typedef struct
{
  AssayTokenizer *tokenizer;
  GHashTable     *index;   /* learning: chunk-local term -> id + 1; else the shared index */
  GPtrArray      *terms;   /* learning: chunk-local terms */
  gboolean        growing;
  float          *dense;
  guint           dense_len;
  GArray         *touched; /* ids counted in the current document */
  GArray         *ids;     /* (id, count) runs of all documents of the chunk */
  GArray         *counts;
  gsize          *doc_start;
} Chunk;

static void
count_token (const char *token, gsize len, gsize start, gsize end, gpointer data)
{
  Chunk *chunk = data;
  guint  id = GPOINTER_TO_UINT (g_hash_table_lookup (chunk->index, token));

  if (id == 0)
    {
      char *term;
      if (!chunk->growing)
        return;
      term = g_strndup (token, len);
      g_ptr_array_add (chunk->terms, term);
      id = chunk->terms->len;
      g_hash_table_insert (chunk->index, term, GUINT_TO_POINTER (id));
    }
  id--;
  if (id >= chunk->dense_len)
    {
      guint old = chunk->dense_len;
      chunk->dense_len = MAX (id + 1, chunk->dense_len * 2);
      chunk->dense = g_renew (float, chunk->dense, chunk->dense_len);
      memset (chunk->dense + old, 0, (chunk->dense_len - old) * sizeof (float));
    }
  if (chunk->dense[id] == 0.0f)
    g_array_append_val (chunk->touched, id);
  chunk->dense[id] += 1.0f;
}

static void
chunk_count (Chunk *chunk, const char *const *docs, guint first, guint n)
{
  chunk->doc_start = g_new (gsize, n + 1);
  chunk->ids = g_array_new (FALSE, FALSE, sizeof (guint32));
  chunk->counts = g_array_new (FALSE, FALSE, sizeof (float));
  chunk->touched = g_array_new (FALSE, FALSE, sizeof (guint32));
  for (guint d = 0; d < n; d++)
    {
      chunk->doc_start[d] = chunk->ids->len;
      g_array_set_size (chunk->touched, 0);
      assay_tokenizer_foreach (chunk->tokenizer, docs[first + d], -1, count_token, chunk);
      for (guint i = 0; i < chunk->touched->len; i++)
        {
          guint32 id = g_array_index (chunk->touched, guint32, i);
          g_array_append_val (chunk->ids, id);
          g_array_append_val (chunk->counts, chunk->dense[id]);
          chunk->dense[id] = 0.0f;
        }
    }
  chunk->doc_start[n] = chunk->ids->len;
}

static void
chunk_clear (Chunk *chunk)
{
  assay_tokenizer_free (chunk->tokenizer);
  if (chunk->growing)
    {
      g_hash_table_unref (chunk->index);
      g_ptr_array_unref (chunk->terms);
    }
  g_free (chunk->dense);
  g_clear_pointer (&chunk->touched, g_array_unref);
  g_clear_pointer (&chunk->ids, g_array_unref);
  g_clear_pointer (&chunk->counts, g_array_unref);
  g_free (chunk->doc_start);
}

static AssayTokenizer *
new_tokenizer (AssayTfidf *self)
{
  AssayTokenizer *tokenizer = assay_tokenizer_new (self->options.lowercase,
                                                   self->options.min_token_length);
  if (self->options.stop_words)
    assay_tokenizer_set_stop_words (tokenizer, assay_tokenizer_english_stop_words ());
  return tokenizer;
}

static guint
n_chunks_for (guint n_docs)
{
  guint threads = (guint) MAX (omp_get_max_threads (), 1);
  return n_docs < 64 ? 1 : MIN (threads, n_docs / 32);
}

/* Rows of chunk docs: (ids mapped through remap, counts x idf), unit norm. */
static AssayCsr *
chunk_rows (AssayTfidf *self, Chunk *chunk, guint n, const guint *remap)
{
  AssayCsr *rows = assay_csr_new (self->terms->len);
  guint32  *idx = NULL;
  float    *val = NULL;
  guint     cap = 0;

  for (guint d = 0; d < n; d++)
    {
      gsize a = chunk->doc_start[d], b = chunk->doc_start[d + 1];
      guint m = 0;
      if (b - a > cap)
        {
          cap = (guint) (b - a);
          idx = g_renew (guint32, idx, cap);
          val = g_renew (float, val, cap);
        }
      for (gsize p = a; p < b; p++)
        {
          guint32 id = g_array_index (chunk->ids, guint32, p);
          guint   final = remap != NULL ? remap[id] : id;
          if (final == G_MAXUINT)
            continue;
          idx[m] = final;
          val[m] = g_array_index (chunk->counts, float, p) * self->idf[final];
          m++;
        }
      assay_csr_append_row (rows, idx, val, m);
    }
  g_free (idx);
  g_free (val);
  assay_csr_normalize_rows (rows);
  return rows;
}

static int
cmp_terms (gconstpointer a, gconstpointer b, gpointer data)
{
  char **terms = data;
  return strcmp (terms[*(const guint *) a], terms[*(const guint *) b]);
}

AssayCsr *
assay_tfidf_fit_transform (AssayTfidf *self, const char *const *docs, guint n_docs,
                           GCancellable *cancellable, GError **error)
{
  const guint n_chunks = n_chunks_for (n_docs);
  Chunk      *chunks = g_new0 (Chunk, n_chunks);
  guint      *first = g_new (guint, n_chunks + 1);
  g_autoptr (GHashTable) global = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) global_terms = g_ptr_array_new ();
  guint     **local_to_global = g_new0 (guint *, n_chunks);
  g_autofree guint *df = NULL;
  g_autofree guint *order = NULL;
  g_autofree guint *remap = NULL;
  AssayCsr  *out = NULL;
  guint      n_all, n_kept = 0;
  double     max_count;

  g_hash_table_remove_all (self->index);
  g_ptr_array_set_size (self->terms, 0);
  g_clear_pointer (&self->idf, g_free);

  for (guint c = 0; c <= n_chunks; c++)
    first[c] = (guint) ((guint64) n_docs * c / n_chunks);
  for (guint c = 0; c < n_chunks; c++)
    {
      chunks[c].tokenizer = new_tokenizer (self);
      chunks[c].index = g_hash_table_new (g_str_hash, g_str_equal);
      chunks[c].terms = g_ptr_array_new_with_free_func (g_free);
      chunks[c].growing = TRUE;
    }
#pragma omp parallel for schedule (static, 1) num_threads (n_chunks)
  for (guint c = 0; c < n_chunks; c++)
    chunk_count (&chunks[c], docs, first[c], first[c + 1] - first[c]);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    goto out;

  /* Merge the chunk vocabularies and count document frequencies. */
  for (guint c = 0; c < n_chunks; c++)
    {
      local_to_global[c] = g_new (guint, MAX (chunks[c].terms->len, 1));
      for (guint t = 0; t < chunks[c].terms->len; t++)
        {
          char *term = g_ptr_array_index (chunks[c].terms, t);
          guint id = GPOINTER_TO_UINT (g_hash_table_lookup (global, term));
          if (id == 0)
            {
              g_ptr_array_add (global_terms, term);
              id = global_terms->len;
              g_hash_table_insert (global, term, GUINT_TO_POINTER (id));
            }
          local_to_global[c][t] = id - 1;
        }
    }
  n_all = global_terms->len;
  df = g_new0 (guint, MAX (n_all, 1));
  for (guint c = 0; c < n_chunks; c++)
    for (guint i = 0; i < chunks[c].ids->len; i++)
      df[local_to_global[c][g_array_index (chunks[c].ids, guint32, i)]]++;

  /* Prune, sort by term, idf. */
  max_count = self->options.max_df * n_docs;
  order = g_new (guint, MAX (n_all, 1));
  for (guint t = 0; t < n_all; t++)
    if (df[t] >= self->options.min_df && df[t] <= max_count + 1e-9)
      order[n_kept++] = t;
  g_qsort_with_data (order, n_kept, sizeof (guint), cmp_terms, global_terms->pdata);
  self->idf = g_new (float, MAX (n_kept, 1));
  for (guint i = 0; i < n_kept; i++)
    {
      char *term = g_strdup (g_ptr_array_index (global_terms, order[i]));
      g_ptr_array_add (self->terms, term);
      g_hash_table_insert (self->index, term, GUINT_TO_POINTER (i + 1));
      self->idf[i] = (float) (log ((1.0 + n_docs) / (1.0 + df[order[i]])) + 1.0);
    }
  remap = g_new (guint, MAX (n_all, 1));
  for (guint t = 0; t < n_all; t++)
    remap[t] = G_MAXUINT;
  for (guint i = 0; i < n_kept; i++)
    remap[order[i]] = i;
  /* Chunk-local ids straight to final ids. */
  for (guint c = 0; c < n_chunks; c++)
    for (guint t = 0; t < chunks[c].terms->len; t++)
      local_to_global[c][t] = remap[local_to_global[c][t]];

  {
    AssayCsr **parts = g_new0 (AssayCsr *, n_chunks);
#pragma omp parallel for schedule (static, 1) num_threads (n_chunks)
    for (guint c = 0; c < n_chunks; c++)
      parts[c] = chunk_rows (self, &chunks[c], first[c + 1] - first[c], local_to_global[c]);
    out = assay_csr_new (n_kept);
    for (guint c = 0; c < n_chunks; c++)
      {
        assay_csr_append_rows (out, parts[c]);
        assay_csr_free (parts[c]);
      }
    g_free (parts);
  }

out:
  for (guint c = 0; c < n_chunks; c++)
    {
      chunk_clear (&chunks[c]);
      g_free (local_to_global[c]);
    }
  g_free (local_to_global);
  g_free (chunks);
  g_free (first);
  return out;
}

AssayCsr *
assay_tfidf_transform (AssayTfidf *self, const char *const *docs, guint n_docs)
{
  const guint n_chunks = n_chunks_for (n_docs);
  Chunk      *chunks = g_new0 (Chunk, n_chunks);
  AssayCsr  **parts = g_new0 (AssayCsr *, n_chunks);
  AssayCsr   *out = assay_csr_new (self->terms->len);

#pragma omp parallel for schedule (static, 1) num_threads (n_chunks)
  for (guint c = 0; c < n_chunks; c++)
    {
      guint a = (guint) ((guint64) n_docs * c / n_chunks);
      guint b = (guint) ((guint64) n_docs * (c + 1) / n_chunks);
      chunks[c].tokenizer = new_tokenizer (self);
      chunks[c].index = self->index; /* read only: safe to share */
      chunks[c].growing = FALSE;
      chunk_count (&chunks[c], docs, a, b - a);
      parts[c] = chunk_rows (self, &chunks[c], b - a, NULL);
    }
  for (guint c = 0; c < n_chunks; c++)
    {
      assay_csr_append_rows (out, parts[c]);
      assay_csr_free (parts[c]);
      chunk_clear (&chunks[c]);
    }
  g_free (parts);
  g_free (chunks);
  return out;
}
