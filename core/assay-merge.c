/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-merge.c: see assay-merge.h. Each sharded verb merges its own rows (its area's
 * *_merge function); this file checks the set of shards and keeps the bookkeeping. */
#include "config.h"

#include "assay-merge.h"

#include <glib/gi18n.h>
#include <string.h>

#include "assay-error.h"
#include "assay-json.h"
#include "assay-merge-context.h"
#include "assay-shard.h"
#include "assay-cpd-run.h"
#include "assay-gen-generate.h"
#include "assay-lm-jobs.h"
#include "assay-trace-credit.h"
#include "assay-trace-sample.h"
#include "assay-xmtc-train.h"

typedef gboolean (*MergeFunc) (AssayMergeContext *ctx, GError **error);

static const struct
{
  const char *verb;
  MergeFunc   func;
  gboolean    file;
} verbs[] = {
  { "traces credit", assay_trace_credit_merge, FALSE },
  { "cpd score", assay_cpd_score_merge, FALSE },
  { "lm score", assay_lm_lines_merge, TRUE },
  { "lm generate", assay_lm_lines_merge, TRUE },
  { "embed", assay_lm_lines_merge, TRUE },
  { "traces sample", assay_trace_sample_merge, FALSE },
  { "gen generate", assay_gen_generate_merge, FALSE },
  { "xmtc train", assay_xmtc_train_merge, FALSE },
};

static int
find_verb (const char *verb)
{
  for (guint i = 0; i < G_N_ELEMENTS (verbs); i++)
    if (g_strcmp0 (verbs[i].verb, verb) == 0)
      return (int) i;
  return -1;
}

gboolean
assay_merge_verb_known (const char *verb)
{
  return find_verb (verb) >= 0;
}

char *
assay_merge_verbs (void)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < G_N_ELEMENTS (verbs); i++)
    g_string_append_printf (s, "%s%s", i > 0 ? ", " : "", verbs[i].verb);
  return g_string_free (s, FALSE);
}

guint
assay_merge_verb_words (const char *const *argv)
{
  g_autofree char *two = NULL;

  if (argv == NULL || argv[0] == NULL)
    return 0;
  if (find_verb (argv[0]) >= 0)
    return 1;
  if (argv[1] == NULL)
    return 0;
  two = g_strdup_printf ("%s %s", argv[0], argv[1]);
  return find_verb (two) >= 0 ? 2 : 0;
}

gboolean
assay_merge_verb_writes_file (const char *verb)
{
  int i = find_verb (verb);
  return i >= 0 && verbs[i].file;
}

static int
compare_k (gconstpointer a, gconstpointer b)
{
  const AssayShardFile *x = *(AssayShardFile *const *) a, *y = *(AssayShardFile *const *) b;
  return x->k < y->k ? -1 : x->k > y->k;
}

static int
compare_uint (gconstpointer a, gconstpointer b)
{
  guint x = *(const guint *) a, y = *(const guint *) b;
  return x < y ? -1 : x > y;
}

static JsonArray *
uint_array (GArray *values)
{
  JsonArray *a = json_array_new ();
  for (guint i = 0; i < values->len; i++)
    json_array_add_int_element (a, g_array_index (values, guint, i));
  return a;
}

static char *
list_ks (GArray *ks)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < ks->len; i++)
    g_string_append_printf (s, "%s%u", i > 0 ? ", " : "", g_array_index (ks, guint, i));
  return g_string_free (s, FALSE);
}

/* Shards merged before: their K, summaries and the merged run or dataset. */
static gboolean
read_merged (AssayStore *store, const char *key, GArray *merged, GPtrArray *summaries, gint64 *run,
             gint64 *dataset, GError **error)
{
  sqlite3_stmt *stmt = assay_store_prepare (store,
                                            "SELECT k, summary, run_id, dataset_id FROM shard_merges "
                                            "WHERE run_key = ? ORDER BY k",
                                            error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      guint       k = (guint) sqlite3_column_int64 (stmt, 0);
      const char *summary = (const char *) sqlite3_column_text (stmt, 1);
      JsonObject *o = summary != NULL ? assay_json_object_from_string (summary, NULL) : NULL;

      g_array_append_val (merged, k);
      g_ptr_array_add (summaries, o != NULL ? o : json_object_new ());
      if (sqlite3_column_type (stmt, 2) != SQLITE_NULL)
        *run = sqlite3_column_int64 (stmt, 2);
      if (sqlite3_column_type (stmt, 3) != SQLITE_NULL)
        *dataset = sqlite3_column_int64 (stmt, 3);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return assay_store_set_error (store, error, "shard_merges");
  return TRUE;
}

static gboolean
record_merge (AssayStore *store, AssayShardFile *shard, gint64 run, gint64 dataset, GError **error)
{
  sqlite3_stmt *stmt = assay_store_prepare (store,
                                            "INSERT INTO shard_merges (run_key, k, n, verb, run_id, "
                                            "dataset_id, file, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                            error);
  g_autofree char *summary = shard->summary != NULL ? assay_json_object_to_string (shard->summary, FALSE)
                                                    : NULL;
  g_autofree char *absolute = g_canonicalize_filename (shard->path, NULL);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, shard->key, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, shard->k);
  sqlite3_bind_int64 (stmt, 3, shard->n);
  sqlite3_bind_text (stmt, 4, shard->verb, -1, SQLITE_TRANSIENT);
  if (run > 0)
    sqlite3_bind_int64 (stmt, 5, run);
  else
    sqlite3_bind_null (stmt, 5);
  if (dataset > 0)
    sqlite3_bind_int64 (stmt, 6, dataset);
  else
    sqlite3_bind_null (stmt, 6);
  sqlite3_bind_text (stmt, 7, absolute, -1, SQLITE_TRANSIENT);
  if (summary != NULL)
    sqlite3_bind_text (stmt, 8, summary, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, 8);
  return assay_store_step_done (store, stmt, error);
}

gboolean
assay_merge (AssayStore *store, const char *const *paths, guint n_paths,
             const AssayMergeOptions *options, JsonObject **result, GError **error)
{
  g_autoptr (GPtrArray) shards = g_ptr_array_new_with_free_func ((GDestroyNotify) assay_shard_file_free);
  g_autoptr (GPtrArray) todo = g_ptr_array_new ();
  g_autoptr (GPtrArray) summaries = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autoptr (GArray) merged = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GArray) already = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GArray) now = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GArray) missing = g_array_new (FALSE, FALSE, sizeof (guint));
  AssayMergeContext ctx = { 0 };
  AssayShardFile   *first;
  JsonObject       *o;
  int               verb;

  if (n_paths == 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("No shard files to merge"));
      return FALSE;
    }
  for (guint i = 0; i < n_paths; i++)
    {
      AssayShardFile *f = assay_shard_file_open (paths[i], error);
      if (f == NULL)
        return FALSE;
      g_ptr_array_add (shards, f);
    }
  g_ptr_array_sort (shards, compare_k);
  first = shards->pdata[0];
  for (guint i = 0; i < shards->len; i++)
    {
      AssayShardFile *f = shards->pdata[i];
      if (g_strcmp0 (f->verb, first->verb) != 0 || f->n != first->n || g_strcmp0 (f->key, first->key) != 0)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       _("“%s” and “%s” are shards of different runs (%s, %u shards; %s, %u shards%s)"),
                       first->path, f->path, first->verb, first->n, f->verb, f->n,
                       g_strcmp0 (f->verb, first->verb) == 0 && f->n == first->n
                         ? _(": other settings, models or inputs") : "");
          return FALSE;
        }
      if (i > 0 && f->k == ((AssayShardFile *) shards->pdata[i - 1])->k)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       _("“%s” and “%s” are both shard %u of %u"),
                       ((AssayShardFile *) shards->pdata[i - 1])->path, f->path, f->k, f->n);
          return FALSE;
        }
    }
  /* each shard's part of the work as its k, n and the units say (the same units in all) */
  for (guint i = 0; i < shards->len; i++)
    {
      AssayShardFile *f = shards->pdata[i];
      AssayShard      spec = { f->k, f->n };
      guint           begin, end;
      assay_shard_range (&spec, f->units, &begin, &end);
      if (f->units != first->units || f->begin != begin || f->end != end)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       _("“%s”: its part of the work (%u to %u of %u) is not shard %u of %u's"), f->path,
                       f->begin, f->end, f->units, f->k, f->n);
          return FALSE;
        }
    }
  if ((verb = find_verb (first->verb)) < 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED,
                   _("“%s”: shards of “%s” cannot be merged by this version of Assay"), first->path,
                   first->verb);
      return FALSE;
    }
  if (store == NULL && !verbs[verb].file)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("Shards of “%s” are merged into a workspace (use -w FILE)"), first->verb);
      return FALSE;
    }
  if (!verbs[verb].file && options != NULL && options->output != NULL)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("Shards of “%s” are merged into the workspace, not into a file (no --output)"), first->verb);
      return FALSE;
    }
  if (verbs[verb].file && (options == NULL || options->output == NULL))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("Shards of “%s” are merged into a file (use --output FILE)"), first->verb);
      return FALSE;
    }

  if (store != NULL && !verbs[verb].file)
    {
      if (!assay_store_begin (store, error))
        return FALSE;
      if (!read_merged (store, first->key, merged, summaries, &ctx.run, &ctx.dataset, error))
        goto failed;
    }
  for (guint i = 0; i < shards->len; i++)
    {
      AssayShardFile *f = shards->pdata[i];
      gboolean        seen = FALSE;
      for (guint j = 0; j < merged->len && !seen; j++)
        seen = g_array_index (merged, guint, j) == f->k;
      if (seen)
        g_array_append_val (already, f->k);
      else
        {
          g_ptr_array_add (todo, f);
          g_array_append_val (now, f->k);
          g_ptr_array_add (summaries, f->summary != NULL ? json_object_ref (f->summary) : json_object_new ());
        }
    }
  g_array_append_vals (merged, now->data, now->len);
  g_array_sort (merged, compare_uint);
  for (guint k = 0, j = 0; k < first->n; k++)
    {
      if (j < merged->len && g_array_index (merged, guint, j) == k)
        j++;
      else
        g_array_append_val (missing, k);
    }
  if (missing->len > 0 && (options == NULL || !options->partial))
    {
      g_autofree char *list = list_ks (missing);
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   g_dngettext (GETTEXT_PACKAGE, "Shard %s of %u is missing (merge what is there with --partial)",
                                "Shards %s of %u are missing (merge what is there with --partial)",
                                missing->len),
                   list, first->n);
      goto failed;
    }

  if (todo->len > 0)
    {
      ctx.store = store;
      ctx.shards = (AssayShardFile **) todo->pdata;
      ctx.n_shards = todo->len;
      ctx.provenance = first->provenance;
      ctx.n = first->n;
      ctx.summaries = summaries;
      ctx.merged = merged;
      ctx.output = options != NULL ? (char *) options->output : NULL;
      if (!verbs[verb].func (&ctx, error))
        goto failed;
      if (store != NULL && !verbs[verb].file)
        for (guint i = 0; i < todo->len; i++)
          if (!record_merge (store, todo->pdata[i], ctx.run, ctx.dataset, error))
            goto failed;
    }
  if (store != NULL && !verbs[verb].file && !assay_store_commit (store, error))
    goto failed;

  o = json_object_new ();
  json_object_set_string_member (o, "verb", first->verb);
  json_object_set_string_member (o, "key", first->key);
  json_object_set_int_member (o, "n", first->n);
  json_object_set_array_member (o, "merged", uint_array (now));
  json_object_set_array_member (o, "already", uint_array (already));
  json_object_set_array_member (o, "missing", uint_array (missing));
  json_object_set_boolean_member (o, "complete", missing->len == 0);
  if (ctx.run > 0)
    json_object_set_int_member (o, "run", ctx.run);
  if (ctx.dataset > 0)
    json_object_set_int_member (o, "dataset", ctx.dataset);
  if (verbs[verb].file)
    json_object_set_string_member (o, "output", options->output);
  *result = o;
  return TRUE;

failed:
  if (store != NULL && !verbs[verb].file)
    assay_store_rollback (store);
  return FALSE;
}
