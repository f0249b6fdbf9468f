/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-semantic.c: see assay-semantic.h. Scores are inner products of the stored vectors, so
 * cosines when the set is normalised (the default); near-duplicate groups are the connected
 * components of the pairs at or above the threshold among each record's nearest neighbours. */
#include "assay-semantic.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "assay-embed-job.h"
#include "assay-error.h"
#include "assay-json.h"
#include "assay-gen-dedup.h"
#include "assay-knn.h"
#include "assay-union-find.h"

void
assay_semantic_options_clear (AssaySemanticOptions *o)
{
  assay_embed_set_options_clear (&o->set);
  g_clear_pointer (&o->query, g_free);
  g_clear_pointer (&o->query_prefix, g_free);
  g_clear_pointer (&o->labels, g_strfreev);
  g_clear_pointer (&o->templates, g_strfreev);
  g_clear_pointer (&o->truth, g_free);
}

typedef struct
{
  void   (*progress) (double, const char *, gpointer);
  gpointer data;
  double   from, to;
} Span;

static void
span_progress (double fraction, const char *message, gpointer data)
{
  Span *s = data;
  if (s->progress != NULL)
    s->progress (s->from + (s->to - s->from) * fraction, message, s->data);
}

static JsonObject *
search (const AssaySemanticOptions *o, AssayEmbeddings *e, AssayBackend *backend, GError **error)
{
  g_autofree float *q = g_new (float, e->dim);
  int               k = MIN (o->limit > 0 ? o->limit : 20, (int) MAX (e->n, 1));
  g_autofree int   *nn = g_new (int, k);
  g_autofree float *sim = g_new (float, k);
  const char       *texts[] = { o->query };
  JsonArray        *results = json_array_new ();
  JsonObject       *r;

  if (o->query == NULL
      || !assay_embed_texts (&o->set, o->query_prefix, backend, texts, 1, q, error)
      || !assay_knn (backend, q, 1, e->vectors, (int) e->n, e->dim, k, nn, sim, NULL, NULL, error))
    {
      if (o->query == NULL)
        g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("A search needs a query"));
      json_array_unref (results);
      return NULL;
    }
  for (int i = 0; i < k && nn[i] >= 0; i++)
    {
      JsonObject *hit = json_object_new ();
      json_object_set_int_member (hit, "id", e->ids[nn[i]]);
      json_object_set_double_member (hit, "score", sim[i]);
      json_array_add_object_element (results, hit);
    }
  r = json_object_new ();
  json_object_set_string_member (r, "query", o->query);
  json_object_set_array_member (r, "results", results);
  return r;
}

static gboolean
in_list (const int *list, int k, int i)
{
  for (int r = 0; r < k; r++)
    if (list[r] == i)
      return TRUE;
  return FALSE;
}

static JsonObject *
dedup (const AssaySemanticOptions *o, AssayEmbeddings *e, AssayBackend *backend,
       GCancellable *cancellable, GError **error)
{
  int                 k = MIN (o->neighbours > 0 ? o->neighbours : 10, (int) MAX (e->n, 2) - 1);
  g_autofree int     *nn = g_new (int, (gsize) MAX (e->n, 1) * MAX (k, 1));
  g_autofree float   *sim = g_new (float, (gsize) MAX (e->n, 1) * MAX (k, 1));
  g_autoptr (AssayUnionFind) sets = assay_union_find_new (e->n);
  g_autoptr (GPtrArray) groups = NULL;
  AssayKnnOptions     ko = { TRUE, NULL, NULL };
  guint64             pairs = 0;
  JsonObject         *r;

  if (!(o->threshold > -1.0 && o->threshold <= 1.0))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("The threshold must be a cosine in (-1, 1]"));
      return NULL;
    }
  if (e->n >= 2 && !assay_knn (backend, e->vectors, (int) e->n, e->vectors, (int) e->n, e->dim, k, nn, sim, &ko,
                               cancellable, error))
    return NULL;
  for (guint i = 0; i < e->n && e->n >= 2; i++)
    for (int r_ = 0; r_ < k; r_++)
      {
        int j = nn[(gsize) i * k + r_];
        /* (float32: a vector's cosine with itself may be 1 - 6e-8, so 1 finds exact copies) */
        if (j < 0 || !(sim[(gsize) i * k + r_] >= o->threshold - 1e-6))
          break;
        /* each pair once: from its lower member, or from the higher when the lower's list
         * (full of closer records) does not hold it */
        if ((guint) j > i || !in_list (nn + (gsize) j * k, k, (int) i))
          pairs++;
        assay_union_find_unite (sets, i, (guint) j);
      }
  groups = assay_union_find_groups (sets);
  r = json_object_new ();
  json_object_set_string_member (r, "method", "embedding");
  json_object_set_int_member (r, "records", e->n);
  json_object_set_int_member (r, "pairs", (gint64) pairs);
  json_object_set_double_member (r, "threshold", o->threshold);
  json_object_set_int_member (r, "neighbours", k);
  json_object_set_array_member (r, "groups", assay_gen_dedup_groups_json (groups, e->ids));
  return r;
}

/* The true label of each record (NULL when it has none), by record id. */
static GHashTable *
read_truth (AssayStore *store, gint64 dataset, const char *truth, GError **error)
{
  g_autoptr (GHashTable) t = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  g_autofree char *sql = NULL;
  sqlite3_stmt    *stmt;
  int              rc;

  if (g_str_equal (truth, "condition"))
    sql = g_strdup ("SELECT id, condition FROM gen_records WHERE dataset_id = ?1");
  else if (g_str_has_prefix (truth, "extra.") && truth[6] != '\0' && strpbrk (truth + 6, "'\"\\") == NULL)
    sql = g_strdup_printf ("SELECT id, CASE WHEN json_valid (extra) THEN json_extract (extra, '$.\"%s\"') END "
                           "FROM gen_records WHERE dataset_id = ?1", truth + 6);
  else
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("The truth is “condition” or “extra.NAME”, not “%s”"), truth);
      return NULL;
    }
  if ((stmt = assay_store_prepare (store, sql, error)) == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, dataset);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    if (sqlite3_column_type (stmt, 1) != SQLITE_NULL)
      {
        char *v = g_strstrip (g_strdup ((const char *) sqlite3_column_text (stmt, 1)));
        g_hash_table_insert (t, g_memdup2 (&(gint64) { sqlite3_column_int64 (stmt, 0) }, sizeof (gint64)), v);
      }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      assay_store_set_error (store, error, "gen_records");
      return NULL;
    }
  return g_steal_pointer (&t);
}

/* Eq 3.9: each record with elaborations in the augmentations dataset gets the mean of
 * f(x ⊕ x_aug) over them (x its embedded text, ⊕ a blank line), normalised, in place of f(x).
 * Returns how many records were so replaced, or -1. */
static int
augment (AssayStore *store, const AssaySemanticOptions *o, AssayEmbeddings *e, AssayBackend *backend,
         GError **error)
{
  const char    *column = g_strcmp0 (o->set.field, "prompt") == 0 ? "r.prompt" : "coalesce (r.edited, r.text)";
  g_autofree char *sql = g_strdup_printf ("SELECT r.id, %s, coalesce (a.edited, a.text) FROM gen_records a "
                                          "JOIN gen_records r ON r.id = json_extract (a.extra, '$.from') "
                                          "WHERE a.dataset_id = ?1 AND r.dataset_id = ?2 AND json_valid (a.extra) "
                                          "AND a.status != 'rejected' AND coalesce (a.edited, a.text, '') != '' "
                                          "ORDER BY r.id, a.id", column);
  g_autoptr (GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) rows = g_array_new (FALSE, FALSE, sizeof (int));
  g_autofree float *v = NULL;
  g_autofree double *sum = NULL;
  g_autofree guint *count = NULL;
  sqlite3_stmt *stmt;
  int           rc, augmented = 0;

  if (o->augmentations == o->set.dataset)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("The elaborations are another dataset than the texts"));
      return -1;
    }
  if ((stmt = assay_store_prepare (store, sql, error)) == NULL)
    return -1;
  sqlite3_bind_int64 (stmt, 1, o->augmentations);
  sqlite3_bind_int64 (stmt, 2, o->set.dataset);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      int row = assay_embeddings_find (e, sqlite3_column_int64 (stmt, 0));
      if (row < 0)
        continue; /* a record without text */
      g_ptr_array_add (texts, g_strconcat ((const char *) sqlite3_column_text (stmt, 1), "\n\n",
                                           (const char *) sqlite3_column_text (stmt, 2), NULL));
      g_array_append_val (rows, row);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      assay_store_set_error (store, error, "gen_records");
      return -1;
    }
  if (texts->len == 0)
    return 0;
  v = g_new (float, (gsize) texts->len * e->dim);
  if (!assay_embed_texts (&o->set, NULL, backend, (const char *const *) texts->pdata, (int) texts->len, v, error))
    return -1;
  sum = g_new0 (double, (gsize) e->n * e->dim);
  count = g_new0 (guint, e->n);
  for (guint k = 0; k < texts->len; k++)
    {
      int row = g_array_index (rows, int, k);
      count[row]++;
      for (int j = 0; j < e->dim; j++)
        sum[(gsize) row * e->dim + j] += v[(gsize) k * e->dim + j];
    }
  for (guint i = 0; i < e->n; i++)
    if (count[i] > 0)
      {
        double norm = 0;
        for (int j = 0; j < e->dim; j++)
          norm += sum[(gsize) i * e->dim + j] * sum[(gsize) i * e->dim + j];
        norm = MAX (sqrt (norm), 1e-12);
        for (int j = 0; j < e->dim; j++)
          e->vectors[(gsize) i * e->dim + j] = (float) (sum[(gsize) i * e->dim + j] / norm);
        augmented++;
      }
  return augmented;
}

static JsonObject *
zeroshot (AssayStore *store, const AssaySemanticOptions *o, AssayEmbeddings *e, AssayBackend *backend,
          GError **error)
{
  int                augmented = 0;
  static const char *const fallback[] = ASSAY_ZEROSHOT_TEMPLATES;
  const char *const *templates = o->templates != NULL ? (const char *const *) o->templates : fallback;
  guint              C = o->labels != NULL ? g_strv_length (o->labels) : 0;
  guint              T = g_strv_length ((char **) templates), evaluated = 0, correct = 0, unknown = 0;
  g_autoptr (GPtrArray) prompts = g_ptr_array_new_with_free_func (g_free);
  g_autofree float  *pe = NULL;
  g_autofree double *scores = NULL;
  g_autofree guint  *tp = NULL, *fp = NULL, *fn = NULL, *support = NULL;
  g_autoptr (GHashTable) truth = NULL;
  JsonArray         *predictions, *labels = json_array_new (), *tmpl = json_array_new ();
  JsonObject        *r;
  double             macro = 0;

  if (C < 2 || T == 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("Zero-shot labels need at least two labels and one prompt template"));
      goto fail;
    }
  for (guint c = 0; c < C; c++)
    {
      gboolean blank = TRUE;
      for (const char *q = o->labels[c]; *q != '\0'; q++)
        blank = blank && g_ascii_isspace (*q);
      if (blank)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("Label %u is empty"), c + 1);
          goto fail;
        }
      for (guint d = 0; d < c; d++)
        if (g_ascii_strcasecmp (o->labels[c], o->labels[d]) == 0)
          {
            g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("The label “%s” is given twice"), o->labels[c]);
            goto fail;
          }
    }
  for (guint t = 0; t < T; t++)
    if (strstr (templates[t], "{label}") == NULL)
      {
        g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("The prompt template “%s” has no {label}"),
                     templates[t]);
        goto fail;
      }
  if (o->truth != NULL && (truth = read_truth (store, o->set.dataset, o->truth, error)) == NULL)
    goto fail;
  if (o->augmentations > 0 && (augmented = augment (store, o, e, backend, error)) < 0)
    goto fail;
  for (guint c = 0; c < C; c++)
    for (guint t = 0; t < T; t++)
      {
        g_auto (GStrv) parts = g_strsplit (templates[t], "{label}", -1);
        g_ptr_array_add (prompts, g_strjoinv (o->labels[c], parts));
      }
  pe = g_new (float, (gsize) C * T * e->dim);
  if (!assay_embed_texts (&o->set, NULL, backend, (const char *const *) prompts->pdata, (int) prompts->len, pe, error))
    goto fail;
  /* g(x, c): the mean over the templates of the inner product with c's prompts */
  scores = g_new0 (double, (gsize) MAX (e->n, 1) * C);
#pragma omp parallel for schedule(static)
  for (guint i = 0; i < e->n; i++)
    for (guint c = 0; c < C; c++)
      {
        double s = 0;
        for (guint t = 0; t < T; t++)
          {
            const float *p = pe + ((gsize) c * T + t) * e->dim, *x = e->vectors + (gsize) i * e->dim;
            for (int j = 0; j < e->dim; j++)
              s += (double) x[j] * p[j];
          }
        scores[(gsize) i * C + c] = s / T;
      }
  tp = g_new0 (guint, C);
  fp = g_new0 (guint, C);
  fn = g_new0 (guint, C);
  support = g_new0 (guint, C);
  predictions = json_array_new ();
  for (guint i = 0; i < e->n; i++)
    {
      JsonObject *p = json_object_new ();
      JsonArray  *row = json_array_new ();
      guint       best = 0;
      for (guint c = 0; c < C; c++)
        {
          json_array_add_double_element (row, scores[(gsize) i * C + c]);
          if (scores[(gsize) i * C + c] > scores[(gsize) i * C + best])
            best = c;
        }
      json_object_set_int_member (p, "id", e->ids[i]);
      json_object_set_string_member (p, "label", o->labels[best]);
      json_object_set_double_member (p, "score", scores[(gsize) i * C + best]);
      json_object_set_array_member (p, "scores", row);
      if (truth != NULL)
        {
          const char *want = g_hash_table_lookup (truth, &e->ids[i]);
          int         w = -1;
          for (guint c = 0; want != NULL && c < C; c++)
            if (g_ascii_strcasecmp (want, o->labels[c]) == 0)
              w = (int) c;
          if (w < 0)
            unknown++;
          else
            {
              json_object_set_string_member (p, "truth", o->labels[w]);
              evaluated++;
              support[w]++;
              if ((guint) w == best)
                {
                  correct++;
                  tp[best]++;
                }
              else
                {
                  fp[best]++;
                  fn[w]++;
                }
            }
        }
      json_array_add_object_element (predictions, p);
    }
  for (guint c = 0; c < C; c++)
    json_array_add_string_element (labels, o->labels[c]);
  for (guint t = 0; t < T; t++)
    json_array_add_string_element (tmpl, templates[t]);
  r = json_object_new ();
  json_object_set_array_member (r, "labels", labels);
  json_object_set_array_member (r, "templates", tmpl);
  json_object_set_int_member (r, "records", e->n);
  json_object_set_int_member (r, "augmented", augmented);
  if (o->augmentations > 0)
    json_object_set_int_member (r, "augmentations", o->augmentations);
  if (truth != NULL && evaluated == 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("No record has a label among these in %s (%u records without one): nothing to score against"),
                   o->truth, unknown);
      json_array_unref (predictions);
      json_object_unref (r);
      return NULL;
    }
  if (truth != NULL)
    {
      JsonArray *per = json_array_new ();
      for (guint c = 0; c < C; c++)
        {
          JsonObject *k = json_object_new ();
          double      prec = tp[c] + fp[c] > 0 ? (double) tp[c] / (tp[c] + fp[c]) : 0.0;
          double      rec = tp[c] + fn[c] > 0 ? (double) tp[c] / (tp[c] + fn[c]) : 0.0;
          double      f1 = prec + rec > 0 ? 2 * prec * rec / (prec + rec) : 0.0;
          json_object_set_string_member (k, "label", o->labels[c]);
          json_object_set_double_member (k, "precision", prec);
          json_object_set_double_member (k, "recall", rec);
          json_object_set_double_member (k, "f1", f1);
          json_object_set_int_member (k, "support", support[c]);
          json_array_add_object_element (per, k);
          macro += f1 / C;
        }
      json_object_set_string_member (r, "truth", o->truth);
      json_object_set_int_member (r, "evaluated", evaluated);
      json_object_set_int_member (r, "truth_unknown", unknown);
      json_object_set_double_member (r, "accuracy", evaluated > 0 ? (double) correct / evaluated : 0.0);
      json_object_set_double_member (r, "macro_f1", macro);
      json_object_set_array_member (r, "per_class", per);
    }
  json_object_set_array_member (r, "predictions", predictions);
  return r;

fail:
  json_array_unref (labels);
  json_array_unref (tmpl);
  return NULL;
}

gboolean
assay_semantic_run (AssayStore *store, AssaySemanticKind kind, const AssaySemanticOptions *o,
                    AssayBackend *backend, void (*progress) (double, const char *, gpointer),
                    gpointer progress_data, GCancellable *cancellable, JsonObject **result,
                    GError **error)
{
  g_autoptr (JsonObject) updated = NULL;
  g_autoptr (AssayEmbeddings) e = NULL;
  Span         span = { progress, progress_data, 0.0, 0.8 };
  gint64       t0 = g_get_monotonic_time ();
  JsonObject  *r = NULL;
  gint64       set;

  if (!assay_embed_set_update (store, &o->set, backend, span_progress, &span, cancellable, &updated, error))
    return FALSE;
  set = json_object_get_int_member (updated, "set");
  if ((e = assay_embeddings_load (store, set, error)) == NULL)
    return FALSE;
  if (progress)
    progress (0.8, kind == ASSAY_SEMANTIC_SEARCH ? _("Ranking") : kind == ASSAY_SEMANTIC_DEDUP ? _("Finding near-duplicates")
                                                                                               : _("Labelling"),
              progress_data);
  switch (kind)
    {
    case ASSAY_SEMANTIC_SEARCH: r = search (o, e, backend, error); break;
    case ASSAY_SEMANTIC_DEDUP: r = dedup (o, e, backend, cancellable, error); break;
    case ASSAY_SEMANTIC_ZEROSHOT: r = zeroshot (store, o, e, backend, error); break;
    }
  if (r == NULL)
    return FALSE;
  json_object_set_int_member (r, "set", set);
  json_object_set_int_member (r, "embedded", json_object_get_int_member (updated, "embedded"));
  json_object_set_double_member (r, "seconds", (g_get_monotonic_time () - t0) / 1e6);
  json_object_set_string_member (r, "backend", assay_backend_describe (backend));
  *result = r;
  return TRUE;
}

typedef struct
{
  AssaySemanticKind    kind;
  AssaySemanticOptions o;
} JobData;

static gboolean
semantic_run (AssayJob *job, gpointer user_data, GError **error)
{
  JobData    *d = user_data;
  AssayStore *store = assay_job_open_store (job, error);
  JsonObject *result = NULL;

  if (store == NULL
      || !assay_semantic_run (store, d->kind, &d->o, assay_job_get_backend (job), assay_job_progress_func, job,
                              assay_job_get_cancellable (job), &result, error))
    return FALSE;
  assay_job_take_result_object (job, result);
  return TRUE;
}

static void
job_data_free (JobData *d)
{
  assay_semantic_options_clear (&d->o);
  g_free (d);
}

AssayJob *
assay_semantic_job_new (AssaySemanticKind kind, const AssaySemanticOptions *options)
{
  static const char *const kinds[] = { "semantic-search", "semantic-dedup", "zeroshot" };
  JobData         *d = g_new0 (JobData, 1);
  g_autofree char *base = g_path_get_basename (options->set.model);
  g_autofree char *title = NULL;

  d->kind = kind;
  d->o = *options;
  d->o.set.model = g_strdup (options->set.model);
  d->o.set.field = g_strdup (options->set.field);
  d->o.set.prefix = g_strdup (options->set.prefix);
  d->o.set.pooling = g_strdup (options->set.pooling);
  d->o.query = g_strdup (options->query);
  d->o.query_prefix = g_strdup (options->query_prefix);
  d->o.labels = g_strdupv (options->labels);
  d->o.templates = g_strdupv (options->templates);
  d->o.truth = g_strdup (options->truth);
  title = kind == ASSAY_SEMANTIC_SEARCH ? g_strdup_printf (_("Search by meaning with %s"), base)
          : kind == ASSAY_SEMANTIC_DEDUP ? g_strdup_printf (_("Near-duplicates by %s"), base)
                                         : g_strdup_printf (_("Zero-shot labels with %s"), base);
  return assay_job_new (kinds[kind], title, ASSAY_JOB_LANE_COMPUTE, semantic_run, d, (GDestroyNotify) job_data_free);
}
