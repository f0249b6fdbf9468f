/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-trace-credit.c: see assay-trace-credit.h. The prompt and the response are tokenized apart
 * (the response's token offsets then refer to its own text) and joined as [BOS] prompt response;
 * the response's tokens are scored. */
#include "assay-trace-credit.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "assay-error.h"
#include "assay-json.h"
#include "assay-gen-record.h"
#include "assay-lm-pair.h"
#include "assay-lm-scorer.h"
#include "assay-trace-eval.h"
#include "assay-trace-tokens.h"

void
assay_trace_credit_options_clear (AssayTraceCreditOptions *o)
{
  g_clear_pointer (&o->policy, g_free);
  g_clear_pointer (&o->reference, g_free);
  g_clear_pointer (&o->shard_out, g_free);
}

char *
assay_trace_context (const char *prompt)
{
  gsize n = prompt != NULL ? strlen (prompt) : 0;

  if (n == 0)
    return g_strdup ("");
  if (g_ascii_isspace (prompt[n - 1]))
    return g_strdup (prompt);
  return g_strconcat (prompt, "\n\n", NULL);
}

typedef struct
{
  gint64      record;
  int         side;
  char       *response;
  char      **steps; /* from the data (side 0), or NULL */
  AssayLmText text;  /* [BOS] prompt response, with the response's token offsets */
} Item;

static void
item_clear (Item *it)
{
  g_free (it->response);
  g_strfreev (it->steps);
  assay_lm_text_clear (&it->text);
}

static gboolean
add_item (GArray *items, AssayLmPair *pair, gint64 record, int side, const char *context,
          const char *response, const char *steps, GError **error)
{
  g_autoptr (GError) local = NULL;
  Item it = { 0 };

  if (!assay_lm_pair_encode (pair, context, response, TRUE, &it.text, &local))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("record %lld: %s"),
                   (long long) record, local->message);
      return FALSE;
    }
  it.record = record;
  it.side = side;
  it.response = g_strdup (response);
  it.steps = side == 0 ? assay_gen_steps_parse (steps) : NULL;
  g_array_append_val (items, it);
  return TRUE;
}

static gboolean
read_items (AssayStore *store, const AssayTraceCreditOptions *o, AssayLmPair *lm, GArray *items,
            GError **error)
{
  sqlite3_stmt *stmt = assay_store_prepare (store,
                                            "SELECT id, prompt, text, rejected, steps, kind "
                                            "FROM gen_records WHERE kind IN " ASSAY_TRACE_KINDS_SQL
                                            " AND (?1 = 0 OR dataset_id = ?1) AND " ASSAY_DATASET_VISIBLE ("dataset_id")
                                            " ORDER BY id LIMIT ?2",
                                            error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, o->dataset);
  sqlite3_bind_int64 (stmt, 2, o->limit > 0 ? o->limit : -1);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64           id = sqlite3_column_int64 (stmt, 0);
      g_autofree char *context = assay_trace_context ((const char *) sqlite3_column_text (stmt, 1));
      const char      *text = (const char *) sqlite3_column_text (stmt, 2);
      const char      *rejected = (const char *) sqlite3_column_text (stmt, 3);
      const char      *steps = (const char *) sqlite3_column_text (stmt, 4);
      gboolean         pair = g_strcmp0 ((const char *) sqlite3_column_text (stmt, 5), "pair") == 0;

      if ((text != NULL && !add_item (items, lm, id, 0, context, text, steps, error))
          || (pair && rejected != NULL && !add_item (items, lm, id, 1, context, rejected, NULL, error)))
        {
          sqlite3_reset (stmt);
          return FALSE;
        }
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return assay_store_set_error (store, error, "gen_records");
  if (items->len == 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   o->dataset != 0 ? _("Dataset %lld has no traces to score")
                                   : _("The workspace has no traces to score (import some first)"),
                   (long long) o->dataset);
      return FALSE;
    }
  return TRUE;
}

/* The stored form of an item: log-probs per response token (NaN where not scored), steps. */
static AssayTraceTokens *
item_tokens (Item *item, gint64 run, guint *steps_missing)
{
  AssayLmText      *it = &item->text;
  int               n = (int) it->ids->len - it->first;
  float            *lp = g_new (float, MAX (n, 1)), *ref = g_new (float, MAX (n, 1));
  AssayTraceTokens *t;
  GArray           *spans;
  g_autoptr (GError) local = NULL;

  for (int i = 0; i < n; i++)
    {
      int pos = it->first + i;
      lp[i] = pos >= it->start ? it->lp[pos - it->start] : NAN;
      ref[i] = pos >= it->start ? it->ref_lp[pos - it->start] : NAN;
    }
  t = assay_trace_tokens_new (n, g_memdup2 (it->offsets->data, MAX (1, it->offsets->len) * sizeof (guint)),
                              lp, ref);
  t->run = run;
  t->record = item->record;
  t->side = item->side;
  if (it->certainty != NULL)
    {
      /* the policy's mean self-certainty over the response's scored tokens */
      double sum = 0;
      int    k = 0;
      for (int pos = MAX (it->first, it->start); pos < (int) it->ids->len; pos++, k++)
        sum += it->certainty[pos - it->start];
      t->certainty = k > 0 ? sum / k : NAN;
    }
  spans = assay_credit_steps (item->response, (const char *const *) item->steps, &local);
  if (spans == NULL)
    {
      /* The data's steps are not in the text as written: split the text itself. */
      (*steps_missing)++;
      spans = assay_credit_steps (item->response, NULL, NULL);
    }
  {
    guint n_spans = spans->len;
    assay_trace_tokens_set_steps (t, (AssaySpan *) g_array_free (spans, FALSE), (int) n_spans);
  }
  return t;
}

/* SHA-256 of the records a run reads (as read_items selects them): shards of other inputs never
 * merge, nor do shards made from another workspace. */
static char *
records_hash (AssayStore *store, gint64 dataset, int limit, GError **error)
{
  const gint64 params[] = { dataset, limit > 0 ? limit : -1 };
  return assay_store_hash_rows (store, "SELECT id, kind, prompt, text, rejected, steps "
                                "FROM gen_records WHERE kind IN " ASSAY_TRACE_KINDS_SQL
                                " AND (?1 = 0 OR dataset_id = ?1) AND " ASSAY_DATASET_VISIBLE ("dataset_id")
                                " ORDER BY id LIMIT ?2", params, 2, error);
}

/* What makes the run: the settings, the models' fingerprints and the hash of its records. */
static JsonObject *
provenance_new (AssayStore *store, const AssayTraceCreditOptions *o, guint n_texts, int budget,
                GError **error)
{
  g_autoptr (JsonObject) p = json_object_new ();
  g_autofree char *fp_policy = NULL, *fp_reference = NULL, *inputs = NULL;
  JsonObject *params;

  if ((fp_policy = assay_shard_fingerprint_folder (o->policy, error)) == NULL
      || (fp_reference = assay_shard_fingerprint_folder (o->reference, error)) == NULL
      || (inputs = records_hash (store, o->dataset, o->limit, error)) == NULL)
    return NULL;
  params = json_object_new ();
  json_object_set_string_member (params, "policy", o->policy);
  json_object_set_string_member (params, "reference", o->reference);
  if (o->dataset != 0)
    json_object_set_int_member (params, "dataset", o->dataset);
  json_object_set_int_member (params, "batch_tokens", budget);
  json_object_set_string_member (p, "verb", "traces credit");
  json_object_set_object_member (p, "params", params);
  json_object_set_int_member (p, "limit", o->limit);
  json_object_set_string_member (p, "policy_fingerprint", fp_policy);
  json_object_set_string_member (p, "reference_fingerprint", fp_reference);
  json_object_set_int_member (p, "texts", n_texts);
  json_object_set_string_member (p, "inputs_sha256", inputs);
  return g_steal_pointer (&p);
}

/* Token credit, steps, step rewards and, over the run's rows, the threshold and first errors. */
static gboolean
finish_run (AssayStore *store, gint64 run, guint64 scored, double seconds, guint steps_missing,
            JsonObject *extra, double *threshold, GError **error)
{
  g_autoptr (JsonObject) metrics = NULL;

  if ((metrics = assay_trace_eval (store, run, error)) == NULL
      || !assay_trace_apply_threshold (store, run, json_object_get_double_member (metrics, "threshold"),
                                       error))
    return FALSE;
  json_object_set_int_member (metrics, "tokens", (gint64) scored);
  json_object_set_double_member (metrics, "tokens_per_second", seconds > 0 ? scored / seconds : 0);
  if (steps_missing > 0)
    json_object_set_int_member (metrics, "steps_not_in_text", steps_missing);
  if (extra != NULL)
    {
      g_autoptr (GList) members = json_object_get_members (extra);
      for (GList *l = members; l != NULL; l = l->next)
        json_object_set_member (metrics, l->data, json_node_copy (json_object_get_member (extra, l->data)));
    }
  *threshold = json_object_get_double_member (metrics, "threshold");
  return assay_store_finish_run (store, run, "done", seconds, metrics, error);
}

gboolean
assay_trace_credit (AssayStore *store, const AssayTraceCreditOptions *options,
                    AssayBackend *backend, void (*progress) (double, const char *, gpointer),
                    gpointer progress_data, GCancellable *cancellable, JsonObject **result,
                    GError **error)
{
  g_autoptr (AssayLmPair) pair = NULL;
  g_autoptr (GArray) items = g_array_new (FALSE, TRUE, sizeof (Item));
  g_autoptr (JsonObject) params = json_object_new ();
  g_autoptr (JsonObject) provenance = NULL, summary = NULL;
  g_autoptr (AssayShardWriter) writer = NULL;
  g_autofree AssayLmText **texts = NULL;
  gboolean  sharded = options->shard.n > 0;
  int       budget = options->batch_tokens;
  guint64   scored = 0;
  guint     steps_missing = 0, begin = 0, end, n_batches = 0, b0 = 0, b1 = 0;
  gint64    t0, run;
  double    seconds, threshold = NAN;
  AssayStore *out = store;
  JsonObject *o;

  g_array_set_clear_func (items, (GDestroyNotify) item_clear);
  if (options->policy == NULL || options->reference == NULL)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("Token credit needs a policy and a reference model"));
      return FALSE;
    }
  if (sharded && options->shard_out == NULL)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("A shard needs a file to go to"));
      return FALSE;
    }
  if ((pair = assay_lm_pair_open (options->policy, options->reference, error)) == NULL)
    return FALSE;
  assay_lm_pair_set_certainty (pair, TRUE);
  if (progress)
    progress (0.0, _("Tokenizing traces"), progress_data);
  if (!read_items (store, options, pair, items, error))
    return FALSE;
  texts = g_new (AssayLmText *, items->len);
  for (guint k = 0; k < items->len; k++)
    texts[k] = &g_array_index (items, Item, k).text;
  if (progress)
    progress (0.02, _("Loading weights"), progress_data);
  if (!assay_lm_pair_load (pair, backend, texts, items->len, &budget, error))
    return FALSE;
  end = items->len;
  if (sharded)
    {
      /* a shard takes whole batches of the one-run plan: each text is scored in the batch it
       * would be in one run, so the merged numbers are that run's to the bit */
      assay_lm_pair_shard (texts, items->len, budget, &options->shard, &begin, &end, &n_batches, &b0, &b1);
      if ((provenance = provenance_new (store, options, items->len, budget, error)) == NULL
          || (writer = assay_shard_writer_new (options->shard_out, "traces credit", provenance,
                                               &options->shard, n_batches, b0, b1, error)) == NULL)
        return FALSE;
      out = assay_shard_writer_get_store (writer);
    }
  t0 = g_get_monotonic_time ();
  if (!assay_lm_pair_score (pair, texts + begin, end - begin, budget, progress, progress_data, 0.05,
                            0.9, cancellable, error))
    return FALSE;
  seconds = (g_get_monotonic_time () - t0) / 1e6;
  for (guint k = begin; k < end; k++)
    scored += (guint64) assay_lm_text_scored (texts[k]);

  if (progress)
    progress (0.95, _("Saving token credit"), progress_data);
  json_object_set_string_member (params, "policy", options->policy);
  json_object_set_string_member (params, "reference", options->reference);
  if (options->dataset != 0)
    json_object_set_int_member (params, "dataset", options->dataset);
  json_object_set_int_member (params, "batch_tokens", budget);
  if (!sharded && !assay_store_begin (out, error))
    return FALSE;
  if ((run = assay_store_add_run (out, options->dataset != 0 ? options->dataset : 0, "traces",
                                  "credit", params, assay_backend_describe (backend), error)) < 0)
    goto failed;
  for (guint k = begin; k < end; k++)
    {
      g_autoptr (AssayTraceTokens) t = item_tokens (&g_array_index (items, Item, k), run, &steps_missing);
      if (!assay_trace_tokens_save (out, t, error))
        goto failed;
    }
  if (sharded)
    {
      summary = json_object_new ();
      json_object_set_int_member (summary, "texts", end - begin);
      json_object_set_int_member (summary, "tokens", (gint64) scored);
      json_object_set_double_member (summary, "seconds", seconds);
      json_object_set_int_member (summary, "steps_not_in_text", steps_missing);
      json_object_set_string_member (summary, "backend", assay_backend_describe (backend));
      json_object_set_int_member (summary, "batches", b1 - b0);
      if ((o = assay_shard_writer_finish_result (writer, summary, error)) == NULL)
        return FALSE;
      json_object_set_int_member (o, "traces", end - begin);
    }
  else
    {
      if (!finish_run (out, run, scored, seconds, steps_missing, NULL, &threshold, error)
          || !assay_store_commit (out, error))
        goto failed;
      assay_store_emit_changed (out, "trace_tokens");
      o = json_object_new ();
      json_object_set_int_member (o, "run", run);
      json_object_set_int_member (o, "traces", items->len);
    }
  json_object_set_int_member (o, "tokens", (gint64) scored);
  json_object_set_double_member (o, "seconds", seconds);
  json_object_set_double_member (o, "tokens_per_second", seconds > 0 ? scored / seconds : 0);
  json_object_set_string_member (o, "backend", assay_backend_describe (backend));
  if (!sharded)
    json_object_set_double_member (o, "threshold", threshold);
  *result = o;
  return TRUE;

failed:
  if (!sharded)
    assay_store_rollback (out);
  return FALSE;
}

gboolean
assay_trace_credit_merge (AssayMergeContext *ctx, GError **error)
{
  JsonObject *params = json_object_get_object_member (ctx->provenance, "params");
  guint64     tokens = 0;
  guint       missing_steps = 0;
  double      seconds = 0, threshold;
  g_autoptr (JsonObject) extra = json_object_new ();

  {
    /* the records the shards were made from must be this workspace's, as they are now */
    g_autofree char *inputs = records_hash (ctx->store, assay_json_get_int (params, "dataset", 0),
                                            (int) assay_json_get_int (ctx->provenance, "limit", 0), error);
    if (inputs == NULL)
      return FALSE;
    if (g_strcmp0 (inputs, assay_json_get_string (ctx->provenance, "inputs_sha256", "")) != 0)
      {
        g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                     _("“%s” was made from other traces than this workspace holds (another "
                       "workspace, or records changed since)"),
                     ctx->shards[0]->path);
        return FALSE;
      }
  }
  if (ctx->run == 0)
    {
      gint64 dataset = assay_json_get_int (params, "dataset", 0);
      g_autoptr (JsonObject) run_params = assay_merge_params (ctx);
      if ((ctx->run = assay_store_add_run (ctx->store, dataset, "traces", "credit", run_params,
                                           assay_merge_backend (ctx), error)) < 0)
        return FALSE;
    }
  for (guint i = 0; i < ctx->n_shards; i++)
    if (!assay_shard_check_count (ctx->shards[i], "trace_tokens", "texts", error))
      return FALSE;
  for (guint i = 0; i < ctx->n_shards; i++)
    if (!assay_shard_copy_rows (ctx->store, ctx->shards[i], "trace_tokens",
                                "SELECT record_id, side, n_tokens, offsets, logprobs, ref_logprobs, "
                                "reward, steps, step_rewards, first_error, certainty FROM trace_tokens ORDER BY id",
                                "INSERT INTO trace_tokens (run_id, record_id, side, n_tokens, offsets, "
                                "logprobs, ref_logprobs, reward, steps, step_rewards, first_error, certainty) "
                                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                                ctx->run, error))
      return FALSE;
  {
    /* every row is a trace the run reads: of its dataset (when it has one) */
    gint64 dataset = assay_json_get_int (params, "dataset", 0);
    g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM trace_tokens t JOIN gen_records r ON r.id = t.record_id "
                                            "WHERE t.run_id = %" G_GINT64_FORMAT " AND (r.kind NOT IN " ASSAY_TRACE_KINDS_SQL
                                            " OR (%" G_GINT64_FORMAT " != 0 AND r.dataset_id != %" G_GINT64_FORMAT "))",
                                            ctx->run, dataset, dataset);
    if (assay_store_query_int (ctx->store, sql, 1) != 0)
      {
        g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                     _("“%s” holds token credit of records the run does not read"), ctx->shards[0]->path);
        return FALSE;
      }
  }
  for (guint i = 0; i < ctx->summaries->len; i++)
    {
      JsonObject *s = g_ptr_array_index (ctx->summaries, i);
      tokens += (guint64) assay_json_get_int (s, "tokens", 0);
      seconds += assay_json_get_double (s, "seconds", 0);
      missing_steps += (guint) assay_json_get_int (s, "steps_not_in_text", 0);
    }
  assay_merge_describe (ctx, extra);
  if (!finish_run (ctx->store, ctx->run, tokens, seconds, missing_steps, extra, &threshold, error))
    return FALSE;
  assay_store_emit_changed (ctx->store, "trace_tokens");
  return TRUE;
}

static gboolean
credit_run (AssayJob *job, gpointer user_data, GError **error)
{
  AssayTraceCreditOptions *o = user_data;
  g_autoptr (AssayStore) reader = NULL;
  AssayStore *store;
  JsonObject *result = NULL;

  /* a shard only reads the workspace (its tasks may run on many machines at once) */
  store = o->shard.n > 0 ? (reader = assay_store_open_reader (assay_job_get_workspace (job), error))
                         : assay_job_open_store (job, error);
  if (store == NULL
      || !assay_trace_credit (store, user_data, assay_job_get_backend (job), assay_job_progress_func,
                              job, assay_job_get_cancellable (job), &result, error))
    return FALSE;
  assay_job_take_result_object (job, result);
  return TRUE;
}

static void
options_free (AssayTraceCreditOptions *o)
{
  assay_trace_credit_options_clear (o);
  g_free (o);
}

AssayJob *
assay_trace_credit_job_new (const AssayTraceCreditOptions *options)
{
  AssayTraceCreditOptions *copy = g_new0 (AssayTraceCreditOptions, 1);
  g_autofree char *a = g_path_get_basename (options->policy);
  g_autofree char *b = g_path_get_basename (options->reference);
  g_autofree char *title = g_strdup_printf (_("Token credit: %s against %s"), a, b);
  AssayJob *job;

  *copy = *options;
  copy->policy = g_strdup (options->policy);
  copy->reference = g_strdup (options->reference);
  copy->shard_out = g_strdup (options->shard_out);
  job = assay_job_new ("traces-credit", title, ASSAY_JOB_LANE_COMPUTE, credit_run, copy,
                       (GDestroyNotify) options_free);
  assay_job_set_reads_only (job, options->shard.n > 0);
  return job;
}
