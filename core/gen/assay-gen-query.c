/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-gen-query.h"

#include <string.h>

void
assay_gen_filter_init (AssayGenFilter *filter)
{
  memset (filter, 0, sizeof *filter);
  filter->status = -1;
}

AssayGenFilter *
assay_gen_filter_dup (const AssayGenFilter *f)
{
  AssayGenFilter *copy = g_memdup2 (f, sizeof *f);

  copy->kind = g_strdup (f->kind);
  copy->model = g_strdup (f->model);
  copy->condition = g_strdup (f->condition);
  copy->search = g_strdup (f->search);
  copy->ranked = g_strdup (f->ranked);
  return copy;
}

void
assay_gen_filter_free (AssayGenFilter *f)
{
  g_free ((char *) f->kind);
  g_free ((char *) f->model);
  g_free ((char *) f->condition);
  g_free ((char *) f->search);
  g_free ((char *) f->ranked);
  g_free (f);
}

char *
assay_gen_fts_query (const char *words)
{
  g_auto (GStrv) parts = NULL;
  GString *q;
  guint    n = 0;

  if (words == NULL)
    return NULL;
  parts = g_strsplit_set (words, " \t\n", -1);
  q = g_string_new (NULL);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      if (parts[i][0] == '\0')
        continue;
      if (n++ > 0)
        g_string_append_c (q, ' ');
      g_string_append_c (q, '"');
      for (const char *p = parts[i]; *p; p++)
        {
          if (*p == '"')
            g_string_append_c (q, '"');
          g_string_append_c (q, *p);
        }
      g_string_append_c (q, '"');
    }
  if (n == 0)
    {
      g_string_free (q, TRUE);
      return NULL;
    }
  g_string_append_c (q, '*'); /* the word being typed */
  return g_string_free (q, FALSE);
}

/* WHERE clause and its bindings (text values, in order; a NULL entry stands for an integer
 * taken from ints) */
typedef struct
{
  GString   *where;
  GPtrArray *texts;
  GArray    *ints;
  GArray    *kinds; /* 0 text, 1 int */
} Clause;

static void
add_text (Clause *c, const char *sql, const char *value)
{
  int k = 0;
  g_string_append (c->where, c->where->len ? " AND " : " WHERE ");
  g_string_append (c->where, sql);
  g_ptr_array_add (c->texts, g_strdup (value));
  g_array_append_val (c->kinds, k);
}

static void
add_int (Clause *c, const char *sql, gint64 value)
{
  int k = 1;
  g_string_append (c->where, c->where->len ? " AND " : " WHERE ");
  g_string_append (c->where, sql);
  g_array_append_val (c->ints, value);
  g_array_append_val (c->kinds, k);
}

static void
build (Clause *c, const AssayGenFilter *f, gboolean with_status)
{
  c->where = g_string_new (NULL);
  c->texts = g_ptr_array_new_with_free_func (g_free);
  c->ints = g_array_new (FALSE, FALSE, sizeof (gint64));
  c->kinds = g_array_new (FALSE, FALSE, sizeof (int));
  if (f != NULL && f->dataset > 0)
    add_int (c, "dataset_id = ?", f->dataset);
  else /* not the records of an import still running */
    g_string_append (c->where, " WHERE " ASSAY_DATASET_VISIBLE ("dataset_id"));
  if (f == NULL)
    return;
  if (with_status && f->status == ASSAY_GEN_ACCEPTED)
    g_string_append (c->where, c->where->len ? " AND status IN ('accepted', 'edited')"
                                             : " WHERE status IN ('accepted', 'edited')");
  else if (with_status && f->status >= 0)
    add_text (c, "status = ?", assay_gen_status_name ((AssayGenStatus) f->status));
  if (f->kind != NULL)
    add_text (c, "kind = ?", f->kind);
  if (f->traces)
    g_string_append (c->where, c->where->len ? " AND kind IN ('trace', 'pair')"
                                             : " WHERE kind IN ('trace', 'pair')");
  if (f->wrong)
    g_string_append (c->where, c->where->len ? " AND kind = 'trace' AND (correct = 0 OR "
                                               "(step_label >= 0 AND steps IS NOT NULL))"
                                             : " WHERE kind = 'trace' AND (correct = 0 OR "
                                               "(step_label >= 0 AND steps IS NOT NULL))");
  if (f->model != NULL)
    add_text (c, "model = ?", f->model);
  if (f->condition != NULL)
    add_text (c, "condition = ?", f->condition);
  if (f->min_rating > 0)
    add_int (c, "rating >= ?", f->min_rating);
  if (f->max_rating > 0)
    add_int (c, "rating <= ?", f->max_rating);
  {
    g_autofree char *fts = assay_gen_fts_query (f->search);
    if (fts != NULL)
      add_text (c, "id IN (SELECT rowid FROM gen_fts WHERE gen_fts MATCH ?)", fts);
  }
  if (f->ranked != NULL)
    add_text (c, "id IN (SELECT value FROM json_each (?))", f->ranked);
}

static void
bind (Clause *c, sqlite3_stmt *stmt)
{
  guint ti = 0, ii = 0;

  for (guint i = 0; i < c->kinds->len; i++)
    if (g_array_index (c->kinds, int, i) == 0)
      sqlite3_bind_text (stmt, (int) i + 1, g_ptr_array_index (c->texts, ti++), -1, SQLITE_TRANSIENT);
    else
      sqlite3_bind_int64 (stmt, (int) i + 1, g_array_index (c->ints, gint64, ii++));
}

static void
clear (Clause *c)
{
  g_string_free (c->where, TRUE);
  g_ptr_array_unref (c->texts);
  g_array_unref (c->ints);
  g_array_unref (c->kinds);
}

/* P(good) of a record under its dataset's current signals fit (one fit per dataset) */
#define P_GOOD "(SELECT s.p_good FROM gen_signals s WHERE s.record_id = gen_records.id ORDER BY s.run_id DESC LIMIT 1)"

static const char *
doubt_order (const AssayGenFilter *f)
{
  if (f == NULL || f->ranked != NULL)
    return NULL;
  switch (f->order)
    {
    case ASSAY_GEN_ORDER_LIKELY_WRONG:
      return P_GOOD " NULLS LAST, id";
    case ASSAY_GEN_ORDER_UNCERTAIN:
      return "abs (" P_GOOD " - 0.5) NULLS LAST, id";
    case ASSAY_GEN_ORDER_IMPORT:
    default:
      return NULL;
    }
}

gint64
assay_gen_query_next (AssayStore *store, const AssayGenFilter *filter, gint64 after, GError **error)
{
  gint64 next = 0;

  if (doubt_order (filter) != NULL)
    {
      Clause           c;
      g_autofree char *sql = NULL;
      sqlite3_stmt    *stmt;

      build (&c, filter, TRUE);
      add_int (&c, "id != ?", after);
      sql = g_strdup_printf ("SELECT id FROM gen_records%s ORDER BY %s LIMIT 1", c.where->str, doubt_order (filter));
      stmt = assay_store_prepare (store, sql, error);
      if (stmt != NULL)
        {
          bind (&c, stmt);
          if (sqlite3_step (stmt) == SQLITE_ROW)
            next = sqlite3_column_int64 (stmt, 0);
          sqlite3_reset (stmt);
        }
      clear (&c);
      return stmt != NULL ? next : -1;
    }
  /* after it (a range of the id index), else from the start */
  for (int round = 0; round < 2 && next == 0; round++)
    {
      Clause           c;
      g_autofree char *sql = NULL;
      sqlite3_stmt    *stmt;

      build (&c, filter, TRUE);
      if (round == 0)
        add_int (&c, "id > ?", after);
      sql = g_strdup_printf ("SELECT id FROM gen_records%s ORDER BY id LIMIT 1", c.where->str);
      stmt = assay_store_prepare (store, sql, error);
      if (stmt == NULL)
        {
          clear (&c);
          return -1;
        }
      bind (&c, stmt);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        next = sqlite3_column_int64 (stmt, 0);
      sqlite3_reset (stmt);
      clear (&c);
    }
  return next;
}

GArray *
assay_gen_query_ids (AssayStore *store, const AssayGenFilter *filter, GError **error)
{
  Clause           c;
  g_autofree char *sql = NULL;
  sqlite3_stmt    *stmt;
  GArray          *ids;
  int              rc;

  build (&c, filter, TRUE);
  if (filter != NULL && filter->ranked != NULL)
    {
      /* the ranking's order: the place of each id in the list */
      sql = g_strdup_printf ("SELECT id FROM gen_records%s ORDER BY (SELECT r.key FROM json_each (?) r "
                             "WHERE r.value = gen_records.id LIMIT 1)", c.where->str);
      add_text (&c, "1", filter->ranked); /* its binding, after the clause's (sql is made) */
    }
  else if (doubt_order (filter) != NULL)
    sql = g_strdup_printf ("SELECT id FROM gen_records%s ORDER BY %s", c.where->str, doubt_order (filter));
  else
    sql = g_strdup_printf ("SELECT id FROM gen_records%s ORDER BY id", c.where->str);
  stmt = assay_store_prepare (store, sql, error);
  if (stmt == NULL)
    {
      clear (&c);
      return NULL;
    }
  bind (&c, stmt);
  ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      g_array_append_val (ids, id);
    }
  if (rc != SQLITE_DONE)
    {
      assay_store_set_error (store, error, "gen_records");
      g_clear_pointer (&ids, g_array_unref);
    }
  sqlite3_reset (stmt);
  clear (&c);
  return ids;
}

gboolean
assay_gen_count_status (AssayStore *store, const AssayGenFilter *filter, guint out[4],
                        GError **error)
{
  Clause           c;
  g_autofree char *sql = NULL;
  sqlite3_stmt    *stmt;

  memset (out, 0, 4 * sizeof (guint));
  build (&c, filter, FALSE);
  sql = g_strdup_printf ("SELECT status, count(*) FROM gen_records%s GROUP BY status", c.where->str);
  stmt = assay_store_prepare (store, sql, error);
  if (stmt == NULL)
    {
      clear (&c);
      return FALSE;
    }
  bind (&c, stmt);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      AssayGenStatus s;
      if (assay_gen_parse_status ((const char *) sqlite3_column_text (stmt, 0), &s))
        out[s] += (guint) sqlite3_column_int64 (stmt, 1);
    }
  sqlite3_reset (stmt);
  clear (&c);
  return TRUE;
}

void
assay_gen_stats_free (AssayGenStats *stats)
{
  if (stats == NULL)
    return;
  g_free (stats->kind);
  g_free (stats);
}

GPtrArray *
assay_gen_stats (AssayStore *store, const AssayGenFilter *filter, GError **error)
{
  Clause           c;
  g_autofree char *sql = NULL;
  sqlite3_stmt    *stmt;
  GPtrArray       *out;
  AssayGenStats   *all = g_new0 (AssayGenStats, 1);

  build (&c, filter, FALSE);
  sql = g_strdup_printf ("SELECT kind, status, rating, count(*) FROM gen_records%s "
                         "GROUP BY kind, status, rating ORDER BY kind", c.where->str);
  stmt = assay_store_prepare (store, sql, error);
  if (stmt == NULL)
    {
      clear (&c);
      g_free (all);
      return NULL;
    }
  out = g_ptr_array_new_with_free_func ((GDestroyNotify) assay_gen_stats_free);
  g_ptr_array_add (out, all);
  bind (&c, stmt);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char    *kind = (const char *) sqlite3_column_text (stmt, 0);
      AssayGenStats *k = out->len > 1 ? out->pdata[out->len - 1] : NULL;
      AssayGenStatus s;
      int            rating = sqlite3_column_type (stmt, 2) == SQLITE_NULL ? 0 : sqlite3_column_int (stmt, 2);
      guint          n = (guint) sqlite3_column_int64 (stmt, 3);

      if (k == NULL || g_strcmp0 (k->kind, kind) != 0)
        {
          k = g_new0 (AssayGenStats, 1);
          k->kind = g_strdup (kind != NULL ? kind : "");
          g_ptr_array_add (out, k);
        }
      if (rating < 0 || rating > 5)
        rating = 0;
      for (AssayGenStats *t = all; t != NULL; t = t == all ? k : NULL)
        {
          t->total += n;
          t->rating[rating] += n;
          if (assay_gen_parse_status ((const char *) sqlite3_column_text (stmt, 1), &s))
            t->status[s] += n;
        }
    }
  sqlite3_reset (stmt);
  clear (&c);
  return out;
}

GPtrArray *
assay_gen_distinct (AssayStore *store, gint64 dataset, const char *column)
{
  GPtrArray       *out = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *sql = NULL;
  sqlite3_stmt    *stmt;

  if (!g_str_equal (column, "kind") && !g_str_equal (column, "model")
      && !g_str_equal (column, "condition"))
    return out;
  sql = g_strdup_printf ("SELECT DISTINCT %s FROM gen_records WHERE %s IS NOT NULL AND %s ORDER BY 1",
                         column, column,
                         dataset > 0 ? "dataset_id = ?" : ASSAY_DATASET_VISIBLE ("dataset_id"));
  stmt = assay_store_prepare (store, sql, NULL);
  if (stmt == NULL)
    return out;
  if (dataset > 0)
    sqlite3_bind_int64 (stmt, 1, dataset);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (out, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  sqlite3_reset (stmt);
  return out;
}
