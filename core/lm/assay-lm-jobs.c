/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-lm-jobs.c: see assay-lm-jobs.h. A response's first token is scored from the prompt; with
 * an empty prompt and no beginning-of-sequence token it has no context, and its log-prob is null. */
#include "assay-lm-jobs.h"

#include <errno.h>
#include <math.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "assay-atomic-file.h"
#include "assay-error.h"
#include "assay-json.h"
#include "assay-lm-scorer.h"
#include "assay-lm-pair.h"

void
assay_lm_score_options_clear (AssayLmScoreOptions *o)
{
  g_clear_pointer (&o->policy, g_free);
  g_clear_pointer (&o->reference, g_free);
  g_clear_pointer (&o->input, g_free);
  g_clear_pointer (&o->output, g_free);
  g_clear_pointer (&o->shard_out, g_free);
}

typedef struct
{
  JsonObject  *line; /* the input object */
  AssayLmText  text;
} Item;

static void
item_clear (Item *it)
{
  json_object_unref (it->line);
  assay_lm_text_clear (&it->text);
}

static gboolean
read_items (const char *path, AssayLmPair *pair, GArray *items, GError **error)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileInputStream) in = NULL;
  g_autoptr (GDataInputStream) data = NULL;
  g_autoptr (GError) local = NULL;
  char  *line;
  gsize  len;
  guint  number = 0;

  if ((in = g_file_read (file, NULL, &local)) == NULL)
    {
      g_set_error (error, ASSAY_ERROR,
                   g_error_matches (local, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) ? ASSAY_ERROR_NOT_FOUND : ASSAY_ERROR_FAILED,
                   "%s: %s", path, local->message);
      return FALSE;
    }
  data = g_data_input_stream_new (G_INPUT_STREAM (in));
  while ((line = g_data_input_stream_read_line_utf8 (data, &len, NULL, &local)) != NULL)
    {
      g_autofree char *text = line;
      g_autoptr (GError) parse_error = NULL;
      JsonObject *o;
      const char *prompt, *response;
      Item        it = { 0 };

      number++;
      if (*g_strstrip (text) == '\0')
        continue;
      if ((o = assay_json_object_from_string (text, &parse_error)) == NULL)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s:%u: %s", path, number,
                       parse_error->message);
          return FALSE;
        }
      prompt = assay_json_get_string (o, "prompt", NULL);
      response = assay_json_get_string (o, "response", NULL);
      if (prompt == NULL || response == NULL)
        {
          json_object_unref (o);
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       "%s:%u: field “%s” is missing or not a string", path, number,
                       prompt == NULL ? "prompt" : "response");
          return FALSE;
        }
      if (!assay_lm_pair_encode (pair, prompt, response, FALSE, &it.text, &parse_error))
        {
          json_object_unref (o);
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s:%u: %s", path, number,
                       parse_error->message);
          return FALSE;
        }
      it.line = o;
      g_array_append_val (items, it);
    }
  if (local != NULL)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s:%u: %s", path, number + 1,
                   local->message);
      return FALSE;
    }
  return TRUE;
}

static void
add_logprobs (JsonObject *o, const char *member, const AssayLmText *it, const float *lp)
{
  JsonArray *a = json_array_new ();

  for (int i = it->first; i < (int) it->ids->len; i++)
    {
      /* JSON has no NaN: a log-prob that is not finite is null */
      if (i < it->start || !isfinite (lp[i - it->start]))
        json_array_add_null_element (a);
      else
        json_array_add_double_element (a, lp[i - it->start]);
    }
  json_object_set_array_member (o, member, a);
}

/* An item's output line: its input line with the tokens and log-probs added. */
static char *
item_line (Item *item, AssayLmTokenizer *tok, gboolean with_ref)
{
  AssayLmText *it = &item->text;
  JsonArray   *tokens = json_array_new (), *ids = json_array_new ();

  for (int i = it->first; i < (int) it->ids->len; i++)
    {
      int              id = g_array_index (it->ids, int, i);
      g_autofree char *piece = assay_lm_tokenizer_decode (tok, &id, 1);
      json_array_add_string_element (tokens, piece);
      json_array_add_int_element (ids, id);
    }
  json_object_set_array_member (item->line, "tokens", tokens);
  json_object_set_array_member (item->line, "token_ids", ids);
  add_logprobs (item->line, "logprobs", it, it->lp);
  if (with_ref)
    add_logprobs (item->line, "ref_logprobs", it, it->ref_lp);
  return assay_json_object_to_string (item->line, FALSE);
}

static gboolean
write_items (const char *path, GArray *items, guint begin, guint end, AssayLmTokenizer *tok,
             gboolean with_ref, GError **error)
{
  g_autoptr (AssayAtomicFile) file = assay_atomic_file_new (path, error);
  FILE *out;

  if (file == NULL)
    return FALSE;
  out = assay_atomic_file_get_stream (file);
  for (guint k = begin; k < end; k++)
    {
      g_autofree char *text = item_line (&g_array_index (items, Item, k), tok, with_ref);
      fputs (text, out);
      fputc ('\n', out);
    }
  return assay_atomic_file_commit (file, error);
}

/* A shard's lines, numbered as in the whole output, for merge to write in order; the task's
 * result, or NULL. */
static JsonObject *
write_shard (AssayShardWriter *writer, GArray *items, guint begin, guint end, AssayLmTokenizer *tok,
             gboolean with_ref, JsonObject *summary, GError **error)
{
  AssayStore   *store = assay_shard_writer_get_store (writer);
  sqlite3_stmt *stmt;

  if (!assay_store_exec (store, "CREATE TABLE shard_lines (idx INTEGER PRIMARY KEY, line TEXT NOT NULL)",
                         error)
      || (stmt = assay_store_prepare (store, "INSERT INTO shard_lines (idx, line) VALUES (?, ?)", error)) == NULL)
    return NULL;
  for (guint k = begin; k < end; k++)
    {
      g_autofree char *text = item_line (&g_array_index (items, Item, k), tok, with_ref);
      sqlite3_bind_int64 (stmt, 1, k);
      sqlite3_bind_text (stmt, 2, text, -1, SQLITE_TRANSIENT);
      if (!assay_store_step_done (store, stmt, error))
        return NULL;
    }
  return assay_shard_writer_finish_result (writer, summary, error);
}

gboolean
assay_lm_lines_merge (AssayMergeContext *ctx, GError **error)
{
  g_autoptr (AssayAtomicFile) file = assay_atomic_file_new (ctx->output, error);
  FILE *out;

  if (file == NULL)
    return FALSE;
  out = assay_atomic_file_get_stream (file);
  for (guint i = 0; i < ctx->n_shards; i++)
    {
      sqlite3_stmt *stmt = NULL;
      int           rc;

      if (sqlite3_prepare_v2 (ctx->shards[i]->db, "SELECT line FROM shard_lines ORDER BY idx", -1, &stmt,
                              NULL) != SQLITE_OK)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("“%s”: %s"),
                       ctx->shards[i]->path, sqlite3_errmsg (ctx->shards[i]->db));
          return FALSE;
        }
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          fputs ((const char *) sqlite3_column_text (stmt, 0), out);
          fputc ('\n', out);
        }
      sqlite3_finalize (stmt);
      if (rc != SQLITE_DONE)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("“%s”: reading its lines failed"),
                       ctx->shards[i]->path);
          return FALSE;
        }
    }
  return assay_atomic_file_commit (file, error);
}

gboolean
assay_lm_score_file (const AssayLmScoreOptions *options, AssayBackend *backend,
                     void (*progress) (double, const char *, gpointer), gpointer progress_data,
                     GCancellable *cancellable, JsonObject **result, GError **error)
{
  g_autoptr (AssayLmPair) pair = NULL;
  g_autoptr (GArray) items = g_array_new (FALSE, TRUE, sizeof (Item));
  g_autofree AssayLmText **texts = NULL;
  g_autoptr (AssayShardWriter) writer = NULL;
  int      budget = options->batch_tokens;
  guint    begin = 0, end;
  guint64  scored = 0;
  gint64   t0;
  double   seconds;
  JsonObject *o;

  g_array_set_clear_func (items, (GDestroyNotify) item_clear);
  if ((pair = assay_lm_pair_open (options->policy, options->reference, error)) == NULL)
    return FALSE;
  if (progress)
    progress (0.0, _("Tokenizing"), progress_data);
  if (!read_items (options->input, pair, items, error))
    return FALSE;
  texts = g_new (AssayLmText *, MAX (items->len, 1));
  for (guint k = 0; k < items->len; k++)
    texts[k] = &g_array_index (items, Item, k).text;
  if (progress)
    progress (0.0, _("Loading weights"), progress_data);
  if (!assay_lm_pair_load (pair, backend, texts, items->len, &budget, error))
    return FALSE;
  end = items->len;
  if (options->shard.n > 0)
    {
      /* whole batches of the one-run plan, as traces credit takes them */
      g_autoptr (JsonObject) provenance = json_object_new ();
      JsonObject       *params = json_object_new ();
      g_autofree char  *fp_policy = NULL, *fp_reference = NULL, *inputs = NULL;
      guint             n_batches, b0, b1;

      assay_lm_pair_shard (texts, items->len, budget, &options->shard, &begin, &end, &n_batches, &b0, &b1);
      json_object_set_object_member (provenance, "params", params);
      json_object_set_string_member (params, "policy", options->policy);
      if (options->reference != NULL)
        json_object_set_string_member (params, "reference", options->reference);
      json_object_set_int_member (params, "batch_tokens", budget);
      if ((fp_policy = assay_shard_fingerprint_folder (options->policy, error)) == NULL
          || (options->reference != NULL
              && (fp_reference = assay_shard_fingerprint_folder (options->reference, error)) == NULL)
          || (inputs = assay_shard_hash_file (options->input, error)) == NULL)
        return FALSE;
      json_object_set_string_member (provenance, "policy_fingerprint", fp_policy);
      if (fp_reference != NULL)
        json_object_set_string_member (provenance, "reference_fingerprint", fp_reference);
      json_object_set_string_member (provenance, "input_sha256", inputs);
      if ((writer = assay_shard_writer_new (options->shard_out, "lm score", provenance, &options->shard,
                                            n_batches, b0, b1, error)) == NULL)
        return FALSE;
    }
  t0 = g_get_monotonic_time ();
  if (!assay_lm_pair_score (pair, texts + begin, end - begin, budget, progress, progress_data, 0.0, 1.0,
                            cancellable, error))
    return FALSE;
  for (guint k = begin; k < end; k++)
    scored += (guint64) assay_lm_text_scored (texts[k]);
  seconds = (g_get_monotonic_time () - t0) / 1e6;
  o = json_object_new ();
  json_object_set_int_member (o, "sequences", end - begin);
  if (writer != NULL)
    {
      json_object_set_int_member (o, "tokens", (gint64) scored);
      json_object_set_double_member (o, "seconds", seconds);
      json_object_set_string_member (o, "backend", assay_backend_describe (backend));
      *result = write_shard (writer, items, begin, end, assay_lm_pair_tokenizer (pair),
                             options->reference != NULL, o, error);
      json_object_unref (o);
      return *result != NULL;
    }
  if (!write_items (options->output, items, 0, items->len, assay_lm_pair_tokenizer (pair),
                    options->reference != NULL, error))
    {
      json_object_unref (o);
      return FALSE;
    }
  json_object_set_int_member (o, "tokens", (gint64) scored);
  json_object_set_double_member (o, "seconds", seconds);
  json_object_set_double_member (o, "tokens_per_second", seconds > 0 ? scored / seconds : 0);
  json_object_set_string_member (o, "backend", assay_backend_describe (backend));
  json_object_set_string_member (o, "output", options->output);
  *result = o;
  return TRUE;
}

static gboolean
score_run (AssayJob *job, gpointer user_data, GError **error)
{
  JsonObject *result = NULL;

  if (!assay_lm_score_file (user_data, assay_job_get_backend (job), assay_job_progress_func, job,
                            assay_job_get_cancellable (job), &result, error))
    return FALSE;
  assay_job_take_result_object (job, result);
  return TRUE;
}

static void
options_free (AssayLmScoreOptions *o)
{
  assay_lm_score_options_clear (o);
  g_free (o);
}

AssayJob *
assay_lm_score_job_new (const AssayLmScoreOptions *options)
{
  AssayLmScoreOptions *copy = g_new0 (AssayLmScoreOptions, 1);
  g_autofree char     *base = g_path_get_basename (options->policy);
  g_autofree char     *title = g_strdup_printf (_("Score tokens with %s"), base);

  copy->policy = g_strdup (options->policy);
  copy->reference = g_strdup (options->reference);
  copy->input = g_strdup (options->input);
  copy->output = g_strdup (options->output);
  copy->batch_tokens = options->batch_tokens;
  copy->shard = options->shard;
  copy->shard_out = g_strdup (options->shard_out);
  return assay_job_new ("lm-score", title, ASSAY_JOB_LANE_COMPUTE, score_run, copy,
                        (GDestroyNotify) options_free);
}
