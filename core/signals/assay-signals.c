/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-signals.c: the signals of a dataset's records, the label model over them, stored. */
#include "config.h"

#include "assay-signals.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "assay-answer.h"
#include "assay-arith-check.h"
#include "assay-error.h"
#include "assay-gen-dedup.h"
#include "assay-gen-record.h"
#include "assay-json.h"

/* ---- signals under construction: a value per record (NaN: abstain) ---- */

typedef struct
{
  char   *name;
  double *value;    /* n */
  gboolean binary;  /* 0 bad / 1 good */
} Raw;

static void
raw_free (gpointer p)
{
  Raw *r = p;
  g_free (r->name);
  g_free (r->value);
  g_free (r);
}

static Raw *
raw_new (GPtrArray *raws, guint n, const char *name, gboolean binary)
{
  Raw *r = g_new0 (Raw, 1);
  r->name = g_strdup (name);
  r->value = g_new (double, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    r->value[i] = NAN;
  r->binary = binary;
  g_ptr_array_add (raws, r);
  return r;
}

static Raw *
raw_find (GPtrArray *raws, guint n, const char *name)
{
  for (guint k = 0; k < raws->len; k++)
    if (g_str_equal (((Raw *) raws->pdata[k])->name, name))
      return raws->pdata[k];
  return raw_new (raws, n, name, FALSE);
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static char *
format_value (double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  return g_strdup (g_ascii_formatd (buf, sizeof buf, fabs (v) >= 100 || v == round (v) ? "%.0f" : "%.3g", v));
}

/* Categories of a raw signal: its values (at most five distinct ones) or quintile bins. Returns
 * the number of categories (0: the signal says nothing) and sets the votes of column j. */
static guint
categorize (const Raw *raw, guint n, guint m, guint j, gint8 *votes, GStrv *labels)
{
  g_autofree double *v = g_new (double, MAX (n, 1));
  double edges[5];
  guint  count = 0, distinct = 0, n_edges = 0;
  GPtrArray *names = g_ptr_array_new ();
  gboolean values;

  for (guint i = 0; i < n; i++)
    if (!isnan (raw->value[i]))
      v[count++] = raw->value[i];
  qsort (v, count, sizeof (double), cmp_double);
  for (guint i = 0; i < count; i++)
    if (i == 0 || v[i] != v[i - 1])
      distinct++;
  if (distinct < 2)
    {
      g_ptr_array_free (names, TRUE);
      return 0;
    }
  values = distinct <= 5;
  if (values)
    {
      /* the values themselves: the edges sit at each new value */
      for (guint i = 1; i < count; i++)
        if (v[i] != v[i - 1])
          edges[n_edges++] = v[i];
    }
  else
    for (guint q = 1; q < 5; q++)
      {
        double e = v[(gsize) q * count / 5];
        if ((n_edges == 0 || e > edges[n_edges - 1]) && e > v[0])
          edges[n_edges++] = e;
      }
  for (guint i = 0; i < n; i++)
    {
      int c = 0;
      if (isnan (raw->value[i]))
        {
          votes[(gsize) i * m + j] = -1;
          continue;
        }
      while ((guint) c < n_edges && raw->value[i] >= edges[c])
        c++;
      votes[(gsize) i * m + j] = (gint8) c;
    }
  for (guint c = 0; c <= n_edges; c++)
    {
      if (raw->binary)
        g_ptr_array_add (names, g_strdup (c == 0 ? _("bad") : _("good")));
      else if (values)
        g_ptr_array_add (names, format_value (c == 0 ? v[0] : edges[c - 1]));
      else
        {
          g_autofree char *lo = c > 0 ? format_value (edges[c - 1]) : NULL;
          g_autofree char *hi = c < n_edges ? format_value (edges[c]) : NULL;
          g_ptr_array_add (names, lo == NULL ? g_strdup_printf ("< %s", hi)
                                  : hi == NULL ? g_strdup_printf ("≥ %s", lo)
                                               : g_strdup_printf ("%s – %s", lo, hi));
        }
    }
  g_ptr_array_add (names, NULL);
  *labels = (GStrv) g_ptr_array_free (names, FALSE);
  return n_edges + 1;
}

void
assay_signals_free (AssaySignals *s)
{
  if (s == NULL)
    return;
  g_free (s->ids);
  if (s->names != NULL)
    g_ptr_array_unref (s->names);
  if (s->categories != NULL)
    g_ptr_array_unref (s->categories);
  g_free (s->n_cat);
  g_free (s->lean);
  g_free (s->votes);
  g_free (s->known);
  g_free (s->truth);
  g_free (s);
}

AssayLabelVotes
assay_signals_votes (const AssaySignals *s)
{
  AssayLabelVotes v = { s->n, s->m, s->votes, s->n_cat, s->lean, s->known };
  return v;
}

/* The steps of a record (a JSON array of strings), else its text, recomputed */
static double
arithmetic (const char *steps_json, const char *text)
{
  g_auto (GStrv) steps = assay_gen_steps_parse (steps_json);
  AssayArithCheck c;
  guint checked = 0, wrong = 0;

  for (guint k = 0; steps != NULL && steps[k] != NULL; k++)
    {
      assay_arith_check (steps[k], &c);
      checked += c.checked;
      wrong += c.wrong;
    }
  if (steps == NULL)
    {
      assay_arith_check (text, &c);
      checked = c.checked;
      wrong = c.wrong;
    }
  return wrong > 0 ? 0 : checked > 0 ? 1 : NAN;
}

/* consistency: per prompt with three candidates or more that have answers, the share of the
 * others with the same answer */
static void
consistency (GPtrArray *prompts, GPtrArray *answers, Raw *raw)
{
  g_autoptr (GHashTable) groups = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                         (GDestroyNotify) g_array_unref);

  for (guint i = 0; i < prompts->len; i++)
    if (prompts->pdata[i] != NULL && answers->pdata[i] != NULL)
      {
        GArray *g = g_hash_table_lookup (groups, prompts->pdata[i]);
        if (g == NULL)
          {
            g = g_array_new (FALSE, FALSE, sizeof (guint));
            g_hash_table_insert (groups, prompts->pdata[i], g);
          }
        g_array_append_val (g, i);
      }
  GHashTableIter it;
  gpointer       value;
  g_hash_table_iter_init (&it, groups);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      GArray *g = value;
      if (g->len < 3)
        continue;
      for (guint a = 0; a < g->len; a++)
        {
          guint i = g_array_index (g, guint, a), same = 0;
          for (guint b = 0; b < g->len; b++)
            if (b != a && g_str_equal (answers->pdata[i], answers->pdata[g_array_index (g, guint, b)]))
              same++;
          raw->value[i] = (double) same / (g->len - 1);
        }
    }
}

static gboolean
read_credit (AssayStore *store, gint64 dataset, GHashTable *row_of, GPtrArray *raws, guint n, GError **error)
{
  sqlite3_stmt *runs = assay_store_prepare (store,
                                            "SELECT id FROM runs WHERE dataset_id = ? AND area = 'traces' "
                                            "AND kind = 'credit' AND status = 'done' ORDER BY id",
                                            error);
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  sqlite3_stmt *rows;
  int rc;

  if (runs == NULL)
    return FALSE;
  sqlite3_bind_int64 (runs, 1, dataset);
  while ((rc = sqlite3_step (runs)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (runs, 0);
      g_array_append_val (ids, id);
    }
  sqlite3_reset (runs);
  if (rc != SQLITE_DONE)
    return assay_store_set_error (store, error, "runs");
  rows = assay_store_prepare (store,
                              "SELECT record_id, reward, step_rewards, certainty FROM trace_tokens WHERE run_id = ? AND side = 0",
                              error);
  if (rows == NULL)
    return FALSE;
  for (guint r = 0; r < ids->len; r++)
    {
      gint64 run = g_array_index (ids, gint64, r);
      g_autofree char *rname = g_strdup_printf (_("R (run %lld)"), (long long) run);
      g_autofree char *sname = g_strdup_printf (_("min step credit (run %lld)"), (long long) run);
      g_autofree char *cname = g_strdup_printf (_("self-certainty (run %lld)"), (long long) run);
      Raw *reward = raw_new (raws, n, rname, FALSE), *step = raw_new (raws, n, sname, FALSE);
      Raw *certainty = raw_new (raws, n, cname, FALSE);
      sqlite3_bind_int64 (rows, 1, run);
      while ((rc = sqlite3_step (rows)) == SQLITE_ROW)
        {
          gpointer at;
          guint    i;
          const float *f = sqlite3_column_blob (rows, 2);
          int      k = sqlite3_column_bytes (rows, 2) / (int) sizeof (float);
          double   low = NAN;
          if (!g_hash_table_lookup_extended (row_of, GSIZE_TO_POINTER ((gsize) sqlite3_column_int64 (rows, 0)), NULL, &at))
            continue;
          i = GPOINTER_TO_UINT (at);
          if (sqlite3_column_type (rows, 1) != SQLITE_NULL && isfinite (sqlite3_column_double (rows, 1)))
            reward->value[i] = sqlite3_column_double (rows, 1);
          for (int t = 0; f != NULL && t < k; t++)
            if (isfinite (f[t]) && (isnan (low) || f[t] < low))
              low = f[t];
          step->value[i] = low;
          if (sqlite3_column_type (rows, 3) != SQLITE_NULL && isfinite (sqlite3_column_double (rows, 3)))
            certainty->value[i] = sqlite3_column_double (rows, 3);
        }
      sqlite3_reset (rows);
      if (rc != SQLITE_DONE)
        return assay_store_set_error (store, error, "trace_tokens");
    }
  return TRUE;
}

/* duplicate: a record whose text is a near-duplicate of an earlier one of the dataset (MinHash,
 * estimated Jaccard of word 5-grams at least 0.8, as gen dedup finds them) says "bad" (it adds
 * nothing a reviewer or a training set needs twice); the others with a text are "good" (set as
 * the records are read). The records found are kept in signal_cache under a fingerprint of the
 * texts gen dedup reads (the edit where there is one) and of its settings: a fit after decisions
 * alone does not run MinHash again. *reused: whether the cache served. */
#define DEDUP_THRESHOLD 0.8

/* Whether text has a word as MinHash reads them (a letter or a digit) */
static gboolean
has_word (const char *text)
{
  if (text == NULL || !g_utf8_validate (text, -1, NULL))
    return FALSE;
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    if (g_unichar_isalnum (g_utf8_get_char (p)))
      return TRUE;
  return FALSE;
}

/* The fingerprint's start: gen dedup's settings */
static GChecksum *
texts_fingerprint_new (void)
{
  GChecksum          *sum = g_checksum_new (G_CHECKSUM_SHA256);
  AssayMinHashOptions mo;
  char                head[128];

  assay_minhash_options_init (&mo);
  g_snprintf (head, sizeof head, "minhash %u %u %" G_GUINT64_FORMAT " %g", mo.n_perm, mo.shingle, mo.seed,
              DEDUP_THRESHOLD);
  g_checksum_update (sum, (const guchar *) head, -1);
  return sum;
}

/* ... then each record's id and the text gen dedup reads (the edit where there is one), in id order */
static void
texts_fingerprint_add (GChecksum *sum, gint64 id, const char *text)
{
  int len = text != NULL ? (int) strlen (text) : 0;

  g_checksum_update (sum, (const guchar *) &id, sizeof id);
  g_checksum_update (sum, (const guchar *) &len, sizeof len);
  if (text != NULL)
    g_checksum_update (sum, (const guchar *) text, len);
}

static gboolean
duplicates (AssayStore *store, gint64 dataset, GHashTable *row_of, Raw *raw, const char *fingerprint, gboolean *reused,
            GError **error)
{
  AssayMinHashOptions mo;
  g_autoptr (GArray) found = g_array_new (FALSE, FALSE, sizeof (gint64));
  sqlite3_stmt *stmt;

  *reused = FALSE;
  assay_minhash_options_init (&mo);
  stmt = assay_store_prepare (store, "SELECT data FROM signal_cache WHERE dataset_id = ? AND kind = 'duplicate' AND "
                                     "fingerprint = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, dataset);
  sqlite3_bind_text (stmt, 2, fingerprint, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_type (stmt, 0) == SQLITE_TEXT)
    {
      /* a list of record ids; anything else (a cache written by hand) is found again */
      g_autoptr (JsonParser) parser = json_parser_new ();
      JsonNode *root;
      if (assay_json_parser_load (parser, (const char *) sqlite3_column_text (stmt, 0), -1, NULL)
          && (root = json_parser_get_root (parser)) != NULL && JSON_NODE_HOLDS_ARRAY (root))
        {
          JsonArray *a = json_node_get_array (root);
          gboolean   ok = TRUE;
          for (guint k = 0; ok && k < json_array_get_length (a); k++)
            {
              JsonNode *e = json_array_get_element (a, k);
              ok = JSON_NODE_HOLDS_VALUE (e) && json_node_get_value_type (e) == G_TYPE_INT64;
              if (ok)
                {
                  gint64 id = json_node_get_int (e);
                  g_array_append_val (found, id);
                }
            }
          *reused = ok;
          if (!ok)
            g_array_set_size (found, 0);
        }
    }
  sqlite3_reset (stmt);
  if (!*reused)
    {
      g_autoptr (JsonObject) r = assay_gen_dedup (store, dataset, DEDUP_THRESHOLD, &mo, error);
      JsonArray *groups, *ids = json_array_new ();
      g_autofree char *data = NULL;
      if (r == NULL)
        {
          json_array_unref (ids);
          return FALSE;
        }
      groups = json_object_get_array_member (r, "groups");
      for (guint g = 0; g < json_array_get_length (groups); g++)
        {
          JsonArray *members = json_array_get_array_element (groups, g);
          /* (ids ascending: the first stays "good") */
          for (guint k = 1; k < json_array_get_length (members); k++)
            {
              gint64 id = json_array_get_int_element (members, k);
              g_array_append_val (found, id);
              json_array_add_int_element (ids, id);
            }
        }
      {
        g_autoptr (JsonNode) node = json_node_new (JSON_NODE_ARRAY);
        json_node_take_array (node, ids);
        data = assay_json_node_to_string (node, FALSE);
      }
      /* kept for the next fit (a workspace that cannot be written loses only the time) */
      stmt = assay_store_prepare (store, "INSERT OR REPLACE INTO signal_cache (dataset_id, kind, fingerprint, data) "
                                         "VALUES (?, 'duplicate', ?, ?)", NULL);
      if (stmt != NULL)
        {
          g_autoptr (GError) ignored = NULL;
          sqlite3_bind_int64 (stmt, 1, dataset);
          sqlite3_bind_text (stmt, 2, fingerprint, -1, SQLITE_TRANSIENT);
          sqlite3_bind_text (stmt, 3, data, -1, SQLITE_TRANSIENT);
          assay_store_step_done (store, stmt, &ignored);
        }
    }
  for (guint k = 0; k < found->len; k++)
    {
      gpointer at;
      if (g_hash_table_lookup_extended (row_of, GSIZE_TO_POINTER ((gsize) g_array_index (found, gint64, k)), NULL, &at))
        raw->value[GPOINTER_TO_UINT (at)] = 0;
    }
  return TRUE;
}

AssaySignals *
assay_signals_read (AssayStore *store, gint64 dataset, GError **error)
{
  g_autoptr (AssaySignals) s = g_new0 (AssaySignals, 1);
  g_autoptr (GPtrArray) raws = g_ptr_array_new_with_free_func (raw_free);
  g_autoptr (GPtrArray) prompts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) answers = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) row_of = g_hash_table_new (NULL, NULL);
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) known = g_array_new (FALSE, FALSE, sizeof (gint8));
  g_autoptr (GArray) truth = g_array_new (FALSE, FALSE, sizeof (gint8));
  g_autofree char *area = NULL;
  sqlite3_stmt *stmt;
  Raw *answer, *arith, *dup;
  g_autoptr (GChecksum) texts = texts_fingerprint_new ();
  guint n, lean_at = 0;
  int rc = SQLITE_DONE;

  if (!assay_store_get_dataset (store, dataset, &area, NULL, error))
    return NULL;
  if (!g_str_equal (area, "gen"))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("dataset %lld holds %s, not generated records: signals are about generations and traces"),
                   (long long) dataset, area);
      return NULL;
    }
  /* one pass: each record's signals as it is read (the texts are not kept); a record added
   * meanwhile by another process waits for the next fit */
  {
    g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM gen_records WHERE dataset_id = %lld", (long long) dataset);
    n = (guint) MAX (assay_store_query_int (store, sql, 0), 0);
  }
  if (n == 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("dataset %lld has no records"), (long long) dataset);
      return NULL;
    }
  answer = raw_new (raws, n, _("answer"), TRUE);
  arith = raw_new (raws, n, _("arithmetic"), TRUE);
  dup = raw_new (raws, n, _("duplicate"), TRUE);
  stmt = assay_store_prepare (store,
                              "SELECT id, status, correct, steps, text, scores, prompt, step_label, coalesce (edited, text) FROM gen_records "
                              "WHERE dataset_id = ? ORDER BY id",
                              error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, dataset);
  while (ids->len < n && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      guint       i = ids->len;
      gint64      id = sqlite3_column_int64 (stmt, 0);
      AssayGenStatus status = ASSAY_GEN_PENDING;
      gint8       k;
      gint8       t = sqlite3_column_type (stmt, 7) == SQLITE_NULL ? -1 : sqlite3_column_int (stmt, 7) < 0;
      const char *text = (const char *) sqlite3_column_text (stmt, 4);
      const char *scores = (const char *) sqlite3_column_text (stmt, 5);
      char       *extracted;

      assay_gen_parse_status ((const char *) sqlite3_column_text (stmt, 1), &status);
      k = status == ASSAY_GEN_ACCEPTED ? 1 : status == ASSAY_GEN_PENDING ? -1 : 0; /* rejected, edited: 0 */
      g_hash_table_insert (row_of, GSIZE_TO_POINTER ((gsize) id), GUINT_TO_POINTER (i));
      g_array_append_val (ids, id);
      g_array_append_val (known, k);
      g_array_append_val (truth, t);
      if (sqlite3_column_type (stmt, 2) != SQLITE_NULL)
        answer->value[i] = sqlite3_column_int (stmt, 2) != 0;
      arith->value[i] = arithmetic ((const char *) sqlite3_column_text (stmt, 3), text);
      if (has_word ((const char *) sqlite3_column_text (stmt, 8)))
        dup->value[i] = 1; /* (a text without a word is in no group of gen dedup's: it says nothing) */
      texts_fingerprint_add (texts, id, (const char *) sqlite3_column_text (stmt, 8));
      if (scores != NULL)
        {
          g_autoptr (JsonObject) object = assay_json_object_from_string (scores, NULL);
          if (object != NULL)
            {
              JsonObjectIter it;
              const char *key;
              JsonNode   *member;
              json_object_iter_init (&it, object);
              while (json_object_iter_next (&it, &key, &member))
                /* a PRM's last and product aggregations repeat its min (kept for best-of-N) */
                if (JSON_NODE_HOLDS_VALUE (member) && !g_str_has_suffix (key, ":last") && !g_str_has_suffix (key, ":prod")
                    && (json_node_get_value_type (member) == G_TYPE_DOUBLE
                        || json_node_get_value_type (member) == G_TYPE_INT64))
                  {
                    g_autofree char *name = g_strdup_printf ("score:%s", key);
                    double v = json_node_get_double (member);
                    if (isfinite (v))
                      raw_find (raws, n, name)->value[i] = v;
                  }
            }
        }
      g_ptr_array_add (prompts, g_strdup ((const char *) sqlite3_column_text (stmt, 6)));
      extracted = text != NULL ? assay_answer_extract (text, NULL) : NULL;
      g_ptr_array_add (answers, extracted != NULL ? assay_answer_normalize (extracted) : NULL);
      g_free (extracted);
    }
  sqlite3_reset (stmt);
  if (ids->len < n && rc != SQLITE_DONE)
    return assay_store_set_error (store, error, "gen_records"), NULL;
  n = ids->len; /* records deleted meanwhile: fewer */
  if (n == 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("dataset %lld has no records"), (long long) dataset);
      return NULL;
    }
  consistency (prompts, answers, raw_new (raws, n, _("consistency"), FALSE));
  if (!duplicates (store, dataset, row_of, dup, g_checksum_get_string (texts), &s->duplicates_reused, error)
      || !read_credit (store, dataset, row_of, raws, n, error))
    return NULL;

  /* the columns: every signal that says something */
  s->n = n;
  s->ids = (gint64 *) g_array_free (g_steal_pointer (&ids), FALSE);
  s->known = (gint8 *) g_array_free (g_steal_pointer (&known), FALSE);
  s->truth = (gint8 *) g_array_free (g_steal_pointer (&truth), FALSE);
  s->names = g_ptr_array_new_with_free_func (g_free);
  s->categories = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  s->n_cat = g_new (guint, raws->len);
  s->votes = g_new (gint8, (gsize) n * MAX (raws->len, 1));
  for (guint k = 0; k < raws->len; k++)
    {
      Raw   *raw = raws->pdata[k];
      GStrv  labels = NULL;
      guint  c = categorize (raw, n, raws->len, s->m, s->votes, &labels);
      if (c == 0)
        continue;
      g_ptr_array_add (s->names, g_strdup (raw->name));
      g_ptr_array_add (s->categories, labels);
      s->n_cat[s->m++] = c;
    }
  /* compact the columns kept (votes were written with the full stride) */
  if (s->m < raws->len)
    for (guint i = 0; i < n; i++)
      memmove (s->votes + (gsize) i * s->m, s->votes + (gsize) i * raws->len, s->m);
  for (guint j = 0; j < s->m; j++)
    lean_at += s->n_cat[j];
  s->lean = g_new (gint8, MAX (1, lean_at));
  lean_at = 0;
  for (guint j = 0; j < s->m; j++)
    {
      guint c = s->n_cat[j];
      for (guint k = 0; k < c; k++)
        s->lean[lean_at + k] = 2 * k + 1 < c ? -1 : 2 * k + 1 > c ? 1 : 0;
      lean_at += c;
    }
  for (guint i = 0; i < n; i++)
    {
      s->n_known += s->known[i] >= 0;
      s->n_truth += s->truth[i] >= 0;
    }
  return g_steal_pointer (&s);
}

/* ---- the fit ---- */

void
assay_signals_fit_options_init (AssaySignalsFitOptions *options)
{
  options->use_decisions = TRUE;
  options->matrix_completion = FALSE;
  options->automatic = TRUE;
}

const char *
assay_signals_label_model_choice (const AssaySignalsFitOptions *options)
{
  return options->automatic ? "auto" : options->matrix_completion ? "matrix-completion" : "dawid-skene";
}

gboolean
assay_signals_parse_label_model (const char *name, AssaySignalsFitOptions *options)
{
  if (g_strcmp0 (name, "auto") != 0 && g_strcmp0 (name, "dawid-skene") != 0 && g_strcmp0 (name, "matrix-completion") != 0)
    return FALSE;
  options->automatic = g_str_equal (name, "auto");
  options->matrix_completion = g_str_equal (name, "matrix-completion");
  return TRUE;
}

static void
set_double_or_null (JsonObject *o, const char *key, double v)
{
  if (isfinite (v))
    json_object_set_double_member (o, key, v);
  else
    json_object_set_null_member (o, key);
}

static double
ratio (guint a, guint b)
{
  return b > 0 ? (double) a / b : NAN;
}

/* What signal j's decision rule (a category votes good when P(good | it) > 1/2) gets right on
 * the decided records */
static JsonObject *
measured (const AssaySignals *s, const AssayLabelModel *model, guint j)
{
  JsonObject *o = json_object_new ();
  guint decided = 0, right = 0, said_good = 0, good_right = 0, said_bad = 0, bad_right = 0;

  for (guint i = 0; i < s->n; i++)
    {
      int k = s->votes[(gsize) i * s->m + j];
      gboolean good;
      if (s->known[i] < 0 || k < 0)
        continue;
      good = assay_label_model_category_good (model, j, k) > 0.5;
      decided++;
      right += good == (s->known[i] == 1);
      said_good += good;
      good_right += good && s->known[i] == 1;
      said_bad += !good;
      bad_right += !good && s->known[i] == 0;
    }
  json_object_set_int_member (o, "decided", decided);
  set_double_or_null (o, "accuracy", ratio (right, decided));
  set_double_or_null (o, "precision_good", ratio (good_right, said_good));
  set_double_or_null (o, "precision_bad", ratio (bad_right, said_bad));
  return o;
}

static gboolean
store_fit (AssayStore *store, gint64 dataset, const AssaySignals *s, const AssayLabelModel *model,
           JsonObject *params, JsonObject *metrics, double seconds, gint64 *run, GError **error)
{
  sqlite3_stmt *stmt;

  if (!assay_store_begin (store, error))
    return FALSE;
  /* one current fit per dataset: the earlier ones go */
  stmt = assay_store_prepare (store, "DELETE FROM runs WHERE dataset_id = ? AND area = 'gen' AND kind = 'signals'", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, dataset);
  if (!assay_store_step_done (store, stmt, error))
    goto fail;
  if ((*run = assay_store_add_run (store, dataset, "gen", "signals", params, "cpu", error)) < 0)
    goto fail;
  if ((stmt = assay_store_prepare (store, "INSERT INTO gen_signals (run_id, record_id, p_good) VALUES (?, ?, ?)", error)) == NULL)
    goto fail;
  for (guint i = 0; i < s->n; i++)
    {
      sqlite3_bind_int64 (stmt, 1, *run);
      sqlite3_bind_int64 (stmt, 2, s->ids[i]);
      sqlite3_bind_double (stmt, 3, model->p_good[i]);
      if (!assay_store_step_done (store, stmt, error))
        goto fail;
    }
  if (!assay_store_finish_run (store, *run, "done", seconds, metrics, error))
    goto fail;
  if (!assay_store_commit (store, error))
    return FALSE;
  assay_store_emit_changed (store, "gen_signals");
  return TRUE;
fail:
  assay_store_rollback (store);
  return FALSE;
}

JsonObject *
assay_signals_fit (AssayStore                   *store,
                   gint64                        dataset,
                   const AssaySignalsFitOptions *options,
                   GCancellable                 *cancellable,
                   GError                      **error)
{
  AssaySignalsFitOptions defaults;
  g_autoptr (GTimer) timer = g_timer_new ();
  g_autoptr (AssaySignals) s = NULL;
  g_autoptr (AssayLabelModel) model = NULL;
  g_autoptr (JsonObject) o = json_object_new ();
  g_autoptr (JsonObject) params = json_object_new ();
  AssayLabelVotes v;
  JsonArray *signals, *dependent;
  g_autofree gint8 *truth = NULL;
  guint decided;
  gint64 run = 0;
  gboolean mc;

  if (options == NULL)
    {
      /* the choice of the dataset's current fit (a refit after decisions keeps it); automatic
       * when there is none */
      g_autofree char *sql = g_strdup_printf ("SELECT CASE coalesce (json_extract (params, '$.label_model_choice'), "
                                              "'auto') WHEN 'auto' THEN 0 WHEN 'dawid-skene' THEN 1 ELSE 2 END "
                                              "FROM runs WHERE id = %lld", (long long) assay_signals_current_run (store, dataset));
      gint64 choice = assay_store_query_int (store, sql, 0);
      assay_signals_fit_options_init (&defaults);
      defaults.automatic = choice == 0;
      defaults.matrix_completion = choice == 2;
      options = &defaults;
    }
  if ((s = assay_signals_read (store, dataset, error)) == NULL)
    return NULL;
  if (s->m == 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("dataset %lld has no signals to weigh: no correctness, written calculations, model "
                     "scores, repeated prompts or token credit vary over its records"),
                   (long long) dataset);
      return NULL;
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  v = assay_signals_votes (s);
  if (!options->use_decisions)
    v.known = NULL;
  /* automatic: matrix completion until 20 records are decided (it takes the class balance as
   * given and stays put where EM, without labels, can be pulled into one class by a noise
   * signal), then EM with the decisions as labels */
  mc = options->automatic ? (options->use_decisions ? s->n_known : 0) < 20 : options->matrix_completion;
  {
    AssayLabelModelOptions lo;
    assay_label_model_options_init (&lo);
    lo.matrix_completion = mc;
    if ((model = assay_label_model_fit (&v, &lo, error)) == NULL)
      return NULL;
  }
  decided = options->use_decisions ? s->n_known : 0;
  /* evaluated against the truth: the records with one, not decided */
  if (s->n_truth > 0)
    {
      truth = g_memdup2 (s->truth, s->n);
      for (guint i = 0; i < s->n; i++)
        if (decided > 0 && s->known[i] >= 0)
          truth[i] = -1;
    }

  json_object_set_int_member (o, "dataset", dataset);
  json_object_set_string_member (o, "label_model", mc ? "matrix-completion" : "dawid-skene");
  json_object_set_string_member (o, "label_model_choice", assay_signals_label_model_choice (options));
  json_object_set_int_member (o, "records", s->n);
  json_object_set_int_member (o, "decided", decided);
  json_object_set_double_member (o, "prior", model->prior);
  /* without 20 labels, the model's accuracies are not determined by the data when fewer than
   * three signals vote (a ridge of equally likely fits), nor when the fit puts nearly every record
   * in one class (one informative signal among noise: the classes are not told apart); P(good)
   * still orders the records */
  {
    guint voting = 0;
    for (guint j = 0; j < s->m; j++)
      voting += model->coverage[j] >= 0.05;
    /* (matrix completion takes the class balance as given: only the number of signals counts) */
    json_object_set_boolean_member (o, "identified",
                                    decided >= 20 || (voting >= 3 && (mc
                                                                      || (model->prior >= 0.03 && model->prior <= 0.97))));
  }
  if (s->duplicates_reused)
    {
      JsonArray *cached = json_array_new ();
      json_array_add_string_element (cached, "duplicate");
      json_object_set_array_member (o, "cached", cached);
    }
  json_object_set_int_member (o, "iterations", model->iterations);
  json_object_set_boolean_member (o, "converged", model->converged);
  signals = json_array_new ();
  for (guint j = 0; j < s->m; j++)
    {
      JsonObject *e = json_object_new ();
      JsonArray  *cats = json_array_new ();
      GStrv       labels = s->categories->pdata[j];
      json_object_set_string_member (e, "name", s->names->pdata[j]);
      json_object_set_double_member (e, "coverage", model->coverage[j]);
      set_double_or_null (e, "accuracy", model->accuracy[j]);
      for (guint k = 0; k < s->n_cat[j]; k++)
        {
          JsonObject *c = json_object_new ();
          guint count = 0;
          for (guint i = 0; i < s->n; i++)
            count += s->votes[(gsize) i * s->m + j] == (int) k;
          json_object_set_string_member (c, "label", labels[k]);
          json_object_set_int_member (c, "records", count);
          json_object_set_double_member (c, "p_good", assay_label_model_category_good (model, j, (int) k));
          json_array_add_object_element (cats, c);
        }
      json_object_set_array_member (e, "categories", cats);
      if (decided > 0)
        json_object_set_object_member (e, "measured", measured (s, model, j));
      else
        json_object_set_null_member (e, "measured");
      if (truth != NULL)
        {
          g_autofree double *alone = g_new (double, s->n);
          for (guint i = 0; i < s->n; i++)
            alone[i] = assay_label_model_category_good (model, j, s->votes[(gsize) i * s->m + j]);
          set_double_or_null (e, "auroc", assay_auroc (alone, truth, s->n));
        }
      json_array_add_object_element (signals, e);
    }
  json_object_set_array_member (o, "signals", signals);
  dependent = json_array_new ();
  for (guint k = 0; k + 1 < model->dependent->len; k += 2)
    {
      JsonArray *pair = json_array_new ();
      json_array_add_string_element (pair, s->names->pdata[g_array_index (model->dependent, guint, k)]);
      json_array_add_string_element (pair, s->names->pdata[g_array_index (model->dependent, guint, k + 1)]);
      json_array_add_array_element (dependent, pair);
    }
  json_object_set_array_member (o, "dependent", dependent);
  if (truth != NULL)
    {
      JsonObject *ev = json_object_new ();
      g_autofree double *majority = g_new (double, s->n);
      guint evaluated = 0;
      double best = -1;
      const char *best_name = NULL;
      for (guint i = 0; i < s->n; i++)
        {
          guint at = 0;
          majority[i] = 0;
          evaluated += truth[i] >= 0;
          for (guint j = 0; j < s->m; j++)
            {
              int k = s->votes[(gsize) i * s->m + j];
              if (k >= 0)
                majority[i] += s->lean[at + (guint) k];
              at += s->n_cat[j];
            }
        }
      for (guint j = 0; j < s->m; j++)
        {
          JsonObject *e = json_array_get_object_element (signals, j);
          double a = assay_json_get_double (e, "auroc", NAN);
          if (isfinite (a) && a > best)
            {
              best = a;
              best_name = s->names->pdata[j];
            }
        }
      json_object_set_int_member (ev, "records", evaluated);
      {
        double brier = 0;
        for (guint i = 0; i < s->n; i++)
          if (truth[i] >= 0)
            brier += (model->p_good[i] - truth[i]) * (model->p_good[i] - truth[i]);
        set_double_or_null (ev, "brier", evaluated > 0 ? brier / evaluated : NAN);
      }
      set_double_or_null (ev, "auroc", assay_auroc (model->p_good, truth, s->n));
      set_double_or_null (ev, "majority_auroc", assay_auroc (majority, truth, s->n));
      if (best_name != NULL)
        {
          json_object_set_string_member (ev, "best_signal", best_name);
          json_object_set_double_member (ev, "best_signal_auroc", best);
        }
      json_object_set_object_member (o, "evaluation", ev);
    }
  json_object_set_boolean_member (params, "decisions", options->use_decisions);
  json_object_set_string_member (params, "label_model", mc ? "matrix-completion" : "dawid-skene");
  json_object_set_string_member (params, "label_model_choice", assay_signals_label_model_choice (options));
  if (!store_fit (store, dataset, s, model, params, o, g_timer_elapsed (timer, NULL), &run, error))
    return NULL;
  json_object_set_int_member (o, "run", run);
  return g_steal_pointer (&o);
}

double
assay_signals_record_p_good (AssayStore *store, gint64 record)
{
  sqlite3_stmt *stmt = assay_store_prepare (store,
                                            "SELECT p_good FROM gen_signals WHERE record_id = ? ORDER BY run_id DESC LIMIT 1",
                                            NULL);
  double p = NAN;

  if (stmt == NULL)
    return NAN;
  sqlite3_bind_int64 (stmt, 1, record);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    p = sqlite3_column_double (stmt, 0);
  sqlite3_reset (stmt);
  return p;
}

gint64
assay_signals_current_run (AssayStore *store, gint64 dataset)
{
  g_autofree char *sql = g_strdup_printf ("SELECT max(id) FROM runs WHERE dataset_id = %lld AND area = 'gen' "
                                          "AND kind = 'signals' AND status = 'done'",
                                          (long long) dataset);
  return assay_store_query_int (store, sql, 0);
}

JsonObject *
assay_signals_show (AssayStore *store, gint64 dataset, GError **error)
{
  gint64 run = assay_signals_current_run (store, dataset);
  g_autoptr (JsonObject) o = NULL;
  sqlite3_stmt *stmt;
  JsonArray *records;
  g_autofree char *area = NULL;
  int rc;

  if (!assay_store_get_dataset (store, dataset, &area, NULL, error))
    return NULL;
  if (!g_str_equal (area, "gen"))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("dataset %lld holds %s, not generated records or traces: it has no signals"), (long long) dataset, area);
      return NULL;
    }
  if (run <= 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND,
                   _("dataset %lld has no signals fit yet: run “signals fit” first"), (long long) dataset);
      return NULL;
    }
  stmt = assay_store_prepare (store, "SELECT metrics FROM runs WHERE id = ?", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, run);
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_type (stmt, 0) != SQLITE_NULL)
    o = assay_json_object_from_string ((const char *) sqlite3_column_text (stmt, 0), NULL);
  sqlite3_reset (stmt);
  if (o == NULL)
    o = json_object_new ();
  json_object_set_int_member (o, "run", run);
  json_object_set_int_member (o, "dataset", dataset);
  stmt = assay_store_prepare (store,
                              "SELECT s.record_id, s.p_good, r.status FROM gen_signals s JOIN gen_records r ON "
                              "r.id = s.record_id WHERE s.run_id = ? ORDER BY s.p_good, s.record_id",
                              error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, run);
  records = json_array_new ();
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      JsonObject *r = json_object_new ();
      json_object_set_int_member (r, "id", sqlite3_column_int64 (stmt, 0));
      json_object_set_double_member (r, "p_good", sqlite3_column_double (stmt, 1));
      json_object_set_string_member (r, "status", (const char *) sqlite3_column_text (stmt, 2));
      json_array_add_object_element (records, r);
    }
  sqlite3_reset (stmt);
  json_object_set_array_member (o, "ranked", records);
  if (rc != SQLITE_DONE)
    return assay_store_set_error (store, error, "gen_signals"), NULL;
  return g_steal_pointer (&o);
}
